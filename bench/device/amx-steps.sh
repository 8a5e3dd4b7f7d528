# Sourced by run-amx.sh on the device (bash bench/device/run-amx.sh 'source bench/device/amx-steps.sh'):
# the cpu-amx proof run of issue 8. Everything goes to $OUT/device.log as well.
exec > >(tee -a "$OUT/device.log") 2>&1
T() { local s=$(date +%s); timeout "$@"; echo "   [rc=$? in $(( $(date +%s) - s ))s]"; }
lscpu | grep -E "Model name|^CPU\(s\)|L3"; grep -o -w 'amx_bf16\|amx_int8\|amx_tile\|avx512_bf16' /proc/cpuinfo | sort | uniq -c
echo "== jsgl backends (cpu-amx)"; T 60 jsgl backends | grep -A7 "^cpu-amx"
T 60 jsgl random-model --preset llama3.2-1b --out /tmp/l1b
echo "== ONEDNN_VERBOSE=1 (short prefill)"
ONEDNN_VERBOSE=1 T 90 jsgl bench-one-batch --model /tmp/l1b --backend cpu-amx --input-len 64 --output-len 2 --probe-bytes 0 --no-warmup > "$OUT/verbose.log" 2>&1
grep -m4 "exec,cpu,matmul" "$OUT/verbose.log"; echo "onednn_verbose lines: $(grep -c onednn_verbose "$OUT/verbose.log")"; grep "rc=" "$OUT/verbose.log"
echo "== conformance --backend cpu-amx"
T 150 jsgl conformance --backend cpu-amx --fixtures /tmp/jsgl-amx/home/testdata --out "$OUT/conf" --no-progress 2>&1 | grep -v "^WARNING"
for q in none w8a8_int8; do
  echo "== bench-one-batch llama3.2-1b bf16 quantization=$q"
  T 150 jsgl bench-one-batch --model /tmp/l1b --backend cpu-amx --quantization $q --batch-size 1 --input-len 512 --output-len 32 2>&1 | grep -v "^WARNING"
done
echo "== bf16 --profile-ops, -XX:+PrintCompilation"
JSGL_JAVA_OPTS="-XX:+PrintCompilation" T 150 jsgl bench-one-batch --model /tmp/l1b --backend cpu-amx --input-len 512 --output-len 32 --probe-bytes 0 --profile-ops > "$OUT/profile.log" 2>&1
grep -v -E "^ *[0-9]+ +[0-9]+ |^WARNING" "$OUT/profile.log"; echo "C1/C2 'out of virtual registers': $(grep -c 'virtual registers' "$OUT/profile.log")"; grep 'virtual registers' "$OUT/profile.log" | head -5
echo "== decode on oneDNN M=1 (amx.gemv-max-rows=0)"
JSGL_JAVA_OPTS="-Djsgl.amx.gemv-max-rows=0" T 150 jsgl bench-one-batch --model /tmp/l1b --backend cpu-amx --input-len 512 --output-len 32 2>&1 | grep -v "^WARNING"
