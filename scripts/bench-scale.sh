#!/usr/bin/env bash
# bench-scale: a synthetic cohort of 10,000 and then 100,000 patients with about
# 1,000 events each (CT pixel data for about 50 patients only) ingested into
# PostgreSQL (database medtwin_scale_N, dropped and recreated for each size), then
# read back. Prints, per size: generation time, ingest time and events/s per
# stage (FHIR, genomics, imaging AI table, DICOM, maintain), database size,
# per-patient history latency p50/p99 (store, and GraphQL when `medtwin serve`
# exists), and cohort-scan rows/s for 10 % of the patients, through the store
# and through Arrow Flight (every endpoint of GetFlightInfo read in parallel).
# Beside them, in the same run, the reference tools on the same database: pgbench
# reading one patient's current events by SQL (same clients), and psql's binary
# COPY of the same 10 % cohort. Each size keeps its database (medtwin_scale_N):
# READ_ONLY=1 measures the read side again without generating or ingesting.
# Not part of CI.
#
# Environment: SIZES ("10000 100000"), EVENTS (1000), WORK (/tmp/medtwin-scale:
# cohorts are kept there and reused), PG (postgres://postgres@127.0.0.1:5432),
# REQUESTS (400), CLIENTS (4), READ_ONLY (unset), DICOM_PROCS (1: ingest processes
# sharing the DICOM stage, patient directories dealt round-robin). Results: $WORK/results.jsonl,
# one line per size (with READ_ONLY, a line with the read side only).
set -euo pipefail
cd "$(dirname "$0")/.."

