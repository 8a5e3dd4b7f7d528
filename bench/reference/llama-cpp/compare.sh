#!/usr/bin/env bash
# jsgl against llama.cpp on this machine, taking turns so that the machine's drift hits all
# engines alike: jsgl bench-one-batch on each named backend, Debian's llama-bench, and llama.cpp
# through node-llama-cpp (when node and node/node_modules are there). Same shapes (the model
# converted by hf_to_gguf.py), bf16 weights, prefill of 512 tokens, bs1 decode after a
# 128-token prompt.
#   bash fetch-debian.sh /tmp/lcpp && (cd node && npm install --ignore-scripts)
#   bash compare.sh /tmp/lcpp MODEL_DIR THREADS ROUNDS [BACKEND,BACKEND...]
# JSGL names the jsgl launcher (default: the repository's ./jsgl).
set -euo pipefail
lcpp=${1:?usage: compare.sh LCPP_DIR MODEL_DIR THREADS ROUNDS [BACKEND,BACKEND...]}
model=${2:?}; threads=${3:?}; rounds=${4:?}; backends=${5:-cpu-avx512}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
jsgl=${JSGL:-$here/../../../jsgl}
gguf="$lcpp/$(basename "$model").gguf"
if [[ ! -f "$gguf" ]]; then
  python3 "$here/hf_to_gguf.py" "$model" "$gguf"
fi
for ((r = 0; r < rounds; r++)); do
  echo "== round $r"
  for backend in ${backends//,/ }; do
    "$jsgl" bench-one-batch --model "$model" --backend "$backend" --threads "$threads" \
      --batch-size 1 --input-len 512 --output-len 4 | grep '^Prefill' | sed "s/^/jsgl $backend prefill-512: /"
    "$jsgl" bench-one-batch --model "$model" --backend "$backend" --threads "$threads" \
      --batch-size 1 --input-len 128 --output-len 64 | grep -E '^Decode\. |^Decode weight|^Bandwidth' \
      | sed "s/^/jsgl $backend decode: /"
  done
  "$lcpp/run" llama-bench -m "$gguf" -t "$threads" -p 512 -n 0 -r 3 2>/dev/null | grep pp512 | sed 's/^/llama-bench: /'
  "$lcpp/run" llama-bench -m "$gguf" -t "$threads" -p 0 -n 64 -d 128 -r 3 2>/dev/null | grep tg64 | sed 's/^/llama-bench: /'
  if command -v node >/dev/null && [[ -d "$here/node/node_modules" ]]; then
    (cd "$here/node" && node bench.mjs "$gguf" "$threads" 512 64 1)
  fi
done
