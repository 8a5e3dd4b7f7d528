# Twelfth device pass (sourced by run-amx.sh), session 3: decode batches of 2 and 4 rows on the Java
# GEMV (amx.gemv-max-rows=4, one pass per row) against oneDNN (gemv-max-rows=1). Also in $OUT/device12.log.
exec > >(tee -a "$OUT/device12.log") 2>&1
T() { local s=$(date +%s); timeout "$@"; echo "   [rc=$? in $(( $(date +%s) - s ))s]"; }
T 60 jsgl random-model --preset llama3.2-1b --out /tmp/l1b 2>&1 | grep -v WARNING
for rep in 1 2; do for bs in 1 2 4; do for g in 4 1; do
  echo "== bs $bs gemv-max-rows $g rep $rep"
  JSGL_JAVA_OPTS="-Djsgl.amx.gemv-max-rows=$g" T 90 jsgl bench-one-batch --model /tmp/l1b --backend cpu-amx --batch-size $bs --input-len 128 --output-len 32 --probe-bytes 0 2>&1 | grep -E "Decode\.  median|Exception"
done; done; done
