# Twenty-first device pass (sourced by run-amx.sh), session 17: pass 20 again after the cpu-amx GEMV
# took 2-4 rows in one pass (13418d0): the Java GEMV (gemv-max-rows=4) against oneDNN (=1) on 16
# cores, taking turns, Llama-3.2-1B (the pack has no Qwen tokenizer). Also in $OUT/device21.log.
exec > >(tee -a "$OUT/device21.log") 2>&1
T() { local s=$(date +%s); timeout "$@"; echo "   [rc=$? in $(( $(date +%s) - s ))s]"; }
T 60 jsgl random-model --preset llama3.2-1b --out /tmp/llama3.2-1b 2>&1 | grep -v WARNING
for bs in 1 2 3 4; do
  for rows in 4 1 4 1; do
    echo -n "llama3.2-1b bs$bs gemv-max-rows=$rows: "
    JSGL_JAVA_OPTS="-Djsgl.amx.gemv-max-rows=$rows" timeout 60 jsgl bench-one-batch --model /tmp/llama3.2-1b --backend cpu-amx \
      --batch-size $bs --input-len 128 --output-len 32 --probe-bytes 0 2>&1 | grep -E "^Decode\." | sed 's/.*median throughput: *//'
  done
done
