#!/usr/bin/env bash
# MEDS ingest and export (issue 2 item 4, issue 10 export): a synthetic MEDS
# data file of MEDS_BENCH_ROWS rows (default 1,000,000; 200 events a
# subject) through
#   - DuckDB (@duckdb/node-api in scripts/node_modules), the reference:
#     reading the file (count/sum over every row) and rewriting it as Parquet;
#   - medtwin's MEDS reader alone (BenchmarkReadFile: Parquet decode, mapping,
#     validated Arrow batches; no store);
#   - medtwin's export writers alone, from memory (BenchmarkExport);
#   - end to end: medtwin ingest into SQLite, then medtwin export as MEDS,
#     Parquet and Arrow IPC from that store.
# It prints wall and CPU seconds and rows/s, and the ratios against DuckDB.
# On a shared machine wall times are noisy: the CPU ratios say what each
# tool costs.
set -uo pipefail
cd "$(dirname "$0")/../.."
dir="${BENCH_DIR:-$(mktemp -d -t medtwin-bench-XXXXXX)}"
rows="${MEDS_BENCH_ROWS:-1000000}"
src="$dir/meds-$rows.parquet"
if [ ! -s "$src" ]; then
  go run ./internal/cmd/medsgen -rows "$rows" -events 200 -out "$src" >/dev/null || exit 1
fi
echo "input: $src: $rows rows, $(stat -c %s "$src") bytes; $(nproc) cores; load $(cut -d' ' -f1-3 /proc/loadavg)"

# measure NAME CMD...: runs CMD under /usr/bin/time, prints a row (with the
# peak resident memory), sets wall and cpu.
measure() {
  local name=$1; shift
  if ! /usr/bin/time -f '%e %U %S %M' -o "$dir/meds-bench.time" "$@" > /dev/null 2>"$dir/meds-bench.err"; then
    echo "$name: failed: $(head -3 "$dir/meds-bench.err")"
    return 1
  fi
  read -r wall u s rss < "$dir/meds-bench.time"
  cpu=$(awk -v u="$u" -v s="$s" 'BEGIN { printf "%.3f", u + s }')
  row "$name" "$wall" "$cpu" "$rss"
}
row() {
  awk -v name="$1" -v w="$2" -v c="$3" -v m="${4:-}" -v n="$rows" 'BEGIN {
    printf "%-40s wall %7.2fs  cpu %7.2fs  %10.0f rows/s  (%.0f rows per cpu-s)", name, w, c, n / w, n / c
    if (m != "") printf "  peak RSS %.0f MiB", m / 1024
    printf "\n" }'
}

duck_read="" duck_write=""
if [ -d scripts/node_modules/@duckdb/node-api ] && command -v node >/dev/null; then
  while read -r name w c; do
    row "DuckDB $name (reference, 2 threads)" "$w" "$c"
    [ "$name" = read ] && { duck_read=$w; duck_read_cpu=$c; }
    [ "$name" = write ] && { duck_write=$w; duck_write_cpu=$c; }
  done < <(node scripts/bench.d/20-meds.mjs "$src" "$dir/meds-duckdb-copy.parquet" 2)
else
  echo "DuckDB reference: skipped (run 'npm ci' in scripts/)"
fi

test_bin="$dir/meds-bench.test"
go test -c -o "$test_bin" ./ingest/meds/ || exit 1
measure "medtwin MEDS reader alone" env MEDTWIN_MEDS_BENCH_FILE="$src" "$test_bin" \
  -test.run '^$' -test.bench 'BenchmarkReadFile$' -test.benchtime 1x && { read_wall=$wall; read_cpu=$cpu; }

export_bin="$dir/export-bench.test"
go test -c -o "$export_bin" ./export/ || exit 1
echo "medtwin export writers alone (1,000,000 rows from memory; ns/op is one export):"
"$export_bin" -test.run '^$' -test.bench 'BenchmarkExport' -test.benchtime 2x | grep '^Benchmark' | sed 's/^/  /'

bin=bin/medtwin
go build -o "$bin" ./cmd/medtwin || exit 1
db="$dir/meds-bench.db"
rm -f "$db" "$db-wal" "$db-shm"
measure "medtwin ingest MEDS → SQLite" "$bin" --quiet --db "sqlite:$db" ingest "$src"
rm -rf "$dir/meds-export" "$dir/full-export" "$dir/events.arrows"
measure "medtwin export --format meds (SQLite)" "$bin" --quiet --db "sqlite:$db" export --format meds --out "$dir/meds-export" && { meds_wall=$wall; meds_cpu=$cpu; }
measure "medtwin export --format parquet (SQLite)" "$bin" --quiet --db "sqlite:$db" export --format parquet --out "$dir/full-export"
measure "medtwin export --format arrow (SQLite)" "$bin" --quiet --db "sqlite:$db" export --format arrow --out "$dir/events.arrows"

if [ -n "$duck_read" ] && [ -n "${read_wall:-}" ]; then
  awk -v dw="$duck_read" -v dc="$duck_read_cpu" -v mw="$read_wall" -v mc="$read_cpu" 'BEGIN {
    printf "ratio MEDS reader / DuckDB read: %.2fx DuckDB'"'"'s wall time, %.2fx its CPU (reader builds validated timeline batches; DuckDB only aggregates)\n", mw / dw, mc / dc }'
fi
if [ -n "$duck_write" ] && [ -n "${meds_wall:-}" ]; then
  awk -v dw="$duck_write" -v dc="$duck_write_cpu" -v mw="$meds_wall" -v mc="$meds_cpu" 'BEGIN {
    printf "ratio export --format meds (store scan included) / DuckDB Parquet rewrite: %.2fx wall, %.2fx CPU\n", mw / dw, mc / dc }'
fi
