#!/usr/bin/env bash
# make bench: every benchmark of the project, each comparing medtwin with the
# reference tool its issue names and printing the ratio. One script per
# component lives in scripts/bench.d/ (run in name order). Reference tools
# come from Debian; a script skips what is not installed and says so.
set -uo pipefail
cd "$(dirname "$0")/.."
export BENCH_DIR="${BENCH_DIR:-$(mktemp -d -t medtwin-bench-XXXXXX)}"
echo "benchmark data in $BENCH_DIR (set BENCH_DIR to reuse it)"
status=0
for s in scripts/bench.d/*.sh; do
  [ -e "$s" ] || continue
  echo
  echo "=== $(basename "$s" .sh)"
  bash "$s" || { echo "bench $(basename "$s") FAILED"; status=1; }
done
exit $status
