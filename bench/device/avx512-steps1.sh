# First cpu-avx512 device pass (sourced by run-avx512.sh): does the GEMM reach 0.8 of the FMA peak
# on a server core, and what do the C references reach there. Everything goes to $OUT/avx1.log too.
exec > >(tee -a "$OUT/avx1.log") 2>&1
T() { local s=$(date +%s); timeout "$@"; echo "   [rc=$? in $(( $(date +%s) - s ))s]"; }
lscpu | grep -E "Model name|^CPU\(s\)|Thread|L1d|L2|L3|MHz"; N=$(nproc)
echo "== C FMA peak, one core"; T 30 fma-peak 2
echo "== C FMA peak, one copy per core at once (core 0's and core $((N-1))'s lines)"
P=""; for c in $(seq 0 $((N-1))); do taskset -c $c fma-peak 2 > /tmp/pk.$c & P="$P $!"; done; wait $P  # not a bare wait: it would wait for the tee too
 tail -2 /tmp/pk.0 | head -1; tail -2 /tmp/pk.$((N-1)) | head -1
echo "== C micro-kernels, one core (KC 1024, 16 tiles)"; T 60 micro-kernel 1024 16 2
echo "== Java PairedRatios, $N threads"
T 200 jbench io.jsgl.backend.avx512.PairedRatios 10 512x896x9728 512x4864x896 512x2048x16384 512x8192x2048 1x896x9728 1x4864x896 1x896x151936 2>&1 | grep -E "GEMM|GEMV|threads"
echo "== Java PairedRatios, 2 threads"
JSGL_JAVA_OPTS="-Dbench.threads=2" T 120 jbench io.jsgl.backend.avx512.PairedRatios 10 512x896x9728 512x4864x896 1x896x9728 2>&1 | grep -E "GEMM|GEMV|threads"
echo "== Java PairedRatios, 1 thread"
JSGL_JAVA_OPTS="-Dbench.threads=1" T 120 jbench io.jsgl.backend.avx512.PairedRatios 10 512x896x9728 512x4864x896 2>&1 | grep -E "GEMM|GEMV|threads"
echo "== OpenBLAS sgemm paired with the C peak, $N and 2 threads"
for s in "512 896 9728" "512 4864 896"; do OPENBLAS_THREAD_TIMEOUT=4 T 60 openblas-paired $s 10 $N; OPENBLAS_THREAD_TIMEOUT=4 T 60 openblas-paired $s 10 2; done
T 60 jsgl random-model --preset qwen2.5-0.5b --out /tmp/q05 2>&1 | grep -v WARNING
for bs in 1; do
  echo "== bench-one-batch qwen2.5-0.5b cpu-avx512 prefill 512"
  T 120 jsgl bench-one-batch --model /tmp/q05 --backend cpu-avx512 --batch-size 1 --input-len 512 --output-len 4 2>&1 | grep -E "Prefill|Decode\.|GB/s|Total"
  echo "== bench-one-batch qwen2.5-0.5b cpu-avx512 decode (input 128, output 96)"
  T 120 jsgl bench-one-batch --model /tmp/q05 --backend cpu-avx512 --batch-size 1 --input-len 128 --output-len 96 2>&1 | grep -E "Prefill|Decode\.|GB/s|Total"
done
