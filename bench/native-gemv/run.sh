#!/usr/bin/env bash
# Builds and runs gemv-ceiling.c: the cpu-avx512 decode GEMV's instructions in C, paired against the
# bandwidth probe's loop, so that the Java kernel's ratio (PairedRatios 1x896x151936) can be read
# against what the same instructions reach without a JVM. Needs gcc and an AVX-512 CPU; ~40 s.
set -euo pipefail
out="${1:-/tmp/native-gemv}"
mkdir -p "$out"
gcc -O3 -march=native -pthread -o "$out/gemv-ceiling" "$(dirname "$0")/gemv-ceiling.c"
"$out/gemv-ceiling"
