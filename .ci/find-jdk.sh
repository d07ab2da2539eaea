# Sourced by ./llama3j and .ci/run: finds a JDK 25 or newer and exports JAVA_HOME.
# Looks at JAVA_HOME, then the usual install places. Prints one clear line and returns 1 when none is found.
llama3j_java_major() {
  # the JDK's release file answers without starting a JVM (a tenth of a second on every launch)
  local v
  v=$(sed -n 's/^JAVA_VERSION="\([0-9]*\).*/\1/p' "$1/release" 2>/dev/null | head -n 1)
  if [ -n "$v" ]; then
    echo "$v"
    return
  fi
  "$1/bin/java" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p' | head -n 1
}
llama3j_find_jdk() {
  local candidates=() c major
  [ -n "${JAVA_HOME:-}" ] && candidates+=("$JAVA_HOME")
  for c in /usr/lib/jvm/temurin-2[5-9]* /usr/lib/jvm/*-2[5-9]* /usr/lib/jvm/jdk-2[5-9]* \
           /opt/java/openjdk /opt/jdk-2[5-9]* "$HOME"/.sdkman/candidates/java/2[5-9]* \
           /Library/Java/JavaVirtualMachines/*/Contents/Home; do
    [ -d "$c" ] && candidates+=("$c")
  done
  if command -v java >/dev/null 2>&1; then
    candidates+=("$(dirname "$(dirname "$(readlink -f "$(command -v java)")")")")
  fi
  for c in "${candidates[@]}"; do
    [ -x "$c/bin/java" ] && [ -x "$c/bin/javac" ] || continue
    major=$(llama3j_java_major "$c")
    if [ -n "$major" ] && [ "${major%%.*}" -ge 25 ] 2>/dev/null; then
      export JAVA_HOME="$c"
      return 0
    fi
  done
  echo "llama3j: no JDK 25 found (looked at JAVA_HOME and /usr/lib/jvm); install JDK 25 (e.g. Temurin 25) and set JAVA_HOME to it." >&2
  return 1
}
