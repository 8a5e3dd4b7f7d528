# Fourteenth device pass (sourced by run-amx.sh), session 4: the Java GEMM driver's task plans
# (GemmTiling) against pinned slices/parts, per Llama-3.2-1B prefill-512 product (GemmBench), then
# end to end: three plain runs, one with amx.profile (per-phase medians), decode on the four-stream
# GEMV against the two-stream one (-Damx.gemv2=true). Also in $OUT/device14.log.
exec > >(tee -a "$OUT/device14.log") 2>&1
T() { local s=$(date +%s); timeout "$@"; echo "   [rc=$? in $(( $(date +%s) - s ))s]"; }
head -1 /proc/stat
T 60 jsgl random-model --preset llama3.2-1b --out /tmp/l1b 2>&1 | grep -v WARNING
for o in "" "-Djsgl.amx.n-slice=128 -Djsgl.amx.m-parts=1" "-Djsgl.amx.n-slice=256 -Djsgl.amx.m-parts=1" \
         "-Djsgl.amx.n-slice=256 -Djsgl.amx.m-parts=2" "-Djsgl.amx.n-slice=128 -Djsgl.amx.m-parts=2" \
         "-Djsgl.amx.n-slice=512 -Djsgl.amx.m-parts=1" "-Djsgl.amx.n-slice=64 -Djsgl.amx.m-parts=1" ""; do
  echo "== gemm $o"
  JSGL_JAVA_OPTS="$o" T 120 jbench io.jsgl.backend.amx.GemmBench --model llama --prefill-only --quant none --threads 16 --secs 1 --only qkv,o,gate_up,down 2>&1 | grep -E "prefill llama" | sed -E 's/ \(.*peak\)//; s/brg_matmul:avx10_1_512_amx, //'
done
B="bench-one-batch --model /tmp/l1b --backend cpu-amx --batch-size 1"
for rep in 1 2 3; do echo "== plain $rep"; T 90 jsgl $B --input-len 512 --output-len 32 --probe-bytes 0 2>&1 | grep -E "Prefill\.|Decode\.  median|Exception"; done
echo "== amx.profile"; JSGL_JAVA_OPTS="-Djsgl.amx.profile=true" T 90 jsgl $B --input-len 512 --output-len 4 --probe-bytes 0 2>&1 | grep -E "Prefill\.|^  [a-z]|Exception"
for v in true false true false; do echo "== gemv2=$v"; JSGL_JAVA_OPTS="-Damx.gemv2=$v" T 90 jsgl $B --input-len 128 --output-len 64 2>&1 | grep -E "Decode\.  median|streaming|probe|Exception"; done
head -1 /proc/stat
