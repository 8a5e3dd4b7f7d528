# Tenth device pass (sourced by run-amx.sh), session 3: prefill GEMMs on weights cold from memory
# (GemmBench --copies) against warm ones, and 15 against 16 worker threads, with repetitions for
# the spread. Also in $OUT/device10.log.
exec > >(tee -a "$OUT/device10.log") 2>&1
T() { local s=$(date +%s); timeout "$@"; echo "   [rc=$? in $(( $(date +%s) - s ))s]"; }
for c in 1 16; do for t in 16 15; do
  echo "== GemmBench prefill bf16 --copies $c --threads $t"
  T 90 jbench io.jsgl.backend.amx.GemmBench --model llama --prefill-only --quant none --secs 0.4 --threads $t --copies $c 2>&1 | grep -E "prefill llama|Exception"
done; done
T 60 jsgl random-model --preset llama3.2-1b --out /tmp/l1b 2>&1 | grep -v WARNING
B="jsgl bench-one-batch --model /tmp/l1b --backend cpu-amx --batch-size 1 --input-len 512 --output-len 16 --probe-bytes 0"
for rep in 1 2 3; do for t in 16 15; do
  echo "== bf16 rep $rep --threads $t"; T 90 $B --threads $t 2>&1 | grep -E "Prefill\.|Decode\.  median|Exception"
done; done
for rep in 1 2; do echo "== w8a8_int8 rep $rep"; T 90 $B --quantization w8a8_int8 2>&1 | grep -E "Prefill\.|Decode\.  median|Exception"; done
