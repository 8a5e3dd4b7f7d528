# Twentieth device pass (sourced by run-amx.sh), session 17: which path should serve cpu-amx's
# decode batches of 2-4 rows on 16 cores, the Java GEMV (a pass per row) or oneDNN
# (-Djsgl.amx.gemv-max-rows=1), taking turns. Also in $OUT/device20.log.
exec > >(tee -a "$OUT/device20.log") 2>&1
T() { local s=$(date +%s); timeout "$@"; echo "   [rc=$? in $(( $(date +%s) - s ))s]"; }
for preset in qwen2.5-0.5b llama3.2-1b; do
  T 60 jsgl random-model --preset $preset --out /tmp/$preset 2>&1 | grep -v WARNING
  for bs in 2 3 4; do
    for rows in 4 1 4 1; do
      echo -n "$preset bs$bs gemv-max-rows=$rows: "
      JSGL_JAVA_OPTS="-Djsgl.amx.gemv-max-rows=$rows" timeout 60 jsgl bench-one-batch --model /tmp/$preset --backend cpu-amx \
        --batch-size $bs --input-len 128 --output-len 32 --probe-bytes 0 2>&1 | grep -E "^Decode\." | sed 's/.*median throughput: *//'
    done
  done
done
