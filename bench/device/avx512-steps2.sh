# Second cpu-avx512 device pass (sourced by run-avx512.sh): pass 1's 16-thread ratios swung
# (peak windows 886-1199 GFLOP/s), so more pairs, the 16 C peak copies summed, 8 threads, and
# decode on 2 threads beside the 2-core dev box. Everything goes to $OUT/avx2.log too.
exec > >(tee -a "$OUT/avx2.log") 2>&1
T() { local s=$(date +%s); timeout "$@"; echo "   [rc=$? in $(( $(date +%s) - s ))s]"; }
N=$(nproc)
for round in 1 2; do
  echo "== C FMA peak, one copy per core at once, round $round: the 16-chain figure of each copy's 2 rounds, summed"
  P=""; for c in $(seq 0 $((N-1))); do taskset -c $c fma-peak 2 > /tmp/pk.$c & P="$P $!"; done; wait $P  # not a bare wait: it would wait for the tee too
  cat /tmp/pk.* | grep -o "16: [0-9.]*" | awk '{s+=$2; n++} END {printf "%d windows, sum over copies (per round) %.0f GFLOP/s, mean per core %.1f\n", n, s/2, s/n}'
done
echo "== Java PairedRatios, $N threads, 25 pairs"
T 200 jbench io.jsgl.backend.avx512.PairedRatios 25 512x896x9728 512x4864x896 512x2048x16384 512x8192x2048 2>&1 | grep -E "GEMM|GEMV|threads"
echo "== Java PairedRatios, 8 threads, 15 pairs"
JSGL_JAVA_OPTS="-Dbench.threads=8" T 120 jbench io.jsgl.backend.avx512.PairedRatios 15 512x896x9728 512x4864x896 1x896x9728 1x4864x896 2>&1 | grep -E "GEMM|GEMV|threads"
T 60 jsgl random-model --preset qwen2.5-0.5b --out /tmp/q05 2>&1 | grep -v WARNING
for th in 2 16; do
  echo "== bench-one-batch qwen2.5-0.5b cpu-avx512 --threads $th, prefill 512"
  T 120 jsgl bench-one-batch --model /tmp/q05 --backend cpu-avx512 --threads $th --batch-size 1 --input-len 512 --output-len 4 2>&1 | grep -E "Prefill"
  echo "== bench-one-batch qwen2.5-0.5b cpu-avx512 --threads $th, decode (input 128, output 96)"
  T 120 jsgl bench-one-batch --model /tmp/q05 --backend cpu-avx512 --threads $th --batch-size 1 --input-len 128 --output-len 96 2>&1 | grep -E "Decode\.|GB/s|probe"
done
