#!/usr/bin/env bash
# GraphQL load benchmark (issue 9): "patient by id with the last 1,000
# timeline events" against a store of 10,000 patients × ~1,000 events, 32
# concurrent clients for 30 s with wrk (Lua script graphql-patient.lua):
# requests/s, p50, p99, errors. Reference: the same patients read by a plain
# SQL query through pgbench (custom script, 32 clients, 30 s), the raw
# store's speed. Targets: p99 < 25 ms; GraphQL ≥ 0.5 × pgbench tps.
#
# PostgreSQL at MEDTWIN_BENCH_POSTGRES (default: database medtwin_bench on
# 127.0.0.1:5432, created and loaded once, kept for later runs); without a
# reachable server it benches the embedded SQLite store and says so (no
# pgbench reference then). Sizes: PATIENTS, LABS (per patient, plus 7-8
# other events), DURATION, CONNECTIONS.
set -uo pipefail
cd "$(dirname "$0")/../.."
. scripts/serve.bash
PATIENTS=${PATIENTS:-10000}
LABS=${LABS:-993}
DURATION=${DURATION:-30}
CONNECTIONS=${CONNECTIONS:-32}
BENCH_DIR=${BENCH_DIR:-$(mktemp -d -t medtwin-bench-XXXXXX)}
mkdir -p "$BENCH_DIR"
# The machine is shared: every figure carries the load average it was
# measured under.
loadavg() { echo "load average $(cut -d' ' -f1-3 /proc/loadavg)"; }

if ! command -v wrk >/dev/null; then
  echo "graphql bench: installing wrk"; (apt-get install -y -qq wrk || (apt-get update -qq && apt-get install -y -qq wrk)) >/dev/null 2>&1
fi
command -v wrk >/dev/null || { echo "graphql bench: SKIP (wrk unavailable)"; exit 0; }

pg_url=${MEDTWIN_BENCH_POSTGRES:-postgres://postgres@127.0.0.1:5432/medtwin_bench?sslmode=disable}
backend=sqlite
if command -v pg_isready >/dev/null && pg_isready -q -d "${pg_url%%\?*}" 2>/dev/null; then
  backend=postgres
  admin_url=$(echo "$pg_url" | sed -E 's#/[^/?]+(\?|$)#/postgres\1#')
  dbname=$(echo "$pg_url" | sed -E 's#^.*/([^/?]+)(\?.*)?$#\1#')
  psql -qtA "$admin_url" -c "SELECT 1 FROM pg_database WHERE datname = '$dbname'" | grep -q 1 ||
    psql -q "$admin_url" -c "CREATE DATABASE \"$dbname\"" || exit 1
  dsn="$pg_url"
  # One connection per client: pgx's default pool (4) would queue 32 clients.
  case "$dsn" in *\?*) dsn="$dsn&pool_max_conns=$((CONNECTIONS + 4))" ;; *) dsn="$dsn?pool_max_conns=$((CONNECTIONS + 4))" ;; esac
  loaded=$(psql -qtA "$pg_url" -c "SELECT count(*) FROM subjects" 2>/dev/null || echo 0)
else
  echo "graphql bench: PostgreSQL not reachable at ${pg_url%%\?*}: benching the embedded SQLite store (no pgbench reference)"
  dsn="sqlite:$BENCH_DIR/graphql-bench.db"
  loaded=0
  [ -f "$BENCH_DIR/graphql-bench.loaded" ] && loaded=$(cat "$BENCH_DIR/graphql-bench.loaded")
fi

if [ "$loaded" != "$PATIENTS" ]; then
  if [ "$loaded" != "0" ] && [ "$backend" = postgres ]; then
    echo "graphql bench: $dbname holds $loaded patients, want $PATIENTS: drop it (dropdb) or set MEDTWIN_BENCH_POSTGRES"; exit 1
  fi
  echo "graphql bench: loading $PATIENTS patients × $((LABS + 7)) events into $backend (once)"
  t0=$(date +%s)
  go run ./internal/fixture/fixtureload --db "$dsn" --patients "$PATIENTS" --labs "$LABS" > "$BENCH_DIR/load.out" || exit 1
  echo "graphql bench: loaded in $(( $(date +%s) - t0 )) s"
  [ "$backend" = sqlite ] && echo "$PATIENTS" > "$BENCH_DIR/graphql-bench.loaded"
fi
if [ "$backend" = postgres ]; then
  read -r lo hi < <(psql -qtA -F ' ' "$pg_url" -c "SELECT min(subject_id), max(subject_id) FROM subjects")
else
  lo=1; hi=$PATIENTS
fi
events=$(( LABS + 7 ))

