# Seventeenth device pass (sourced by run-amx.sh), session 4: the two-pass softmax (normalization on the PV
# rows); per-phase profile with mins (steady state), three plain runs, bs 16/64, AMX ISA in oneDNN's log.
exec > >(tee -a "$OUT/device17.log") 2>&1
T() { local s=$(date +%s); timeout "$@"; echo "   [rc=$? in $(( $(date +%s) - s ))s]"; }
head -1 /proc/stat
T 60 jsgl random-model --preset llama3.2-1b --out /tmp/l1b 2>&1 | grep -v WARNING
B="bench-one-batch --model /tmp/l1b --backend cpu-amx --batch-size 1 --input-len 512"
echo "== amx.profile"; JSGL_JAVA_OPTS="-Djsgl.amx.profile=true" T 90 jsgl $B --output-len 4 --probe-bytes 0 2>&1 | grep -E "Prefill\.|^  [a-z]|Exception"
echo "== profile-ops"; T 90 jsgl $B --output-len 8 --probe-bytes 0 --profile-ops 2>&1 | grep -E "Prefill\.|^  [a-z]|Exception" | head -14
for rep in 1 2 3; do echo "== plain $rep"; T 90 jsgl $B --output-len 32 2>&1 | grep -E "Prefill\.|Decode\.  median|streaming|probe|Exception"; done
echo "== verbose"; JSGL_JAVA_OPTS="-Djsgl.amx.verbose=1" T 90 jsgl $B --output-len 2 --probe-bytes 0 2>&1 | grep -o "brg_matmul:[a-z0-9_]*" | sort | uniq -c
head -1 /proc/stat
