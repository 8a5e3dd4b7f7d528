#!/usr/bin/env bash
# On the device machine: unpacks tmp/avxcli (see prepare-avx512.sh) and evaluates "$*" with a `jsgl`
# function that runs the CLI with the jars of prepare-avx512.sh.
set -uo pipefail
A=tmp/avxcli
B=/tmp/jsgl-avx
mkdir -p "$B"
for t in jdk cli; do tar -C "$B" -xJf "$A/$t.tar.xz" || exit 1; done
# a script, not a function, so that `timeout` can run it
cat > "$B/jsgl" <<EOS
#!/usr/bin/env bash
exec "$B/jdk/bin/java" --enable-native-access=ALL-UNNAMED --add-modules jdk.incubator.vector -XX:+UseParallelGC -Xss4m \\
  \${JSGL_JAVA_OPTS:-} -Djsgl.home="$B/home" \\
  -cp "$B/lib/*" io.jsgl.cli.JsglCli "\$@"
EOS
chmod +x "$B/jsgl"
# the module's test mains (PairedRatios, GemmFromDram): jbench io.jsgl.backend.avx512.PairedRatios 10 512x896x9728
cat > "$B/jbench" <<EOS
#!/usr/bin/env bash
exec "$B/jdk/bin/java" --enable-native-access=ALL-UNNAMED --add-modules jdk.incubator.vector -XX:+UseParallelGC -Xss4m \\
  \${JSGL_JAVA_OPTS:-} -cp "$B/lib/*:$B/tc" "\$@"
EOS
chmod +x "$B/jbench"
export PATH="$B:$B/ref:$PATH"
eval "$*"
