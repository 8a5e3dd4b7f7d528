# Sourced by run-avx512.sh on the device machine (see prepare-llamacpp.sh): jsgl's cpu-avx512 (the
# device pack has no oneDNN) against Debian's llama-bench on all 16 cores, taking turns.
mkdir -p /tmp/lcpp/root && tar -C /tmp/lcpp/root -xJf tmp/lcppdev/lcpp.tar.xz
bash bench/reference/llama-cpp/write-runner.sh /tmp/lcpp
lscpu | grep -E '^(Model name|CPU\(s\)|Thread|Core|Socket)'
python3 --version
for preset in qwen2.5-0.5b llama3.2-1b; do
  jsgl random-model --preset $preset --out /tmp/$preset > /dev/null
  JSGL=$(command -v jsgl) timeout 270 bash bench/reference/llama-cpp/compare.sh /tmp/lcpp /tmp/$preset 16 2 cpu-avx512 2>&1 \
    | grep -v WARNING | tee -a "$OUT/llamacpp-$preset.txt"
done
