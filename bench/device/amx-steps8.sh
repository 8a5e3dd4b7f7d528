# Eighth device pass (sourced by run-amx.sh), session 3: the Java GEMM driver with a slice per
# worker, attention tasks on the workers and row chunks (amx.m-chunk) against OpenMP. Also in $OUT/device8.log.
exec > >(tee -a "$OUT/device8.log") 2>&1
T() { local s=$(date +%s); timeout "$@"; echo "   [rc=$? in $(( $(date +%s) - s ))s]"; }
J="-Djsgl.amx.gemm-driver=java"
for opts in "" "$J" "$J -Djsgl.amx.m-chunk=128" "$J -Djsgl.amx.m-chunk=64"; do
  echo "== GemmBench prefill [$opts]"
  JSGL_JAVA_OPTS="$opts" T 60 jbench io.jsgl.backend.amx.GemmBench --model llama --prefill-only --quant none --secs 0.4 --threads 16 2>&1 | grep -E "prefill llama|Exception"
done
T 60 jsgl random-model --preset llama3.2-1b --out /tmp/l1b 2>&1 | grep -v WARNING
for rep in 1 2; do for opts in "" "$J" "$J -Djsgl.amx.m-chunk=128" "$J -Djsgl.amx.m-chunk=64"; do
  echo "== bench-one-batch bf16 rep $rep [$opts]"
  JSGL_JAVA_OPTS="$opts" T 90 jsgl bench-one-batch --model /tmp/l1b --backend cpu-amx --batch-size 1 --input-len 512 --output-len 16 --probe-bytes 0 2>&1 | grep -E "Prefill\.|Decode\.  median|Exception"
done; done
echo "== bench-one-batch bf16 --profile-ops [$J]"
JSGL_JAVA_OPTS="$J -Djsgl.amx.profile=true" T 90 jsgl bench-one-batch --model /tmp/l1b --backend cpu-amx --batch-size 1 --input-len 512 --output-len 16 --profile-ops --probe-bytes 0 2>&1 | grep -vE "^WARNING|^Decode [0-9]"
