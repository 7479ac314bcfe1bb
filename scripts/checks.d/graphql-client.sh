#!/usr/bin/env bash
# The GraphQL schema as a real, independent client sees it: graphql-js 16
# (scripts/package.json) introspects a running `medtwin serve`, rebuilds the
# schema with buildClientSchema, validates it and compares it with
# schema.graphqls (scripts/graphql-client-check.mjs). Skips when
# scripts/node_modules lacks graphql, except in CI (CI=true), where .ci/run
# installs it and its absence is a failure.
set -euo pipefail
cd "$(dirname "$0")/../.."
. scripts/serve.bash
if [ ! -f scripts/node_modules/graphql/package.json ] || ! command -v node >/dev/null; then
  if [ "${CI:-}" = "true" ]; then
    echo "graphql-client: graphql-js is not installed (cd scripts && npm ci)"; exit 1
  fi
  echo "graphql-client: SKIP (graphql-js not installed: cd scripts && npm ci)"; exit 0
fi
tmp=$(mktemp -d -t medtwin-gql-XXXXXX)
pid=""
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT
go build -o "$tmp/medtwin" ./cmd/medtwin
token="graphql-client-check-$RANDOM$RANDOM$RANDOM"
printf 'token,role,name\n%s,clinician,graphql-client-check\n' "$token" > "$tmp/tokens.csv"
"$tmp/medtwin" --db "sqlite:$tmp/check.db" serve --addr 127.0.0.1:0 --flight-addr off --tokens "$tmp/tokens.csv" > "$tmp/out" 2> "$tmp/err" &
pid=$!
url=$(served_url "$pid" "$tmp/out" "$tmp/err" 's#.*serving GraphQL at \(http://[^ ]*/graphql\).*#\1#p') ||
  { echo "graphql-client: server did not start"; exit 1; }
node scripts/graphql-client-check.mjs "$url" "$token" schema.graphqls
