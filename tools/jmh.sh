#!/usr/bin/env bash
# Builds the JMH benchmarks jar and runs it.
#
#   tools/jmh.sh [--markdown FILE] [--no-build] [REGEX] [JMH OPTIONS...]
#
# REGEX selects benchmarks (e.g. GemmBenchmark); JMH options pass through (e.g.
# -p shape=SQUARE_512,SQUARE_1024, -f 2, -i 10, -prof gc; `-h` lists them). Defaults suit a
# small machine: 1 fork, 3 warm-up iterations of 1 s, 5 measured iterations of 1 s.
# --markdown FILE also writes the results as a Markdown table (score, error, GFLOP/s).
# --no-build reuses jmh/target/benchmarks.jar as it is.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
jar="$root/jmh/target/benchmarks.jar"
markdown=""
build=1
args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --markdown|-o)
      [ $# -ge 2 ] || { echo "jmh.sh: $1 needs a file name" >&2; exit 2; }
      markdown="$2"
      shift 2
      ;;
    --no-build)
      build=0
      shift
      ;;
    --help)
      sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'
      exit 0
      ;;
    *)
      args+=("$1")
      shift
      ;;
  esac
done

if [ "$build" = 1 ]; then
  (cd "$root" && mvn -B -q -pl jmh -am package -DskipTests)
fi
if [ -n "$markdown" ]; then
  # The runner resolves it from its own working directory; make it absolute first.
  case "$markdown" in /*) ;; *) markdown="$PWD/$markdown" ;; esac
fi

java_bin="${JAVA_HOME:+$JAVA_HOME/bin/}java"
exec "$java_bin" --add-modules jdk.incubator.vector -Dstrix.jmh.markdown="$markdown" \
  -cp "$jar" dev.strix.jmh.MarkdownReport ${args[@]+"${args[@]}"}
