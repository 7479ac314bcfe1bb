#!/usr/bin/env bash
# Arrow Flight benchmark (issue 10, "Performance"): the whole timeline of
# 10,000,000 rows (10,000 patients x 1,000 events, the data set of
# 10-store.sh) pulled by a Go Flight client from `medtwin serve` on
# loopback, in rows/s and MB/s, against two references measured in the
# same run:
#   (a) the store's own scan into Arrow without network (the Scan call the
#       service makes, in the store's default batches): target Flight >= 0.8 x;
#   (b) psql "COPY (the store's query) TO STDOUT (FORMAT binary)" of the
#       same rows: target Flight >= 0.7 x;
# and the server's peak resident memory while streaming (target < 256 MiB).
# Flight is read as one DoGet of the whole cohort and as GetFlightInfo's
# endpoints read in parallel, by a Go Flight client with gRPC's default
# limits. Each figure is the best of FLIGHT_BENCH_RUNS (2) rounds, the
# readings of a round interleaved so that each sees the same machine.
#
# PostgreSQL at MEDTWIN_BENCH_POSTGRES (default database medtwin_bench on
# 127.0.0.1), schema bench_<patients>p: the one 10-store.sh loads (loaded
# here, the same way, when missing; never dropped here). SQLite is measured
# too when a file of the same data is at FLIGHT_BENCH_SQLITE (default
# BENCH_DIR/big-<patients>.db, which 10-store.sh leaves); the server
# writes its audit entries into it. STORE_BENCH_PATIENTS scales the data
# set down.
set -uo pipefail
cd "$(dirname "$0")/../.."
BENCH_DIR="${BENCH_DIR:-$(mktemp -d -t medtwin-bench-XXXXXX)}"
mkdir -p "$BENCH_DIR"
PATIENTS="${STORE_BENCH_PATIENTS:-10000}"
RUNS="${FLIGHT_BENCH_RUNS:-2}"
. scripts/bench.d/pg.bash

if ! command -v psql >/dev/null; then
  echo "flight bench: psql not installed (apt-get install -y postgresql-client); skipped"
  exit 0
fi
go build -o "$BENCH_DIR/flightbench" ./internal/flightbench || exit 1
go build -o "$BENCH_DIR/medtwin" ./cmd/medtwin || exit 1
pg_ensure "flight bench" || exit 0
verdict() { awk -v r="$1" -v t="$2" 'BEGIN { print (r + 0 >= t) ? "met" : "NOT met" }'; }
# best KEY LINE... → the line with the largest KEY
best() { local key=$1 top="" v b=-1; shift; for l in "$@"; do v=$(field "$key" "$l"); if awk -v a="$v" -v b="$b" 'BEGIN{exit !(a>b)}'; then b=$v; top=$l; fi; done; echo "$top"; }

rows=$((PATIENTS * 1000))
schema="bench_${PATIENTS}p"
big=$(withpath "$schema")
have=$(sql "SELECT count(*) FROM $schema.subjects" 2>/dev/null || echo 0)
if [ "$have" != "$PATIENTS" ]; then
  echo "flight bench: loading $rows rows into $dbname.$schema (as 10-store.sh does; once)"
  go build -o "$BENCH_DIR/storebench" ./internal/storebench || exit 1
  sql "DROP SCHEMA IF EXISTS $schema CASCADE; CREATE SCHEMA $schema" || exit 1
  "$BENCH_DIR/storebench" load --db "$big" --patients "$PATIENTS" --events 1000 || exit 1
  sql "ANALYZE $schema.events"
  "$BENCH_DIR/storebench" maintain --db "$big" >/dev/null || exit 1
fi
n=$(sql "SELECT count(*) FROM $schema.events WHERE superseded_at IS NULL") || exit 1
if [ "$n" != "$rows" ]; then
  # Never drop it here: another benchmark may be loading it right now.
  echo "flight bench: $dbname.$schema holds $n current rows, want $rows: a load still running, or an interrupted one (DROP SCHEMA $schema CASCADE)"
  exit 1
fi

