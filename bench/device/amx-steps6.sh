# Sixth device pass (not run yet; sourced by run-amx.sh): amx.gemm-driver=java (wide prefill matmuls as
# single-threaded oneDNN calls per N slice on the Java workers) against the OpenMP default. Also in $OUT/device6.log.
exec > >(tee -a "$OUT/device6.log") 2>&1
T() { local s=$(date +%s); timeout "$@"; echo "   [rc=$? in $(( $(date +%s) - s ))s]"; }
for opts in "" "-Djsgl.amx.gemm-driver=java" "-Djsgl.amx.gemm-driver=java -Djsgl.amx.n-slice=512" "-Djsgl.amx.gemm-driver=java -Djsgl.amx.slice-min-kib=0"; do
  echo "== GemmBench [$opts]"
  JSGL_JAVA_OPTS="$opts" T 60 jbench io.jsgl.backend.amx.GemmBench --model llama --prefill-only --quant none,w8a8_int8 --secs 0.4 --threads 16 2>&1 | grep -E "prefill|Exception"
done
T 60 jsgl random-model --preset llama3.2-1b --out /tmp/l1b 2>&1 | grep -v WARNING
for rep in 1 2; do for opts in "" "-Djsgl.amx.gemm-driver=java"; do for q in none w8a8_int8; do
  echo "== bench-one-batch $q [$opts]"
  JSGL_JAVA_OPTS="$opts" T 90 jsgl bench-one-batch --model /tmp/l1b --backend cpu-amx --quantization $q --batch-size 1 --input-len 512 --output-len 32 --probe-bytes 0 2>&1 | grep -E "Prefill|median|Exception"
done; done; done
echo "== conformance --backend cpu-amx (java driver)"
JSGL_JAVA_OPTS="-Djsgl.amx.gemm-driver=java" T 150 jsgl conformance --backend cpu-amx --fixtures /tmp/jsgl-amx/home/testdata --out "$OUT/conf" --no-progress 2>&1 | grep -v "^WARNING" | tail -5
