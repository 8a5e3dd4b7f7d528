# Sourced by prepare-amx.sh and prepare-avx512.sh: stage_cli_jars DIR copies the jsgl CLI's jars
# into DIR, less what a device run does not need: oneDNN's jar (prepare-amx.sh carries its .so
# files alone), the tokenizers' natives and ArchUnit.
stage_cli_jars() {
  mkdir -p "$1"
  cp server/target/jsgl-server-*.jar "$1/"
  for j in server/target/lib/*.jar; do
    case "$(basename "$j")" in dnnl-*|tokenizers-*|archunit-*) ;; *) cp "$j" "$1/";; esac
  done
}
