#!/usr/bin/env bash
# make test-clients: interoperability checks with clients no one here wrote
# (npm graphql, apache-arrow, @duckdb/node-api). One script per check in
# scripts/checks.d/. A check whose client is not installed skips with a
# message, except in CI (CI=true), where .ci/run installs them and a missing
# client is a failure.
set -uo pipefail
cd "$(dirname "$0")/.."
status=0
for s in scripts/checks.d/*.sh; do
  [ -e "$s" ] || continue
  echo "=== client check $(basename "$s" .sh)"
  bash "$s" || { echo "client check $(basename "$s") FAILED"; status=1; }
done
exit $status
