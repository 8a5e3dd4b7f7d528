# Third device pass (sourced by run-amx.sh): where the oneDNN prefill time goes on the 16-vCPU Xeon.
# Topology and CPU quota, GemmBench gate_up/down scaling over threads and OpenMP settings, then
# bench-one-batch with the same variants. Everything goes to $OUT/device3.log as well.
exec > >(tee -a "$OUT/device3.log") 2>&1
T() { local s=$(date +%s); timeout "$@"; echo "   [rc=$? in $(( $(date +%s) - s ))s]"; }
lscpu | grep -E "Model name|^CPU\(s\)|Thread|Core|Socket|NUMA node|MHz|L2|Hypervisor"
lscpu -e | head -20
echo "cpu.max: $(cat /sys/fs/cgroup/cpu.max 2>/dev/null)  $(grep Cpus_allowed_list /proc/self/status)  nproc=$(nproc)"
G() { echo "== GemmBench $* [$(env | grep -E '^(OMP|GOMP|KMP)_' | tr '\n' ' ')]"
      T 60 jbench io.jsgl.backend.amx.GemmBench --model llama --prefill-only --quant none --secs 0.4 "$@" 2>&1 | grep -E "prefill|Exception|Error"; }
G --only gate_up,down --threads 16
G --only gate_up --threads 8
G --only gate_up --threads 4
G --only gate_up --threads 1
OMP_PROC_BIND=close OMP_PLACES=cores G --only gate_up,down --threads 16
OMP_PROC_BIND=spread OMP_PLACES=threads G --only gate_up --threads 8
OMP_WAIT_POLICY=active G --only gate_up --threads 16
echo "== ONEDNN_VERBOSE=1 gate_up (exec ms of the last calls)"
ONEDNN_VERBOSE=1 timeout 60 jbench io.jsgl.backend.amx.GemmBench --model llama --prefill-only --quant none --secs 0.3 --only gate_up --threads 16 > "$OUT/gverbose.log" 2>&1
grep "exec,cpu,matmul" "$OUT/gverbose.log" | grep "512x2048:2048x16384" | tail -3
grep "exec,cpu,matmul" "$OUT/gverbose.log" | grep "512x2048:2048x16384" | awk -F, '{print $NF}' | sort -n | awk '{a[NR]=$1} END {print "gate_up exec ms: n=" NR " min=" a[1] " median=" a[int(NR/2)+1] " max=" a[NR]}'
grep -m3 -E "info,cpu,(isa|runtime)" "$OUT/gverbose.log"
T 60 jsgl random-model --preset llama3.2-1b --out /tmp/l1b 2>&1 | grep -v WARNING
B() { echo "== bench-one-batch $* [$(env | grep -E '^(OMP|GOMP|JSGL_JAVA)_' | tr '\n' ' ')]"
      T 90 jsgl bench-one-batch --model /tmp/l1b --backend cpu-amx --batch-size 1 --input-len 512 --output-len 32 --probe-bytes 0 "$@" 2>&1 | grep -E "Prefill|median|Exception|Error"; }
B
B --threads 8
OMP_PROC_BIND=close OMP_PLACES=cores B
JSGL_JAVA_OPTS="-Djsgl.amx.spin-us=0" B
OMP_WAIT_POLICY=passive B
echo "== ONEDNN_VERBOSE=1 + amx.profile, prefill 512"
ONEDNN_VERBOSE=1 JSGL_JAVA_OPTS="-Djsgl.amx.profile=true" timeout 90 jsgl bench-one-batch --model /tmp/l1b --backend cpu-amx --batch-size 1 --input-len 512 --output-len 4 --probe-bytes 0 --profile-ops > "$OUT/bverbose.log" 2>&1
grep -E "Prefill|^  (linear|attention|gated|rms)" "$OUT/bverbose.log" | head -30
grep "exec,cpu,matmul" "$OUT/bverbose.log" | awk -F, '{split($(NF-1),s,":"); k=$7 " " $(NF-1); n[k]++; t[k]+=$NF} END {for (k in n) printf "%8.2f ms %5d calls %s\n", t[k], n[k], k}' | sort -rn | head -14
