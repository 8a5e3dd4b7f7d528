#!/usr/bin/env bash
# Builds tmp/amxcli/ (git-ignored) for a cpu-amx device run of the jsgl CLI:
#   run(command="bash bench/device/run-amx.sh '<jsgl commands>'", carry=["tmp/amxcli"])
# Unlike prepare.sh it keeps oneDNN: libdnnl.so.3 + libgomp.so.1 (from the bytedeco dnnl jar) and
# libOpenCL.so.1 go in natives.tar.xz as a class-path directory in the jar's own layout (what
# NativeLibs looks up), instead of the 26 MiB jar with its JNI and headers. Dropped as before: the
# tokenizer natives and ArchUnit. Also packed: every fixture model (the conformance kit) and the
# Llama 3 tokenizer (random-model). About 45 MiB; move models/ and testdata/ out of the tree for the
# call (64 MiB cap). Run from the repository root after `./mvnw -B -DskipTests package -pl server -am`.
set -euo pipefail
JAVA_HOME=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}
M2="$HOME/.m2/repository"
B=tmp/amxcli
mkdir -p "$B"
if [[ ! -f "$B/jdk.tar.xz" ]]; then
  rm -rf "$B/jdk"
  "$JAVA_HOME/bin/jlink" --add-modules java.base,java.logging,jdk.incubator.vector,java.management,jdk.management,jdk.unsupported,java.naming,java.desktop,java.xml,java.sql,java.net.http \
    --strip-debug --no-man-pages --no-header-files --output "$B/jdk"
  tar -C "$B" -cJf "$B/jdk.tar.xz" jdk && rm -rf "$B/jdk"
fi
if [[ ! -f "$B/natives.tar.xz" ]]; then
  rm -rf "$B/natives" && mkdir -p "$B/natives"
  (cd "$B/natives" && unzip -q "$M2/org/bytedeco/dnnl/3.11-1.5.13/dnnl-3.11-1.5.13-linux-x86_64.jar" \
      'org/bytedeco/dnnl/linux-x86_64/libdnnl.so.3' 'org/bytedeco/dnnl/linux-x86_64/libgomp.so.1' \
      'META-INF/maven/org.bytedeco/dnnl/pom.properties' \
   && unzip -q "$M2/org/bytedeco/opencl/3.0-1.5.13/opencl-3.0-1.5.13-linux-x86_64.jar" 'org/bytedeco/opencl/linux-x86_64/libOpenCL.so.1')
  tar -C "$B" -cf - natives | xz -9 -T0 > "$B/natives.tar.xz" && rm -rf "$B/natives"
fi
TD=${JSGL_TESTDATA:-testdata}   # where testdata/ is while it is moved out of the tree
S="$B/stage"
rm -rf "$S" && mkdir -p "$S/lib" "$S/home/testdata/tokenizers" "$S/home/testdata/models"
source bench/device/stage-jars.sh
stage_cli_jars "$S/lib"
# the cpu-amx jar as just built (`./mvnw -o install -pl backend-cpu-amx -am -DskipTests`), and its test
# classes for GemmBench / KernelBench (`jbench` in run-amx.sh)
cp backend-cpu-amx/target/jsgl-backend-cpu-amx-*.jar "$S/lib/"
cp -r backend-cpu-amx/target/test-classes "$S/tc"
cp -r "$TD/tokenizers/llama3_1" "$S/home/testdata/tokenizers/"
cp -r "$TD"/models/* "$S/home/testdata/models/"
tar -C "$S" -cJf "$B/cli.tar.xz" lib home tc
rm -rf "$S"
du -sh "$B"/*
