#!/usr/bin/env bash
# On the device machine: the OpenCL backend's checks and benchmarks with the carried CLI bundle
# (bench/device/bundle.tar.xz) and backend-opencl/target/devlite (the module's test classes and
# JUnit jars; backend-opencl/README.md, "On the GPU machine", says how to build it). Steps, in order:
#   check  DeviceCheck (the module's JUnit tests on the GPU; CHECK_ARGS: test class simple names to run only those)
#   bench  OpenClBench $BENCH_ARGS (default: model)
#   model  jsgl random-model --preset llama3.2-1b --out /tmp/l1b
#   bob    jsgl bench-one-batch on /tmp/l1b, batch 1, 16 and 64, input 512, output 32
#   bob1   the same, batch 1 only
#   conf   jsgl conformance --backend opencl
#   jfr    bench-one-batch bs 1 with 512 decode steps under JFR ($OUT/decode.jfr)
# JOPTS adds JVM options (e.g. -Djsgl.opencl.fuse=false) to every java command. A backend-opencl jar
# in backend-opencl/target/devlite (cp backend-opencl/target/jsgl-backend-opencl-*.jar there) replaces the
# bundle's, so the backend can change without rebuilding the bundle.
set -uo pipefail
O=${OUT:-/tmp/out}
mkdir -p "$O"
B=/tmp/jsgl-bundle
[ -x "$B/jdk/bin/java" ] || { mkdir -p "$B" && tar -C "$B" -xJf bench/device/bundle.tar.xz; }
L=backend-opencl/target/devlite
if compgen -G "$L/jsgl-backend-opencl-*.jar" > /dev/null; then
  rm -f "$B"/lib/jsgl-backend-opencl-*.jar && cp "$L"/jsgl-backend-opencl-*.jar "$B/lib/"
fi
NV=$(ldconfig -p | grep -o '/[^ ]*libnvidia-opencl.so.1' | head -1)
mkdir -p "$B/icd" && echo "${NV:-libnvidia-opencl.so.1}" > "$B/icd/nvidia.icd"
export OCL_ICD_VENDORS="$B/icd" LD_LIBRARY_PATH="$B:${LD_LIBRARY_PATH:-}"
J=("$B/jdk/bin/java" --enable-native-access=ALL-UNNAMED --add-modules jdk.incubator.vector -XX:+UseParallelGC ${JOPTS:-})
CP="$L/opencl-tests.jar:$B/lib/*:$L/lib/*"
jsgl() { "${J[@]}" -Djsgl.home="$B/home" -cp "$B/lib/*" io.jsgl.cli.JsglCli "$@" 2>&1 | grep -v '^WARNING: Using incubator'; }
nvidia-smi --query-gpu=name,driver_version,clocks.sm,clocks.max.sm,clocks.mem --format=csv,noheader
for step in "$@"; do
  echo "== step $step ${JOPTS:-}"
  case $step in
    check)
      timeout 400 "${J[@]}" -cp "$CP" io.jsgl.backend.opencl.DeviceCheck ${CHECK_ARGS:-} > "$O/check${CHECK_ARGS:+-1}.log" 2>&1
      echo "DeviceCheck ${CHECK_ARGS:-} rc=$?"
      grep -E "^(FAIL|CONTAINER|PASS:)" "$O/check${CHECK_ARGS:+-1}.log" | cut -c1-500 | tail -24 ;;
    bench)
      timeout 500 "${J[@]}" -cp "$CP" io.jsgl.backend.opencl.OpenClBench ${BENCH_ARGS:-model} 2>&1 \
        | grep -v '^WARNING: Using incubator' | cut -c1-1600 ;;
    model) jsgl random-model --preset llama3.2-1b --out /tmp/l1b ;;
    bob)
      for bs in 1 16 64; do
        jsgl bench-one-batch --model /tmp/l1b --backend opencl --batch-size $bs --input-len 512 --output-len 32
      done ;;
    bob1) jsgl bench-one-batch --model /tmp/l1b --backend opencl --batch-size 1 --input-len 512 --output-len 32 ;;
    jfr)  # host-side CPU samples of a long decode, for `jfr print --events jdk.ExecutionSample`
      "${J[@]}" -XX:StartFlightRecording=filename=$O/decode.jfr,settings=profile -Djsgl.home="$B/home" -cp "$B/lib/*" \
        io.jsgl.cli.JsglCli bench-one-batch --model /tmp/l1b --backend opencl --batch-size 1 --input-len 512 \
        --output-len 512 --probe-bytes 0 2>&1 | grep -E "Prefill\.|Decode\.  median|Exception" ;;
    conf) jsgl conformance --backend opencl --no-progress --fixtures "$B/home/testdata" --out "$O/conf-opencl" | tail -6 ;;
  esac
done
