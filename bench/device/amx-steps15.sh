# Fifteenth device pass (sourced by run-amx.sh), session 4: GemmTiling capped at 128 columns x 256 rows
# (the best of pass 14) against neighbours (64x256, 128x128, 96x256), end to end three times, the
# per-phase profile (attention gather and queries now apart), and w8a8 (decode now on oneDNN).
exec > >(tee -a "$OUT/device15.log") 2>&1
T() { local s=$(date +%s); timeout "$@"; echo "   [rc=$? in $(( $(date +%s) - s ))s]"; }
head -1 /proc/stat
T 60 jsgl random-model --preset llama3.2-1b --out /tmp/l1b 2>&1 | grep -v WARNING
for o in "" "-Djsgl.amx.n-slice=64 -Djsgl.amx.m-parts=2" "-Djsgl.amx.n-slice=128 -Djsgl.amx.m-parts=4" \
         "-Djsgl.amx.n-slice=64 -Djsgl.amx.m-parts=4" ""; do
  echo "== gemm $o"
  JSGL_JAVA_OPTS="$o" T 120 jbench io.jsgl.backend.amx.GemmBench --model llama --prefill-only --quant none --threads 16 --secs 1 --only qkv,o,gate_up,down 2>&1 | grep -E "prefill llama" | sed -E 's/ \(.*peak\)//; s/brg_matmul:avx10_1_512_amx, //'
done
B="bench-one-batch --model /tmp/l1b --backend cpu-amx --batch-size 1"
for rep in 1 2 3; do echo "== plain $rep"; T 90 jsgl $B --input-len 512 --output-len 32 2>&1 | grep -E "Prefill\.|Decode\.  median|streaming|probe|Exception"; done
echo "== amx.profile"; JSGL_JAVA_OPTS="-Djsgl.amx.profile=true" T 90 jsgl $B --input-len 512 --output-len 4 --probe-bytes 0 2>&1 | grep -E "Prefill\.|^  [a-z]|Exception"
for rep in 1 2; do echo "== w8a8 $rep"; T 90 jsgl $B --input-len 512 --output-len 32 --quantization w8a8_int8 --probe-bytes 0 2>&1 | grep -E "Prefill\.|Decode\.  median|streaming|Exception"; done
for bs in 16 64; do echo "== bs $bs"; T 120 jsgl bench-one-batch --model /tmp/l1b --backend cpu-amx --batch-size $bs --input-len 512 --output-len 16 --probe-bytes 0 2>&1 | grep -E "Prefill\.|Decode\.  median|Exception"; done
echo "== conformance"; T 200 jsgl conformance --backend cpu-amx --no-progress 2>&1 | tail -3
head -1 /proc/stat
