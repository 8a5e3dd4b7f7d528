#!/usr/bin/env bash
# Builds bench/device/bundle/: the jsgl CLI for the device machine, which has no Java and no
# OpenCL loader: a jlinked JDK 25, Debian's libOpenCL.so.1, the CLI's jars (minus the oneDNN and
# tokenizer natives, to stay under the 64 MiB a call may carry), the dense fixture models and
# the Llama 3 tokenizer for random-model. Run from the repository root after
# `./mvnw -B -DskipTests package -pl server -am`.
set -euo pipefail
JAVA_HOME=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}
B=bench/device/bundle
rm -rf "$B" && mkdir -p "$B/lib" "$B/home/testdata/tokenizers" "$B/home/testdata/models"
"$JAVA_HOME/bin/jlink" --add-modules java.base,java.logging,jdk.incubator.vector,java.management,jdk.unsupported,java.naming,java.desktop,java.xml,java.sql,java.net.http,jdk.jfr \
  --strip-debug --no-man-pages --no-header-files --output "$B/jdk"
cp -L /usr/lib/x86_64-linux-gnu/libOpenCL.so.1 "$B/"
cp server/target/jsgl-server-*.jar "$B/lib/"
for j in server/target/lib/*.jar; do
  case "$(basename "$j")" in dnnl-*|tokenizers-*|archunit-*) ;; *) cp "$j" "$B/lib/";; esac
done
cp -r testdata/tokenizers/llama3_1 "$B/home/testdata/tokenizers/"
for m in llama3 qwen2 qwen3 mistral gemma3; do cp -r "testdata/models/$m" "$B/home/testdata/models/"; done
tar -C "$B" -cJf "$B.tar.xz" jdk lib home libOpenCL.so.1
rm -rf "$B"
du -sh "$B.tar.xz"
