#!/usr/bin/env bash
# Web view benchmark (issue 12): the server time of a 5,000-event patient's
# first render at /ui — every GraphQL request the page sends before the
# patient is drawn (timeline pages, twins, variants), run through the
# server's handler one after the other (an upper bound: the browser sends
# the twins and variants beside the timeline). Reference in the same run:
# a bare store read of the same 5,000 rows, the floor under any view of
# them. Target: page < 300 ms. SQLite, and PostgreSQL when
# MEDTWIN_TEST_POSTGRES is set. RUNS sets the iterations (default 20).
set -uo pipefail
cd "$(dirname "$0")/../.."
RUNS=${RUNS:-20}
echo "webui bench: load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
out=$(go test ./webui -run '^$' -bench 'FirstRender' -benchtime "${RUNS}x" -count 1 2>&1) || { echo "$out"; exit 1; }
echo "$out" | grep -E '^Benchmark'
echo "webui bench: load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "$out" | awk '
  /^BenchmarkFirstRender\/[a-z]+\/store-read/ { split($1, p, "/"); floor[p[2]] = $3 / 1e6 }
  /^BenchmarkFirstRender\/[a-z]+\/page/ { split($1, p, "/"); for (i = 1; i < NF; i++) if ($(i+1) == "server-ms/op") page[p[2]] = $i }
  END {
    for (b in page) {
      printf "webui bench: %s first render %.0f ms (target < 300 ms), store read of the same rows %.0f ms, ratio %.1f\n",
        b, page[b], floor[b], (floor[b] > 0 ? page[b] / floor[b] : 0)
    }
  }'
