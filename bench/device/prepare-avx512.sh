#!/usr/bin/env bash
# Builds tmp/avxcli/ (git-ignored) for a cpu-avx512 device run: the jsgl CLI, the avx512 module's
# bench mains (PairedRatios, GemmFromDram, GemvShapes: `jbench` in run-avx512.sh) and the C
# references of bench/reference (FMA peak, micro-kernel, OpenBLAS sgemm with numpy's bundled
# OpenBLAS), then
#   run(command="bash bench/device/run-avx512.sh 'source bench/device/avx512-steps1.sh'", carry=["tmp/avxcli"])
# with models/ and testdata/ moved out of the tree for the call (64 MiB cap). Run from the
# repository root after `./mvnw -B -o -DskipTests install` and, in backend-cpu-avx512,
# `../mvnw -B -o -Pbench test-compile`. The jlinked JDK is prepare-amx.sh's (tmp/amxcli/jdk.tar.xz).
set -euo pipefail
JAVA_HOME=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}
B=tmp/avxcli
mkdir -p "$B"
if [[ ! -f "$B/jdk.tar.xz" ]]; then
  if [[ -f tmp/amxcli/jdk.tar.xz ]]; then cp tmp/amxcli/jdk.tar.xz "$B/"; else
    "$JAVA_HOME/bin/jlink" --add-modules java.base,java.logging,jdk.incubator.vector,java.management,jdk.management,jdk.unsupported,java.naming,java.desktop,java.xml,java.sql,java.net.http \
      --strip-debug --no-man-pages --no-header-files --output "$B/jdk"
    tar -C "$B" -cJf "$B/jdk.tar.xz" jdk && rm -rf "$B/jdk"
  fi
fi
TD=${JSGL_TESTDATA:-testdata}
S="$B/stage"
rm -rf "$S" && mkdir -p "$S/lib" "$S/home/testdata/tokenizers" "$S/ref"
source bench/device/stage-jars.sh
stage_cli_jars "$S/lib"
M2="$HOME/.m2/repository"
cp "$M2"/org/openjdk/jmh/jmh-core/1.37/jmh-core-1.37.jar "$S/lib/"   # the bench classes' annotations
cp -r backend-cpu-avx512/target/test-classes "$S/tc"
cp -r "$TD/tokenizers/llama3_1" "$TD/tokenizers/qwen3" "$S/home/testdata/tokenizers/"
NP=$(python3 -c 'import numpy,os;print(os.path.join(os.path.dirname(numpy.__file__),"..","numpy.libs"))')
gcc -O3 -mavx512f -mfma -o "$S/ref/fma-peak" bench/reference/fma-peak.c
gcc -O3 -mavx512f -mfma -o "$S/ref/micro-kernel" bench/reference/micro-kernel.c
gcc -O3 -mavx512f -o "$S/ref/openblas-paired" bench/reference/openblas-paired.c "$NP"/libscipy_openblas64_*.so -Wl,-rpath,'$ORIGIN' -lpthread
cp "$NP"/*.so* "$S/ref/"
tar -C "$S" -cJf "$B/cli.tar.xz" lib home tc ref
rm -rf "$S"
du -sh "$B"/*