token="flightbench-$RANDOM$RANDOM$RANDOM"
printf 'token,role,name\n%s,admin,flightbench\n' "$token" > "$BENCH_DIR/flight-tokens.csv"
pid=""
stop() { if [ -n "$pid" ]; then kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; pid=""; fi; }
trap stop EXIT
# serve DSN → starts medtwin serve, sets pid and flight (host:port)
serve() {
  stop
  "$BENCH_DIR/medtwin" --db "$1" serve --addr 127.0.0.1:0 --flight-addr 127.0.0.1:0 \
    --tokens "$BENCH_DIR/flight-tokens.csv" --arrow-max-subjects admin=0 \
    > "$BENCH_DIR/flight-serve.out" 2> "$BENCH_DIR/flight-serve.err" &
  pid=$!
  flight=""
  for _ in $(seq 1 300); do
    flight=$(sed -n 's#.*serving Arrow Flight at grpc://\([^ ]*\).*#\1#p' "$BENCH_DIR/flight-serve.out")
    [ -n "$flight" ] && return 0
    kill -0 "$pid" 2>/dev/null || { cat "$BENCH_DIR/flight-serve.err"; return 1; }
    sleep 0.1
  done
  echo "flight bench: the server did not start"; return 1
}
# check LINE WHAT: the line read every row
check() { [ "$(field rows "$1")" = "$rows" ] || { echo "flight bench: $2 read $(field rows "$1") rows, want $rows" >&2; return 1; }; }
# copy → psql's binary COPY of the store's query, as a line of figures
copy() {
  local q t0 bytes s
  q="SELECT e.subject_id, e.time, e.code, e.numeric_value, e.text_value, e.unit, e.kind, e.end_time, e.source, e.record_key, e.superseded_at, e.available_at, e.recorded_at, e.source_version FROM $schema.events e WHERE e.superseded_at IS NULL ORDER BY e.subject_id, e.time NULLS FIRST, e.code, e.record_key, e.rev"
  t0=$(date +%s.%N)
  bytes=$(psql "$PG" -qc "SET jit = off" -c "COPY ($q) TO STDOUT (FORMAT binary)" | wc -c) || return 1
  s=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.3f", b - a }')
  awk -v s="$s" -v n="$rows" -v b="$bytes" 'BEGIN { printf "copy rows=%d seconds=%.3f rows_per_s=%.0f mb_per_s=%.1f\n", n, s, n / s, b / 1e6 / s }'
}
# measure NAME DSN [copy]: RUNS rounds of the store scan, psql's COPY (with
# copy), one Flight stream and the parallel endpoints, interleaved so that
# each sees the same machine; the best of each is reported.
measure() {
  local name=$1 dsn=$2 with_copy=${3:-} scans=() copies=() ones=() pars=() o
  echo "flight bench: $rows timeline rows, $name; load $(cut -d' ' -f1-3 /proc/loadavg)"
  serve "$dsn" || return 1
  for r in $(seq 1 "$RUNS"); do
    o=$("$BENCH_DIR/flightbench" scan --db "$dsn") && check "$o" "the store scan" || return 1
    scans+=("$o")
    if [ -n "$with_copy" ]; then o=$(copy) || return 1; copies+=("$o"); fi
    o=$("$BENCH_DIR/flightbench" get --addr "$flight" --token "$token" --server-pid "$pid") && check "$o" Flight || return 1
    ones+=("$o")
    o=$("$BENCH_DIR/flightbench" get --addr "$flight" --token "$token" --server-pid "$pid" --parallel) && check "$o" Flight || return 1
    pars+=("$o")
    echo "  round $r done; load $(cut -d' ' -f1-3 /proc/loadavg)"
  done
  stop
  local sc one par
  sc=$(best rows_per_s "${scans[@]}"); one=$(best rows_per_s "${ones[@]}"); par=$(best rows_per_s "${pars[@]}")
  echo "$name store scan → Arrow (no network):   $sc"
  echo "$name Flight DoGet, one stream:           $one"
  echo "$name Flight DoGet, parallel endpoints:   $par"
  local r1 rp m
  r1=$(ratio "$(field rows_per_s "$one")" "$(field rows_per_s "$sc")"); rp=$(ratio "$(field rows_per_s "$par")" "$(field rows_per_s "$sc")")
  echo "RATIO $name Flight one stream / store scan:  $r1  (target >= 0.8: $(verdict "$r1" 0.8))"
  echo "RATIO $name Flight parallel   / store scan:  $rp  (target >= 0.8: $(verdict "$rp" 0.8))"
  if [ -n "$with_copy" ]; then
    local cp; cp=$(best rows_per_s "${copies[@]}")
    echo "psql COPY (SELECT …) TO STDOUT (FORMAT binary): $cp"
    r1=$(ratio "$(field rows_per_s "$one")" "$(field rows_per_s "$cp")"); rp=$(ratio "$(field rows_per_s "$par")" "$(field rows_per_s "$cp")")
    echo "RATIO $name Flight one stream / psql COPY binary: $r1  (target >= 0.7: $(verdict "$r1" 0.7))"
    echo "RATIO $name Flight parallel   / psql COPY binary: $rp  (target >= 0.7: $(verdict "$rp" 0.7))"
  fi
  m=0
  for o in "${ones[@]}" "${pars[@]}"; do m=$(awk -v a="$m" -v b="$(field server_peak_rss_mib "$o")" 'BEGIN { print (b > a) ? b : a }'); done
  echo "PEAK RSS of the $name server while streaming: $m MiB  (target < 256: $(awk -v m="$m" 'BEGIN { print (m < 256) ? "met" : "NOT met" }'))"
}

measure postgres "$big" copy || exit 1
db="${FLIGHT_BENCH_SQLITE:-$BENCH_DIR/big-$PATIENTS.db}"
if [ -s "$db" ]; then
  echo
  measure sqlite "sqlite:$db" || exit 1
else
  echo "flight bench: no SQLite copy of the data at $db (10-store.sh leaves one in BENCH_DIR; or set FLIGHT_BENCH_SQLITE): SQLite not measured"
fi
echo "flight bench: load after $(cut -d' ' -f1-3 /proc/loadavg)"
