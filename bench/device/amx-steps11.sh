# Eleventh device pass (sourced by run-amx.sh), session 3: the final code once more on a fresh
# machine, for the spread between machines. Also in $OUT/device11.log.
exec > >(tee -a "$OUT/device11.log") 2>&1
T() { local s=$(date +%s); timeout "$@"; echo "   [rc=$? in $(( $(date +%s) - s ))s]"; }
lscpu | grep -E "Model name|^CPU\(s\)"
T 60 jsgl random-model --preset llama3.2-1b --out /tmp/l1b 2>&1 | grep -v WARNING
B="jsgl bench-one-batch --model /tmp/l1b --backend cpu-amx --batch-size 1 --input-len 512"
echo "== bf16 with probe"; T 120 $B --output-len 64 2>&1 | grep -E "Prefill\.|Decode\.  median|streaming|probe|Exception"
for rep in 1 2 3 4; do echo "== bf16 rep $rep"; T 90 $B --output-len 16 --probe-bytes 0 2>&1 | grep -E "Prefill\.|Decode\.  median|Exception"; done
for rep in 1 2; do echo "== w8a8_int8 rep $rep"; T 90 $B --output-len 16 --probe-bytes 0 --quantization w8a8_int8 2>&1 | grep -E "Prefill\.|Decode\.  median|Exception"; done
echo "== conformance --backend cpu-amx"
T 150 jsgl conformance --backend cpu-amx --fixtures /tmp/jsgl-amx/home/testdata --out "$OUT/conf" --no-progress 2>&1 | grep -v "^WARNING" | tail -4
