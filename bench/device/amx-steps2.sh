# Second device pass (sourced by run-amx.sh): Llama-3.2-1B bf16 / int8 prefill after the attention warm-up fix.
exec > >(tee -a "$OUT/device2.log") 2>&1
T() { local s=$(date +%s); timeout "$@"; echo "   [rc=$? in $(( $(date +%s) - s ))s]"; }
T 60 jsgl random-model --preset llama3.2-1b --out /tmp/l1b 2>&1 | grep -v WARNING
for q in none w8a8_int8; do
  echo "== bench-one-batch llama3.2-1b quantization=$q"
  T 150 jsgl bench-one-batch --model /tmp/l1b --backend cpu-amx --quantization $q --batch-size 1 --input-len 512 --output-len 32 2>&1 | grep -v "^WARNING"
done
echo "== bf16 --profile-ops, amx.warmup-ms=3000"
JSGL_JAVA_OPTS="-Djsgl.amx.warmup-ms=3000" T 150 jsgl bench-one-batch --model /tmp/l1b --backend cpu-amx --input-len 512 --output-len 32 --probe-bytes 0 --profile-ops 2>&1 | grep -v "^WARNING"
