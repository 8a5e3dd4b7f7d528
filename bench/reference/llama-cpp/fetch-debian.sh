#!/usr/bin/env bash
# Unpacks Debian unstable's llama.cpp (llama-bench and the ggml CPU backends for every x86 level)
# with the glibc and libstdc++ it was built against into DIR, and writes DIR/run,
# which starts a tool through that glibc's own loader: Debian 12 is too old to install the
# packages, and nothing outside Debian's mirror and the npm registry downloads here.
#   bash fetch-debian.sh /tmp/lcpp
#   /tmp/lcpp/run llama-bench -m q05.gguf -t 2 -p 512 -n 0
set -euo pipefail
dir=${1:?usage: fetch-debian.sh DIR}
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
packages=(llama.cpp-tools libllama0 libggml0 libc6 libstdc++6 libgcc-s1 libgomp1 libssl3t64 libzstd1 libcurl4t64)
mkdir -p "$dir/debs" "$dir/root"
dir=$(cd "$dir" && pwd)
curl -fsS -m 300 -o "$dir/Packages.xz" "$mirror/dists/sid/main/binary-amd64/Packages.xz"
xz -dc "$dir/Packages.xz" > "$dir/Packages"
for p in "${packages[@]}"; do
  file=$(awk -v P="$p" '$0 == "Package: " P {found = 1} found && /^Filename:/ {print $2; exit}' "$dir/Packages")
  [[ -n "$file" ]] || { echo "error: $p is not in sid" >&2; exit 1; }
  curl -fsS -m 300 -o "$dir/debs/$(basename "$file")" "$mirror/$file"
  dpkg-deb -x "$dir/debs/$(basename "$file")" "$dir/root"
done
bash "$(dirname "${BASH_SOURCE[0]}")/write-runner.sh" "$dir"
echo "llama.cpp $(awk '$0 == "Package: llama.cpp-tools" {f = 1} f && /^Version:/ {print $2; exit}' "$dir/Packages") in $dir"
