# Thirteenth device pass (sourced by run-amx.sh), session 4: where the Llama-3.2-1B prefill-512 goes in
# steady state (--profile-ops after the warm-up), three plain runs for the spread, the machine's state
# (CPU model, steal), decode on the four-stream GEMV against the two-stream one (-Damx.gemv2=true), and
# w8a8 decode on the Java GEMV against oneDNN (gemv-max-rows 0). Also in $OUT/device13.log.
exec > >(tee -a "$OUT/device13.log") 2>&1
T() { local s=$(date +%s); timeout "$@"; echo "   [rc=$? in $(( $(date +%s) - s ))s]"; }
grep -m1 'model name' /proc/cpuinfo; nproc; grep -m1 MHz /proc/cpuinfo; cat /sys/fs/cgroup/cpu.max 2>/dev/null
head -1 /proc/stat; vmstat 1 3 | tail -2
T 60 jsgl random-model --preset llama3.2-1b --out /tmp/l1b 2>&1 | grep -v WARNING
B="jsgl bench-one-batch --model /tmp/l1b --backend cpu-amx --batch-size 1 --input-len 512 --output-len 32"
echo "== profile"; T 120 $B --profile-ops --probe-bytes 0 2>&1 | grep -v WARNING | grep -vE "^Decode [0-9]"
for rep in 1 2 3; do echo "== plain $rep"; T 90 $B 2>&1 | grep -E "Prefill\.|Decode\.  median|streaming|probe|Exception"; done
for v in true false; do echo "== gemv2=$v"; JSGL_JAVA_OPTS="-Damx.gemv2=$v" T 90 $B --output-len 64 --input-len 128 2>&1 | grep -E "Decode\.  median|streaming|probe|Exception"; done
for g in 4 0; do echo "== w8a8 gemv-max-rows $g"; JSGL_JAVA_OPTS="-Djsgl.amx.gemv-max-rows=$g" T 90 $B --quantization w8a8_int8 2>&1 | grep -E "Prefill\.|Decode\.  median|streaming|Exception"; done
head -1 /proc/stat; vmstat 1 2 | tail -1
