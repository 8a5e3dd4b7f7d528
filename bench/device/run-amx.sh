#!/usr/bin/env bash
# On the device machine: unpacks tmp/amxcli (see prepare-amx.sh) and evaluates "$*" with a `jsgl`
# function that runs the CLI with oneDNN's natives on the class path.
set -uo pipefail
A=tmp/amxcli
B=/tmp/jsgl-amx
mkdir -p "$B"
for t in jdk natives cli; do tar -C "$B" -xJf "$A/$t.tar.xz" || exit 1; done
# a script, not a function, so that `timeout` can run it
cat > "$B/jsgl" <<EOS
#!/usr/bin/env bash
exec "$B/jdk/bin/java" --enable-native-access=ALL-UNNAMED --add-modules jdk.incubator.vector -XX:+UseParallelGC -Xss4m \\
  \${JSGL_JAVA_OPTS:-} -Djsgl.home="$B/home" -Djsgl.amx.cache-dir=/tmp/jsgl-native \\
  -cp "$B/lib/*:$B/natives" io.jsgl.cli.JsglCli "\$@"
EOS
chmod +x "$B/jsgl"
# the module's test mains (GemmBench, KernelBench): jbench io.jsgl.backend.amx.GemmBench --model llama ...
cat > "$B/jbench" <<EOS
#!/usr/bin/env bash
exec "$B/jdk/bin/java" --enable-native-access=ALL-UNNAMED --add-modules jdk.incubator.vector -XX:+UseParallelGC -Xss4m \\
  \${JSGL_JAVA_OPTS:-} -Djsgl.amx.cache-dir=/tmp/jsgl-native -cp "$B/lib/*:$B/natives:$B/tc" "\$@"
EOS
chmod +x "$B/jbench"
export PATH="$B:$PATH"
eval "$*"
