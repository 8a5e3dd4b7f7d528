# Nineteenth device pass (sourced by run-amx.sh), session 4: the conformance kit with the bundle's
# fixture models (--fixtures; earlier passes found none on the device, so only op cases ran), and
# oneDNN's log of one bench run for the ISA. Also in $OUT/device19.log.
exec > >(tee -a "$OUT/device19.log") 2>&1
T() { local s=$(date +%s); timeout "$@"; echo "   [rc=$? in $(( $(date +%s) - s ))s]"; }
echo "== conformance"; T 400 jsgl conformance --backend cpu-amx --no-progress --fixtures /tmp/jsgl-amx/home/testdata --out "$OUT/conf-amx" 2>&1 | grep -E "PASS|FAIL|UNSUPPORTED|conformance:" | tail -40
T 60 jsgl random-model --preset llama3.2-1b --out /tmp/l1b 2>&1 | grep -v WARNING
echo "== verbose"; JSGL_JAVA_OPTS="-Djsgl.amx.verbose=1" T 90 jsgl bench-one-batch --model /tmp/l1b --backend cpu-amx --batch-size 1 --input-len 512 --output-len 2 --probe-bytes 0 2>&1 | grep -o "brg_matmul:[a-z0-9_]*" | sort | uniq -c
