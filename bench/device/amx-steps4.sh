# Fourth device pass (sourced by run-amx.sh): N-sliced oneDNN prefill matmuls (amx.n-slice) and the
# OpenMP spin (GOMP_SPINCOUNT), GemmBench then bench-one-batch; conformance. Also in $OUT/device4.log.
exec > >(tee -a "$OUT/device4.log") 2>&1
T() { local s=$(date +%s); timeout "$@"; echo "   [rc=$? in $(( $(date +%s) - s ))s]"; }
for ns in 0 256 512 1024 2048; do
  echo "== GemmBench amx.n-slice=$ns"
  JSGL_JAVA_OPTS="-Djsgl.amx.n-slice=$ns" T 60 jbench io.jsgl.backend.amx.GemmBench --model llama --prefill-only --quant none --secs 0.4 --threads 16 2>&1 | grep -E "prefill|Exception|Error|WARN"
done
echo "== GemmBench w8a8 amx.n-slice=0 / 1024"
for ns in 0 1024; do JSGL_JAVA_OPTS="-Djsgl.amx.n-slice=$ns" T 60 jbench io.jsgl.backend.amx.GemmBench --model llama --prefill-only --quant w8a8_int8 --secs 0.4 --only gate_up,down --threads 16 2>&1 | grep -E "prefill|Exception"; done
T 60 jsgl random-model --preset llama3.2-1b --out /tmp/l1b 2>&1 | grep -v WARNING
B() { echo "== bench-one-batch $* [$(env | grep -E '^(OMP|GOMP|JSGL_JAVA)_' | tr '\n' ' ')]"
      T 90 jsgl bench-one-batch --model /tmp/l1b --backend cpu-amx --batch-size 1 --input-len 512 --output-len 32 "$@" 2>&1 | grep -E "Prefill|median|probe|Exception|Error"; }
for ns in 0 512 1024; do
  JSGL_JAVA_OPTS="-Djsgl.amx.n-slice=$ns" B --probe-bytes 0
  JSGL_JAVA_OPTS="-Djsgl.amx.n-slice=$ns" GOMP_SPINCOUNT=0 B --probe-bytes 0
done
GOMP_SPINCOUNT=3000 B --probe-bytes 0
GOMP_SPINCOUNT=0 B
GOMP_SPINCOUNT=0 JSGL_JAVA_OPTS="-Djsgl.amx.spin-us=100" B
GOMP_SPINCOUNT=0 JSGL_JAVA_OPTS="-Djsgl.amx.spin-us=300" B
GOMP_SPINCOUNT=0 B --quantization w8a8_int8
echo "== profile (GOMP_SPINCOUNT=0, amx.profile)"
GOMP_SPINCOUNT=0 JSGL_JAVA_OPTS="-Djsgl.amx.profile=true" T 90 jsgl bench-one-batch --model /tmp/l1b --backend cpu-amx --batch-size 1 --input-len 512 --output-len 32 --probe-bytes 0 --profile-ops 2>&1 | grep -v WARNING
echo "== conformance --backend cpu-amx"
T 150 jsgl conformance --backend cpu-amx --fixtures /tmp/jsgl-amx/home/testdata --out "$OUT/conf" --no-progress 2>&1 | grep -v "^WARNING" | tail -4
