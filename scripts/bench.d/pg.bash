# Shared by the PostgreSQL benchmarks of scripts/bench.d (sourced, not run:
# bench.sh runs only *.sh). Sets PG (MEDTWIN_BENCH_POSTGRES, default the
# database medtwin_bench on 127.0.0.1), dbname and admin (the maintenance
# database), and defines:
#   pg_ensure NAME   create the database when missing (returns 1 when no
#                    server answers)
#   withpath SCHEMA  PG with search_path=SCHEMA
#   sql QUERY        one psql query, unaligned, stopping on error
#   field KEY LINE   the value of KEY=… in a line of key=value figures
#   ratio A B        A / B to two decimals (n/a when B is 0)
PG="${MEDTWIN_BENCH_POSTGRES:-postgres://postgres@127.0.0.1:5432/medtwin_bench?sslmode=disable}"
dbname="${PG##*/}"; dbname="${dbname%%\?*}"
admin="${PG%/*}/postgres"; [[ "$PG" == *\?* ]] && admin="$admin?${PG#*\?}"
pg_ensure() {
  psql "$PG" -Atqc 'select 1' >/dev/null 2>&1 && return 0
  psql "$admin" -qc "CREATE DATABASE $dbname" || { echo "$1: no PostgreSQL at $PG; skipped"; return 1; }
}
withpath() { if [[ "$PG" == *\?* ]]; then echo "$PG&search_path=$1"; else echo "$PG?search_path=$1"; fi; }
sql() { PGOPTIONS="-c client_min_messages=warning" psql "$PG" -v ON_ERROR_STOP=1 -Atqc "$1"; }
field() { sed -n "s/.*\b$1=\([^ ]*\).*/\1/p" <<<"$2"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'; }
