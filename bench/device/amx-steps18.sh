# Eighteenth device pass (sourced by run-amx.sh), session 4, final code: five plain prefill-512 runs on a
# fresh machine, then w8a8; the machine's steal ticks before and after. Also in $OUT/device18.log.
exec > >(tee -a "$OUT/device18.log") 2>&1
T() { local s=$(date +%s); timeout "$@"; echo "   [rc=$? in $(( $(date +%s) - s ))s]"; }
head -1 /proc/stat
T 60 jsgl random-model --preset llama3.2-1b --out /tmp/l1b 2>&1 | grep -v WARNING
B="bench-one-batch --model /tmp/l1b --backend cpu-amx --batch-size 1 --input-len 512 --output-len 32"
for rep in 1 2 3 4 5; do echo "== plain $rep"; T 90 jsgl $B 2>&1 | grep -E "Prefill\.|Decode\.  median|Exception"; done
echo "== w8a8"; T 90 jsgl $B --quantization w8a8_int8 --probe-bytes 0 2>&1 | grep -E "Prefill\.|Decode\.  median|Exception"
head -1 /proc/stat
