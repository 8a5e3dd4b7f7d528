# Ninth device pass (sourced by run-amx.sh), session 3, final defaults: Java GEMM driver, attention
# tasks on the workers, scalar embedding rows, SGLang-style warm-up. Also in $OUT/device9.log.
exec > >(tee -a "$OUT/device9.log") 2>&1
T() { local s=$(date +%s); timeout "$@"; echo "   [rc=$? in $(( $(date +%s) - s ))s]"; }
T 60 jsgl random-model --preset llama3.2-1b --out /tmp/l1b 2>&1 | grep -v WARNING
B="jsgl bench-one-batch --model /tmp/l1b --backend cpu-amx --batch-size 1 --input-len 512"
echo "== bf16 prefill-512, decode 64, probe"; T 120 $B --output-len 64 2>&1 | grep -E "Prefill\.|Decode\.  median|streaming|probe|Exception"
for rep in 1 2 3; do echo "== bf16 rep $rep"; T 90 $B --output-len 16 --probe-bytes 0 2>&1 | grep -E "Prefill\.|Decode\.  median|Exception"; done
echo "== bf16 [omp driver]"; JSGL_JAVA_OPTS="-Djsgl.amx.gemm-driver=omp" T 90 $B --output-len 16 --probe-bytes 0 2>&1 | grep -E "Prefill\.|Decode\.  median|Exception"
for rep in 1 2; do echo "== w8a8_int8 rep $rep"; T 90 $B --output-len 16 --probe-bytes 0 --quantization w8a8_int8 2>&1 | grep -E "Prefill\.|Decode\.  median|Exception"; done
echo "== bf16 --profile-ops"
JSGL_JAVA_OPTS="-Djsgl.amx.profile=true" T 120 $B --output-len 16 --probe-bytes 0 --profile-ops 2>&1 | grep -vE "^WARNING|^Decode [0-9]"
for bs in 16 64; do echo "== bf16 batch $bs"; T 150 jsgl bench-one-batch --model /tmp/l1b --backend cpu-amx --batch-size $bs --input-len 512 --output-len 16 --probe-bytes 0 2>&1 | grep -E "Prefill\.|Decode\.  median|Exception"; done
echo "== conformance --backend cpu-amx"
T 150 jsgl conformance --backend cpu-amx --fixtures /tmp/jsgl-amx/home/testdata --out "$OUT/conf" --no-progress 2>&1 | grep -v "^WARNING" | tail -4
echo "== ONEDNN_VERBOSE=1 (implementations)"
ONEDNN_VERBOSE=1 T 90 jsgl bench-one-batch --model /tmp/l1b --backend cpu-amx --batch-size 1 --input-len 128 --output-len 2 --probe-bytes 0 --no-warmup 2>&1 | grep -o "exec,cpu,matmul,[a-z_:0-9]*" | sort | uniq -c
