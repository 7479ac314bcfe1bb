#!/usr/bin/env bash
# Client check: what `medtwin export` writes, read by clients no one here
# wrote — DuckDB (@duckdb/node-api, Parquet/MEDS) and apache-arrow (Arrow
# IPC file and stream) — against the MEDS file the store was loaded from.
# Skips when scripts/node_modules is absent, except in CI (CI=true).
set -euo pipefail
cd "$(dirname "$0")/../.."
if [ ! -d scripts/node_modules/@duckdb/node-api ] || [ ! -d scripts/node_modules/apache-arrow ]; then
  if [ "${CI:-}" = "true" ]; then
    echo "meds-duckdb: scripts/node_modules is missing (npm ci in scripts/)" >&2
    exit 1
  fi
  echo "meds-duckdb: skipped (run 'npm ci' in scripts/ to enable)"
  exit 0
fi
command -v node >/dev/null || { echo "meds-duckdb: node not found" >&2; [ "${CI:-}" = "true" ] && exit 1; exit 0; }

work=$(mktemp -d -t medtwin-meds-check-XXXXXX)
trap 'rm -rf "$work"' EXIT
go build -o "$work/medtwin" ./cmd/medtwin
go run ./internal/cmd/medsgen -rows 30000 -events 60 -row-group-rows 8192 -out "$work/src.parquet" >/dev/null
mt() { "$work/medtwin" --db "sqlite:$work/medtwin.db" --quiet "$@"; }
mt ingest "$work/src.parquet" 2>/dev/null
mt export --format meds --out "$work/meds" --rows-per-file 7000
mt export --format meds --out "$work/meds_hive" --partition subject-bucket --buckets 4
mt export --format parquet --out "$work/full"
mt export --format arrow --ipc file --out "$work/events.arrow"
mt export --format arrow --out - > "$work/events.arrows"
node scripts/checks.d/meds-duckdb.mjs "$work"