SIZES=${SIZES:-"10000 100000"}
EVENTS=${EVENTS:-1000}
WORK=${WORK:-/tmp/medtwin-scale}
PG=${PG:-postgres://postgres@127.0.0.1:5432}
DB_BASE=medtwin_scale
REQUESTS=${REQUESTS:-400}
CLIENTS=${CLIENTS:-4}
BIN=./bin/medtwin

READ_ONLY=${READ_ONLY:-}
DICOM_PROCS=${DICOM_PROCS:-1}

for tool in psql pgbench jq bc curl; do
  command -v $tool >/dev/null || { echo "bench-scale: $tool is needed (apt-get install -y postgresql-client jq)"; exit 1; }
done
# Always build, so that the commit recorded is the one measured.
go build -o "$BIN" ./cmd/medtwin
commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
git diff --quiet HEAD -- 2>/dev/null || commit="$commit+changes"
mkdir -p "$WORK"
RESULTS="$WORK/results.jsonl"
now() { date +%s.%N; }
# ingest_one OUT.json PATH…: one ingest process; exit status 3 (rejected
# records) is a result, not a failure.
ingest_one() {
  local out=$1; shift
  $BIN -q --db "$DSN" ingest --json --samples "$dir/manifest.csv" "$@" > "$out" || {
    rc=$?; [ $rc -eq 3 ] || { echo "bench-scale: ingest of $* failed ($rc)" >&2; return 1; }; }
}
# ingest_split DIR OUT: DIR's entries (one per patient) dealt round-robin to
# DICOM_PROCS concurrent ingest processes; their reports are merged into OUT.json.
ingest_split() {
  local src=$1 out=$2 k pids=()
  mapfile -t entries < <(find "$src" -mindepth 1 -maxdepth 1 | sort)
  for ((k = 0; k < DICOM_PROCS; k++)); do
    part=()
    for ((i = k; i < ${#entries[@]}; i += DICOM_PROCS)); do part+=("${entries[i]}"); done
    [ ${#part[@]} -gt 0 ] || continue
    ingest_one "$out.$k.json" "${part[@]}" &
    pids+=($!)
  done
  for pid in "${pids[@]}"; do wait "$pid" || exit 1; done
  jq -s '{files: map(.files[])}' "$out".*.json > "$out.json" && rm -f "$out".*.json
}
secs() { echo "$2 - $1" | bc; }

for N in $SIZES; do
  dir="$WORK/cohort-$N"
  DB=${DB_BASE}_$N; DSN="$PG/$DB?sslmode=disable"
  gen=0 cohort_bytes=0 stages=null load_ingest=""
  if [ -n "$READ_ONLY" ]; then
    echo "== $N patients: read side of $DB"
  else
  if [ ! -f "$dir/truth.json" ]; then
    rm -rf "$dir"
    frac=$(echo "scale=6; x=50/$N; if (x>1) x=1; x" | bc)
    echo "== $N patients: generating ($EVENTS events/patient, pixel data for a share of $frac)"
    t0=$(now)
    $BIN synth -q --patients "$N" --seed 1 --out "$dir" --gzip --events-per-patient "$EVENTS" --ct-fraction "$frac" --json > "$WORK/synth-$N.json"
    gen=$(secs "$t0" "$(now)")
  fi
  cohort_bytes=$(du -sb "$dir" | cut -f1)
  echo "== $N patients: ingesting into $DB"
  psql "$PG/postgres" -qAtc "DROP DATABASE IF EXISTS $DB" -c "CREATE DATABASE $DB"
  stages='{}'
  for stage in fhir genomics imaging-ai dicom; do
    t0=$(now)
    if [ "$stage" = dicom ] && [ "$DICOM_PROCS" -gt 1 ]; then
      ingest_split "$dir/$stage" "$WORK/ingest-$N-$stage"
    else
      ingest_one "$WORK/ingest-$N-$stage.json" "$dir/$stage"
    fi
    el=$(secs "$t0" "$(now)")
    ins=$(jq '[.files[].inserted] | add // 0' "$WORK/ingest-$N-$stage.json")
    rej=$(jq '[.files[].rejected] | add // 0' "$WORK/ingest-$N-$stage.json")
    files=$(jq '.files | length' "$WORK/ingest-$N-$stage.json")
    rate=$(echo "scale=0; $ins / $el" | bc)
    printf '   %-11s %8d files %11d events %6.1f s %9d events/s %d rejected\n' "$stage" "$files" "$ins" "$el" "$rate" "$rej"
    stages=$(jq -c --arg s "$stage" --argjson f "$files" --argjson i "$ins" --argjson r "$rej" --argjson t "$el" \
      '. + {($s): {files: $f, events: $i, rejected: $r, seconds: $t, eventsPerSecond: ($i / $t)}}' <<<"$stages")
  done
  t0=$(now)
  $BIN -q --db "$DSN" maintain >/dev/null
  el=$(secs "$t0" "$(now)")
  printf '   %-11s %6.1f s\n' maintain "$el"
  stages=$(jq -c --argjson t "$el" '. + {maintain: {seconds: $t}}' <<<"$stages")
  load_ingest=$(cut -d' ' -f1-3 /proc/loadavg)
  fi
  dbsize=$(psql "$DSN" -qAtc "SELECT pg_database_size('$DB')")
  tables=$(psql "$DSN" -qAtc "SELECT coalesce(json_object_agg(relname, pg_total_relation_size(c.oid)), '{}') FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind = 'r' AND n.nspname NOT IN ('pg_catalog', 'information_schema')")
  echo "   database   $(echo "scale=1; $dbsize / 1000000" | bc) MB"

  # GraphQL, when this build serves it.
  gqlargs=()
  serve_pid=""
  if $BIN serve --help >/dev/null 2>&1 && ! $BIN serve --help 2>&1 | grep -q "not yet"; then
    printf 'token,role,name\nscale-bench-token,clinician,scale bench\nscale-bench-admin,admin,scale bench\n' > "$WORK/tokens.csv"
    $BIN -q --db "$DSN" serve --addr 127.0.0.1:18080 --flight-addr 127.0.0.1:18815 --tokens "$WORK/tokens.csv" > "$WORK/serve-$N.log" 2>&1 &
    serve_pid=$!
    for _ in $(seq 1 100); do curl -fsS http://127.0.0.1:18080/healthz >/dev/null 2>&1 && break; sleep 0.2; done
    gqlargs=(--graphql http://127.0.0.1:18080/graphql --token scale-bench-token --flight 127.0.0.1:18815 --flight-token scale-bench-admin)
  fi
  read=$(go run ./scripts/scalebench --db "$DSN" --requests "$REQUESTS" --clients "$CLIENTS" "${gqlargs[@]}")
  load_read=$(cut -d' ' -f1-3 /proc/loadavg)
  [ -n "$serve_pid" ] && kill "$serve_pid" && wait "$serve_pid" 2>/dev/null || true
  echo "$read" | jq -r '"   history    store p50 \(.storePatientHistory.p50Ms) ms, p99 \(.storePatientHistory.p99Ms) ms (\(.storePatientHistory.meanRows|floor) events)" +
    (if .graphqlPatientHistory then "; GraphQL p50 \(.graphqlPatientHistory.p50Ms) ms, p99 \(.graphqlPatientHistory.p99Ms) ms" else "; GraphQL: no serve in this build" end)'
  echo "$read" | jq -r '"   scan 10 %  \(.storeCohortScan.rows) rows in \(.storeCohortScan.seconds*10|floor/10) s = \(.storeCohortScan.rowsPerSecond|floor) rows/s"'
  # The reference tools, on the same database and the same cohort.
  range=$(echo "$read" | jq -r '"\(.storeCohortScan.firstSubject) \(.storeCohortScan.firstSubject + .storeCohortScan.subjects - 1)"')
  read -r c_lo c_hi <<<"$range"
  t0=$(now)
  psql "$DSN" -qAtc "COPY (SELECT * FROM events WHERE subject_id BETWEEN $c_lo AND $c_hi AND superseded_at IS NULL) TO STDOUT (FORMAT binary)" > /dev/null
  copy_s=$(secs "$t0" "$(now)")
  copy_rows=$(psql "$DSN" -qAtc "SELECT count(*) FROM events WHERE subject_id BETWEEN $c_lo AND $c_hi AND superseded_at IS NULL")
  lo_hi=$(psql "$DSN" -qAtc "SELECT min(subject_id) || ' ' || max(subject_id) FROM subjects")
  read -r s_lo s_hi <<<"$lo_hi"
  printf '\\set id random(%d, %d)\nSELECT * FROM events WHERE subject_id = :id AND superseded_at IS NULL ORDER BY time;\n' "$s_lo" "$s_hi" > "$WORK/pgbench-history.sql"
  rm -f "$WORK"/pgbench_log.*
  (cd "$WORK" && pgbench -n -M prepared -f pgbench-history.sql -c "$CLIENTS" -j 2 -t $(( REQUESTS / CLIENTS )) -l "$DSN" > "$WORK/pgbench-$N.txt" 2>&1)
  ref=$(cat "$WORK"/pgbench_log.* | awk '{print $3}' | sort -n | awk -v cr="$copy_rows" -v cs="$copy_s" '{v[NR]=$1} END {
    printf "{\"pgbenchHistory\": {\"requests\": %d, \"p50Ms\": %.3f, \"p99Ms\": %.3f}, \"copyCohort\": {\"rows\": %d, \"seconds\": %s, \"rowsPerSecond\": %.0f}}",
      NR, v[int(0.5*(NR-1))+1]/1000, v[int(0.99*(NR-1))+1]/1000, cr, cs, cr/cs }')
  rm -f "$WORK"/pgbench_log.*
  echo "$ref" | jq -r '"   reference  pgbench history p50 \(.pgbenchHistory.p50Ms) ms, p99 \(.pgbenchHistory.p99Ms) ms; psql COPY of the cohort \(.copyCohort.rowsPerSecond) rows/s"'
  echo "$read" | jq -r 'if .flightCohortPull then "   flight 10% \(.flightCohortPull.rows) rows in \(.flightCohortPull.seconds*10|floor/10) s = \(.flightCohortPull.rowsPerSecond|floor) rows/s (\(.flightCohortPull.endpoints) endpoints)" else empty end'
  jq -nc --argjson n "$N" --argjson ev "$EVENTS" --argjson gen "$gen" --argjson cb "$cohort_bytes" --argjson st "$stages" \
    --argjson db "$dbsize" --argjson tb "$tables" --argjson rd "$read" --argjson ref "$ref" --arg when "$(date -u +%FT%TZ)" --arg host "$(nproc) cores" \
    --arg li "$load_ingest" --arg lr "$load_read" --arg commit "$commit" \
    '{patients: $n, eventsPerPatient: $ev, generateSeconds: $gen, cohortBytes: $cb, ingest: $st, databaseBytes: $db, tables: $tb, read: $rd, reference: $ref, measured: $when, machine: $host, loadAfterIngest: $li, loadAfterRead: $lr, commit: $commit}' >> "$RESULTS"
done
echo "results: $RESULTS"
