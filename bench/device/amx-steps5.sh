# Fifth device pass (sourced by run-amx.sh): the new defaults (GOMP_SPINCOUNT=0, bf16 prefill
# matmuls in 256-column slices) against amx.n-slice=0/128, int8, profile, conformance. Also in $OUT/device5.log.
exec > >(tee -a "$OUT/device5.log") 2>&1
T() { local s=$(date +%s); timeout "$@"; echo "   [rc=$? in $(( $(date +%s) - s ))s]"; }
echo "== GemmBench amx.n-slice=128"
JSGL_JAVA_OPTS="-Djsgl.amx.n-slice=128" T 60 jbench io.jsgl.backend.amx.GemmBench --model llama --prefill-only --quant none --secs 0.4 --only gate_up,down --threads 16 2>&1 | grep -E "prefill|Exception"
T 60 jsgl random-model --preset llama3.2-1b --out /tmp/l1b 2>&1 | grep -v WARNING
B() { echo "== bench-one-batch $* [$(env | grep -E '^(OMP|GOMP|JSGL_JAVA)_' | tr '\n' ' ')]"
      T 90 jsgl bench-one-batch --model /tmp/l1b --backend cpu-amx --batch-size 1 --input-len 512 --output-len 32 "$@" 2>&1 | grep -E "Prefill|median|probe|Exception|Error"; }
B
B --probe-bytes 0
B --probe-bytes 0
JSGL_JAVA_OPTS="-Djsgl.amx.n-slice=0" B --probe-bytes 0
JSGL_JAVA_OPTS="-Djsgl.amx.n-slice=0" B --probe-bytes 0
JSGL_JAVA_OPTS="-Djsgl.amx.n-slice=128" B --probe-bytes 0
B --quantization w8a8_int8
B --quantization w8a8_int8 --probe-bytes 0
echo "== profile (defaults, amx.profile)"
JSGL_JAVA_OPTS="-Djsgl.amx.profile=true" T 90 jsgl bench-one-batch --model /tmp/l1b --backend cpu-amx --batch-size 1 --input-len 512 --output-len 32 --probe-bytes 0 --profile-ops 2>&1 | grep -v WARNING
echo "== conformance --backend cpu-amx"
T 150 jsgl conformance --backend cpu-amx --fixtures /tmp/jsgl-amx/home/testdata --out "$OUT/conf" --no-progress 2>&1 | grep -v "^WARNING" | tail -4
echo "== cpu-avx512 --profile-ops (decode attention per call, for comparison)"
T 90 jsgl bench-one-batch --model /tmp/l1b --backend cpu-avx512 --batch-size 1 --input-len 512 --output-len 32 --probe-bytes 0 --profile-ops 2>&1 | grep -E "Prefill|median|Op profile|attention|gate_up"
