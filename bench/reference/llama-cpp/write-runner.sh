#!/usr/bin/env bash
# Writes DIR/run, which starts a tool of DIR/root/usr/bin (Debian sid's llama.cpp, unpacked by
# fetch-debian.sh) through the glibc unpacked beside it, with its libraries, on an older system.
set -euo pipefail
dir=$(cd "${1:?usage: write-runner.sh DIR}" && pwd)
lib=$dir/root/usr/lib/x86_64-linux-gnu
# ggml looks for its CPU backends beside the executable, which is the loader when it is started
# through one, so the loader goes into the backends' folder
cp "$lib/ld-linux-x86-64.so.2" "$lib/ggml/backends0/ld.so"
cat > "$dir/run" <<EOS
#!/usr/bin/env bash
exec "$lib/ggml/backends0/ld.so" --library-path "$lib:$lib/llama" "$dir/root/usr/bin/\$1" "\${@:2}" \\
  2> >(grep -v 'failed to enumerate' >&2)
EOS
chmod +x "$dir/run"
