# Seventh device pass (sourced by run-amx.sh), session 3: the two-stream decode GEMV, split decode
# attention and the final residual add folded into the final norm; OpenMP-driven against Java-driven
# prefill GEMMs (amx.gemm-driver=java: single-threaded oneDNN calls per 256-column N slice on the
# Java workers). Also in $OUT/device7.log.
exec > >(tee -a "$OUT/device7.log") 2>&1
T() { local s=$(date +%s); timeout "$@"; echo "   [rc=$? in $(( $(date +%s) - s ))s]"; }
lscpu | grep -E "Model name|^CPU\(s\)|Thread"
for opts in "" "-Djsgl.amx.gemm-driver=java"; do
  echo "== GemmBench prefill [$opts]"
  JSGL_JAVA_OPTS="$opts" T 60 jbench io.jsgl.backend.amx.GemmBench --model llama --prefill-only --quant none,w8a8_int8 --secs 0.4 --threads 16 2>&1 | grep -E "prefill|Exception"
done
echo "== GemmBench decode (GEMV GB/s vs read bandwidth)"
T 90 jbench io.jsgl.backend.amx.GemmBench --model llama --quant none --secs 0.4 --threads 16 2>&1 | grep -E "peak|bandwidth|decode .*GEMV|Exception"
T 60 jsgl random-model --preset llama3.2-1b --out /tmp/l1b 2>&1 | grep -v WARNING
for rep in 1 2; do for opts in "" "-Djsgl.amx.gemm-driver=java"; do
  echo "== bench-one-batch bf16 rep $rep [$opts]"
  JSGL_JAVA_OPTS="$opts" T 90 jsgl bench-one-batch --model /tmp/l1b --backend cpu-amx --batch-size 1 --input-len 512 --output-len 32 2>&1 | grep -E "Prefill\.|Decode\.  median|streaming|probe|Exception"
done; done
for q in none w8a8_int8; do
  echo "== bench-one-batch $q --profile-ops [-Djsgl.amx.gemm-driver=java]"
  JSGL_JAVA_OPTS="-Djsgl.amx.gemm-driver=java" T 90 jsgl bench-one-batch --model /tmp/l1b --backend cpu-amx --quantization $q --batch-size 1 --input-len 512 --output-len 32 --profile-ops --probe-bytes 0 2>&1 | grep -vE "^WARNING|^Decode [0-9]"
done
echo "== bench-one-batch bs 16 [java driver]"
JSGL_JAVA_OPTS="-Djsgl.amx.gemm-driver=java" T 90 jsgl bench-one-batch --model /tmp/l1b --backend cpu-amx --batch-size 16 --input-len 512 --output-len 16 --probe-bytes 0 2>&1 | grep -E "Prefill\.|Decode\.  median|Exception"
echo "== conformance --backend cpu-amx (java driver)"
JSGL_JAVA_OPTS="-Djsgl.amx.gemm-driver=java" T 150 jsgl conformance --backend cpu-amx --fixtures /tmp/jsgl-amx/home/testdata --out "$OUT/conf" --no-progress 2>&1 | grep -v "^WARNING" | tail -5