go build -o "$BENCH_DIR/medtwin" ./cmd/medtwin || exit 1
token="bench-clinician-token-$RANDOM$RANDOM$RANDOM"
printf 'token,role,name\n%s,clinician,bench\n' "$token" > "$BENCH_DIR/tokens.csv"
"$BENCH_DIR/medtwin" --db "$dsn" serve --addr 127.0.0.1:0 --flight-addr off --tokens "$BENCH_DIR/tokens.csv" > "$BENCH_DIR/serve.out" 2> "$BENCH_DIR/serve.err" &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null' EXIT
url=$(served_url "$pid" "$BENCH_DIR/serve.out" "$BENCH_DIR/serve.err" 's#.*serving GraphQL at \(http://[^ ]*/graphql\).*#\1#p') ||
  { echo "graphql bench: server did not start"; exit 1; }

export MEDTWIN_LO=$lo MEDTWIN_HI=$hi MEDTWIN_TOKEN=$token
echo "graphql bench: $backend, patients $lo..$hi, ~$events events each; query: patient(id) { timeline(last: 1000) { time kind code value unit } }"
wrk -t2 -c"$CONNECTIONS" -d5s -s scripts/bench.d/graphql-patient.lua "$url" > /dev/null 2>&1 # warm-up
gql=$(wrk -t2 -c"$CONNECTIONS" -d"${DURATION}s" --timeout 10s -s scripts/bench.d/graphql-patient.lua "$url" | grep '^RESULT')
echo "graphql (wrk, $CONNECTIONS connections, ${DURATION}s): ${gql#RESULT } ($(loadavg))"
gql_rps=$(echo "$gql" | sed -E 's/.* rps=([0-9.]+).*/\1/')
gql_p99=$(echo "$gql" | sed -E 's/.* p99_ms=([0-9.]+).*/\1/')
kill $pid 2>/dev/null; wait $pid 2>/dev/null; trap - EXIT

if [ "$backend" != postgres ]; then
  echo "graphql bench: target p99 < 25 ms: $(awk -v p="$gql_p99" 'BEGIN { print (p < 25) ? "met" : "NOT met" }'); no SQL reference on SQLite"
  exit 0
fi
cat > "$BENCH_DIR/patient.sql" <<'SQL'
\set id random(:lo, :hi)
SELECT time, kind, code, numeric_value, unit FROM events WHERE subject_id = :id AND superseded_at IS NULL ORDER BY time DESC NULLS LAST, code, record_key LIMIT 1000;
SQL
rm -rf "$BENCH_DIR/pgbench" && mkdir -p "$BENCH_DIR/pgbench"
pgbench -n -M prepared -D lo="$lo" -D hi="$hi" -f "$BENCH_DIR/patient.sql" -c "$CONNECTIONS" -j 2 -T 5 "$pg_url" > /dev/null 2>&1 # warm-up
(cd "$BENCH_DIR/pgbench" && pgbench -n -M prepared -D lo="$lo" -D hi="$hi" -f "$BENCH_DIR/patient.sql" -c "$CONNECTIONS" -j 2 -T "$DURATION" -l "$pg_url") > "$BENCH_DIR/pgbench.out" 2>&1
sql_tps=$(sed -nE 's/^tps = ([0-9.]+).*/\1/p' "$BENCH_DIR/pgbench.out")
failed=$(sed -nE 's/^number of failed transactions: ([0-9]+).*/\1/p' "$BENCH_DIR/pgbench.out")
read -r sql_p50 sql_p99 < <(cat "$BENCH_DIR"/pgbench/pgbench_log.* | awk '{print $3/1000}' | sort -n | awk '{a[NR]=$1} END {print a[int(NR*0.5)], a[int(NR*0.99)]}')
echo "sql (pgbench, $CONNECTIONS clients, ${DURATION}s): tps=$sql_tps p50_ms=$sql_p50 p99_ms=$sql_p99 failed=${failed:-0} ($(loadavg))"
# The store's own read of a patient (every column, in timeline order): what
# GraphQL's store call costs PostgreSQL, for telling server time from ours.
cat > "$BENCH_DIR/store.sql" <<'SQL'
\set id random(:lo, :hi)
SELECT e.subject_id, e.time, e.code, e.numeric_value, e.text_value, e.unit, e.kind, e.end_time, e.source, e.record_key, e.superseded_at, e.available_at, e.recorded_at, e.source_version FROM events e WHERE e.subject_id = :id AND e.superseded_at IS NULL ORDER BY e.time NULLS FIRST, e.code, e.record_key, e.rev;
SQL
store_tps=$(pgbench -n -M prepared -D lo="$lo" -D hi="$hi" -f "$BENCH_DIR/store.sql" -c "$CONNECTIONS" -j 2 -T "$DURATION" "$pg_url" 2>&1 | sed -nE 's/^tps = ([0-9.]+).*/\1/p')
echo "sql, the store's query (pgbench, all 14 columns in timeline order): tps=$store_tps ($(loadavg))"
awk -v g="$gql_rps" -v s="$sql_tps" -v f="$store_tps" -v p="$gql_p99" 'BEGIN {
  r = g / s
  printf "ratio graphql/sql throughput = %.2f (target >= 0.5: %s); graphql/store-query = %.2f; graphql p99 = %.1f ms (target < 25 ms: %s)\n", r, (r >= 0.5) ? "met" : "NOT met", g / f, p, (p < 25) ? "met" : "NOT met"
}'
