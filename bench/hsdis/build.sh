#!/usr/bin/env bash
# Builds hsdis-amd64.so (HotSpot's disassembler plugin) on Capstone, so that
#   LD_LIBRARY_PATH=<out dir> java -XX:+UnlockDiagnosticVMOptions \
#       -XX:CompileCommand=print,io.jsgl.backend.avx512.Gemv::bf16Row ...
# prints the C2 code of a kernel. Usage: bench/hsdis/build.sh [OUT_DIR] (default /tmp/hsdis).
# Capstone 4 does not decode every EVEX form (some vbroadcastss show as .byte 0x62 ...).
set -euo pipefail
out="${1:-/tmp/hsdis}"
if [ ! -f /usr/include/capstone/capstone.h ]; then
  apt-get install -y libcapstone-dev >/dev/null || { apt-get update >/dev/null && apt-get install -y libcapstone-dev >/dev/null; }
fi
mkdir -p "$out"
gcc -O2 -shared -fPIC -o "$out/hsdis-amd64.so" "$(dirname "$0")/hsdis-capstone.c" -lcapstone
echo "$out/hsdis-amd64.so"
