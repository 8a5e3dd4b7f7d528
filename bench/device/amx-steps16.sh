# Sixteenth device pass (sourced by run-amx.sh), session 4, final code: prefill-512 with the planned
# tiles (128 x 256) against whole-M 128-column slices (about the tiling before GemmTiling), alternating
# on one machine; decode; the conformance kit. Also in $OUT/device16.log.
exec > >(tee -a "$OUT/device16.log") 2>&1
T() { local s=$(date +%s); timeout "$@"; echo "   [rc=$? in $(( $(date +%s) - s ))s]"; }
head -1 /proc/stat
T 60 jsgl random-model --preset llama3.2-1b --out /tmp/l1b 2>&1 | grep -v WARNING
B="bench-one-batch --model /tmp/l1b --backend cpu-amx --batch-size 1 --input-len 512 --output-len 32"
for rep in 1 2 3; do
  echo "== planned $rep"; T 90 jsgl $B 2>&1 | grep -E "Prefill\.|Decode\.  median|streaming|probe|Exception"
  echo "== whole-M 128 $rep"; JSGL_JAVA_OPTS="-Djsgl.amx.n-slice=128 -Djsgl.amx.m-parts=1" T 90 jsgl $B --probe-bytes 0 2>&1 | grep -E "Prefill\.|Exception"
done
echo "== conformance"; T 300 jsgl conformance --backend cpu-amx --no-progress 2>&1 | grep -E "PASS|FAIL|conformance:" | tail -4
echo "== verbose"; ONEDNN_VERBOSE=1 T 90 jsgl $B --output-len 2 --probe-bytes 0 2>&1 | grep -c "exec,cpu,matmul,brg_matmul:avx10_1_512_amx"
head -1 /proc/stat
