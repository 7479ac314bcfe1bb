#!/usr/bin/env bash
# Client check: Arrow over HTTP (GET /arrow/{dataset} of `medtwin serve`)
# read by a client no one here wrote, apache-arrow 21 from npm
# (RecordBatchReader over fetch()), on the fixture cohort (internal/fixture),
# whose every value is a formula of the patient and lab number: row counts,
# values, pseudonymisation, a feature matrix and error statuses are checked
# in scripts/checks.d/arrow-http.mjs. Skips when scripts/node_modules lacks
# apache-arrow, except in CI (CI=true), where .ci/run installs it and its
# absence is a failure.
set -euo pipefail
cd "$(dirname "$0")/../.."
. scripts/serve.bash
if [ ! -f scripts/node_modules/apache-arrow/package.json ] || ! command -v node >/dev/null; then
  if [ "${CI:-}" = "true" ]; then
    echo "arrow-http: apache-arrow is not installed (cd scripts && npm ci)"; exit 1
  fi
  echo "arrow-http: SKIP (apache-arrow not installed: cd scripts && npm ci)"; exit 0
fi
PATIENTS=40
LABS=60
tmp=$(mktemp -d -t medtwin-arrow-http-XXXXXX)
pid=""
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT
go build -o "$tmp/medtwin" ./cmd/medtwin
go run ./internal/fixture/fixtureload --db "sqlite:$tmp/check.db" --patients "$PATIENTS" --labs "$LABS" > "$tmp/load.out"
admin="arrow-http-admin-$RANDOM$RANDOM$RANDOM"
researcher="arrow-http-researcher-$RANDOM$RANDOM$RANDOM"
printf 'token,role,name\n%s,admin,arrow-http-check\n%s,researcher,arrow-http-researcher\n' "$admin" "$researcher" > "$tmp/tokens.csv"
"$tmp/medtwin" --db "sqlite:$tmp/check.db" serve --addr 127.0.0.1:0 --flight-addr off --tokens "$tmp/tokens.csv" > "$tmp/out" 2> "$tmp/err" &
pid=$!
base=$(served_url "$pid" "$tmp/out" "$tmp/err" 's#.*serving Arrow over HTTP at \(http://[^ ]*\)/arrow/.*#\1#p') ||
  { echo "arrow-http: server did not start"; exit 1; }
node scripts/checks.d/arrow-http.mjs "$base" "$admin" "$researcher" "$PATIENTS" "$LABS"
