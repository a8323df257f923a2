#!/usr/bin/env bash
# Builds the JTAPI bridge with the JDK alone (javac, jar): no Maven, nothing downloaded.
#   build/jtapi-stub.jar    the stub of Cisco's JTAPI (stub/src, written from jtapi-stub-spec.md): compiling and tests only
#   build/jtapi-bridge.jar  the bridge (src/), compiled against the stub, or against JTAPI_JAR when given
#   build/jtapi-fake.jar    the fake JTAPI provider and the test driver (test/src/), with --test
# JTAPI_JAR=/path/to/jtapi.jar ./build.sh   only checks that the bridge compiles against the customer's Cisco jar.
# GSON_JAR defaults to Debian's libgoogle-gson-java (/usr/share/java/gson.jar).
set -euo pipefail
cd "$(dirname "$0")"
GSON_JAR="${GSON_JAR:-/usr/share/java/gson.jar}"
OUT=build
TEST=0
[ "${1:-}" = "--test" ] && TEST=1

command -v javac >/dev/null || { echo "build.sh: javac not found (apt-get install openjdk-17-jdk-headless)" >&2; exit 1; }
[ -f "$GSON_JAR" ] || { echo "build.sh: $GSON_JAR not found (apt-get install libgoogle-gson-java)" >&2; exit 1; }

# rebuilds only when a source is newer than what it built
stale() { # <jar> <dir>...
  local jar=$1; shift
  [ -f "$jar" ] || return 0
  [ -n "$(find "$@" build.sh -newer "$jar" -print -quit)" ]
}

jarof() { # <jar> <classes dir>
  rm -f "$1"
  (cd "$2" && jar cf "../$(basename "$1")" .)
}

mkdir -p "$OUT"
if stale "$OUT/jtapi-stub.jar" stub/src; then
  rm -rf "$OUT/stub" && mkdir -p "$OUT/stub"
  javac --release 11 -nowarn -d "$OUT/stub" $(find stub/src -name '*.java')
  jarof "$OUT/jtapi-stub.jar" "$OUT/stub"
fi
if [ -n "${JTAPI_JAR:-}" ]; then
  rm -rf "$OUT/check" && mkdir -p "$OUT/check"
  javac --release 11 -Xlint:all,-serial -Werror -cp "$JTAPI_JAR:$GSON_JAR" -d "$OUT/check" $(find src -name '*.java')
  echo "the bridge compiles against $JTAPI_JAR"
  exit 0
fi
if stale "$OUT/jtapi-bridge.jar" src "$OUT/jtapi-stub.jar"; then
  rm -rf "$OUT/bridge" && mkdir -p "$OUT/bridge"
  javac --release 11 -Xlint:all,-serial -Werror -cp "$OUT/jtapi-stub.jar:$GSON_JAR" -d "$OUT/bridge" $(find src -name '*.java')
  jarof "$OUT/jtapi-bridge.jar" "$OUT/bridge"
fi
if [ "$TEST" = 1 ] && stale "$OUT/jtapi-fake.jar" test/src "$OUT/jtapi-bridge.jar"; then
  rm -rf "$OUT/fake" && mkdir -p "$OUT/fake"
  javac --release 11 -nowarn -cp "$OUT/jtapi-stub.jar:$GSON_JAR:$OUT/jtapi-bridge.jar" -d "$OUT/fake" $(find test/src -name '*.java')
  jarof "$OUT/jtapi-fake.jar" "$OUT/fake"
fi
echo "built: $(cd "$OUT" && ls *.jar | tr '\n' ' ')"
