#!/usr/bin/env bash
# Packs the llama.cpp that bench/reference/llama-cpp/fetch-debian.sh unpacked (llama-bench, its
# libraries, the CPU backends from Skylake-X up, and the glibc it runs on) into
# tmp/lcppdev/lcpp.tar.xz (git-ignored) for a device run beside tmp/avxcli:
#   bash bench/device/prepare-llamacpp.sh /tmp/lcpp
#   run(command="bash bench/device/run-avx512.sh 'source bench/device/llamacpp-steps.sh'",
#       carry=["tmp/avxcli", "tmp/lcppdev"])
set -euo pipefail
src=${1:?usage: prepare-llamacpp.sh FETCH_DEBIAN_DIR}
out=tmp/lcppdev
mkdir -p "$out"
lib=usr/lib/x86_64-linux-gnu
(cd "$src/root" && tar -cJf - usr/bin/llama-bench "$lib/llama/libllama-bench-impl.so" \
  "$lib"/{ld-linux-x86-64.so.2,libc.so.6,libm.so.6,libmvec.so.1,libstdc++.so.6,libgcc_s.so.1,libgomp.so.1} \
  "$lib"/{libggml.so.0,libggml-base.so.0,libllama.so.0,libllama-common.so.0,libssl.so.3,libcrypto.so.3,libzstd.so.1} \
  "$lib"/libggml*.so.0.* "$lib"/libllama*.so.0.* "$lib"/libstdc++.so.6.* "$lib"/libgomp.so.1.* \
  "$lib"/ggml/backends0/{ld.so,libggml-cpu-x64.so,libggml-cpu-skylakex.so,libggml-cpu-icelake.so,libggml-cpu-sapphirerapids.so}) \
  > "$out/lcpp.tar.xz"
du -sh "$out/lcpp.tar.xz"
