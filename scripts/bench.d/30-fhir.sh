#!/usr/bin/env bash
# FHIR Bulk Data ingest (issue 3): a generated NDJSON of Observations
# (FHIR_BENCH_SIZE, default 1G) read by
#   - jq -c . > /dev/null                     (the reference: Debian jq)
#   - medtwin's adapter, parse-only           (BenchmarkNDJSON: parse, map, Arrow batches;
#                                               no store), 1 and 2 workers
#   - medtwin ingest into SQLite, end to end
#   - medtwin ingest into PostgreSQL           (MEDTWIN_BENCH_POSTGRES or MEDTWIN_TEST_POSTGRES,
#                                               when the backend exists)
# It prints wall and CPU seconds, resources/s, MB/s and the parse-only / jq
# ratios (goal: >= 10x on wall time). On a shared machine wall times are
# noisy: the CPU-time ratio says what each tool costs.
set -uo pipefail
cd "$(dirname "$0")/../.."
dir="${BENCH_DIR:-$(mktemp -d -t medtwin-bench-XXXXXX)}"
size="${FHIR_BENCH_SIZE:-1G}"
file="$dir/fhir-observations-$size.ndjson"
if [ ! -s "$file" ]; then
  go run ./ingest/fhir/internal/obsgen/cmd/obsgen -size "$size" -out "$file" || exit 1
fi
bytes=$(stat -c %s "$file")
lines=$(wc -l < "$file")
echo "input: $file: $lines Observations, $bytes bytes; $(nproc) cores; load $(cut -d' ' -f1-3 /proc/loadavg)"

TIMEFORMAT='%R %U %S'
# measure NAME CMD...: runs CMD, prints a row, sets wall and cpu.
measure() {
  local name=$1; shift
  local t
  t=$( { time "$@" > /dev/null 2>"$dir/fhir-bench.err"; } 2>&1 )
  local rc=$?
  if [ $rc -ne 0 ]; then
    echo "$name: failed: $(head -3 "$dir/fhir-bench.err")"
    return 1
  fi
  wall=$(awk '{ print $1 }' <<<"$t")
  cpu=$(awk '{ printf "%.3f", $2 + $3 }' <<<"$t")
  awk -v name="$name" -v w="$wall" -v c="$cpu" -v n="$lines" -v b="$bytes" 'BEGIN {
    printf "%-32s wall %8.2fs  cpu %8.2fs  %10.0f resources/s  %7.1f MB/s  (%.1f MB per cpu-s)\n", name, w, c, n / w, b / 1e6 / w, b / 1e6 / c }'
}

jq_wall=""
if command -v jq >/dev/null; then
  measure "jq -c . (reference)" jq -c . "$file" && { jq_wall=$wall; jq_cpu=$cpu; }
else
  echo "jq not installed (apt-get install -y jq): no reference figure"
fi

test_bin="$dir/fhir-bench.test"
go test -c -o "$test_bin" ./ingest/fhir/ || exit 1
for w in 1 2; do
  if measure "medtwin parse-only, $w worker(s)" env MEDTWIN_FHIR_BENCH_FILE="$file" "$test_bin" \
      -test.run '^$' -test.bench "BenchmarkNDJSON/workers=$w\$" -test.benchtime 1x; then
    [ "$w" = 2 ] && { parse_wall=$wall; parse_cpu=$cpu; }
    [ "$w" = 1 ] && { one_wall=$wall; one_cpu=$cpu; }
  fi
done

bin=bin/medtwin
[ -x "$bin" ] || go build -o "$bin" ./cmd/medtwin || exit 1
db="$dir/fhir-bench.db"
rm -f "$db" "$db-wal" "$db-shm"
measure "medtwin ingest → SQLite" "$bin" --quiet --db "sqlite:$db" ingest "$file"

pg="${MEDTWIN_BENCH_POSTGRES:-${MEDTWIN_TEST_POSTGRES:-}}"
if [ -z "$pg" ]; then
  echo "medtwin ingest → PostgreSQL: skipped (set MEDTWIN_BENCH_POSTGRES or MEDTWIN_TEST_POSTGRES)"
elif "$bin" --quiet --db "$pg" ingest --help > /dev/null 2>&1 && measure "medtwin ingest → PostgreSQL" "$bin" --quiet --db "$pg" ingest "$file"; then
  :
else
  echo "medtwin ingest → PostgreSQL: skipped (backend not available)"
fi

if [ -n "$jq_wall" ] && [ -n "${parse_wall:-}" ]; then
  awk -v jw="$jq_wall" -v jc="$jq_cpu" -v pw="$parse_wall" -v pc="$parse_cpu" -v ow="${one_wall:-0}" -v oc="${one_cpu:-0}" 'BEGIN {
    printf "ratio parse-only / jq: %.1fx wall with 2 workers (goal >= 10x), %.1fx wall with 1; %.1fx less CPU\n", jw / pw, (ow > 0 ? jw / ow : 0), jc / pc }'
fi
