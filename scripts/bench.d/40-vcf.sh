#!/usr/bin/env bash
# Genomic ingest benchmark (issue 4): a generated 1,000,000-record
# single-sample bgzipped VCF with a VEP CSQ field (PERF-ANCHORS.md's shape),
# read by medtwin (parse only: BGZF blocks inflated on every core, every
# record's columns, INFO types, genotype and transcript choice) and by
#   bcftools query -f '%CHROM\t%POS\t%REF\t%ALT\t%INFO/CSQ[\t%GT]\n'
# on the same file; then end to end (medtwin ingest into a fresh SQLite
# store). Prints records/s and the parse-only ratio (target >= 1.0).
#
# Environment: BENCH_DIR (data directory, reused between runs),
# VCF_BENCH_RECORDS (default 1000000), VCF_BENCH_RUNS (default 5),
# VCF_BENCH_E2E_RECORDS (records for the end-to-end run, default 100000:
# the store, not the parser, bounds it), MEDTWIN_BENCH_POSTGRES (a scratch
# PostgreSQL database URL: the end-to-end run is repeated into it).
set -euo pipefail
cd "$(dirname "$0")/../.."
dir="${BENCH_DIR:-$(mktemp -d -t medtwin-bench-XXXXXX)}"
n="${VCF_BENCH_RECORDS:-1000000}"
runs="${VCF_BENCH_RUNS:-5}"
e2e_n="${VCF_BENCH_E2E_RECORDS:-100000}"
mkdir -p "$dir"

if ! command -v bcftools >/dev/null; then
  echo "vcf: bcftools not installed (apt-get install -y bcftools tabix): skipped"
  exit 0
fi

go build -o "$dir/vcfbench" ./ingest/vcf/internal/vcfbench
medtwin="bin/medtwin"
[ -x "$medtwin" ] || { go build -o "$dir/medtwin" ./cmd/medtwin; medtwin="$dir/medtwin"; }

vcf="$dir/vcf-$n.vcf.gz"
if [ ! -s "$vcf" ]; then
  echo "generating $n records ..."
  if command -v bgzip >/dev/null; then
    "$dir/vcfbench" gen "$n" "$dir/vcf-$n.vcf"
    bgzip -@2 -f "$dir/vcf-$n.vcf"
  else
    "$dir/vcfbench" gen "$n" "$vcf" # medtwin's own BGZF writer
  fi
fi
ls -lL "$vcf" | awk '{printf "file: %s, %.0f MB\n", $NF, $5/1e6}'

now() { date +%s.%N; }
calc() { awk "BEGIN { print $* }"; }
# median of the wall times of "$@" over $runs runs, in seconds
median() {
  local times=() t0 t1
  for _ in $(seq "$runs"); do
    t0=$(now); "$@" >/dev/null; t1=$(now)
    times+=("$(calc "$t1 - $t0")")
  done
  printf '%s\n' "${times[@]}" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'
}

# Warm the page cache, then alternate nothing else: each tool runs $runs
# times back to back.
cat "$vcf" >/dev/null
ours=$(median "$dir/vcfbench" parse "$vcf")
theirs=$(median bcftools query -f '%CHROM\t%POS\t%REF\t%ALT\t%INFO/CSQ[\t%GT]\n' -o /dev/null "$vcf")
printf 'parse only:  medtwin %.2f s = %.0f records/s; bcftools query %.2f s = %.0f records/s\n' \
  "$ours" "$(calc "$n / $ours")" "$theirs" "$(calc "$n / $theirs")"
printf 'parse-only ratio (bcftools time / medtwin time): %.2f (target >= 1.0)\n' "$(calc "$theirs / $ours")"

# End to end: a smaller file of the same shape into a fresh SQLite store.
e2e="$dir/vcf-$e2e_n.vcf.gz"
[ -s "$e2e" ] || "$dir/vcfbench" gen "$e2e_n" "$e2e"
rm -f "$dir/e2e.db" "$dir/e2e.db-wal" "$dir/e2e.db-shm"
t0=$(now)
"$medtwin" --db "sqlite:$dir/e2e.db" ingest --quiet --sample-system bench "$e2e" >/dev/null 2>&1 || true
t1=$(now)
e2e_s=$(calc "$t1 - $t0")
# what bcftools does with the same file, for scale
e2e_bcf=$(median bcftools query -f '%CHROM\t%POS\t%REF\t%ALT\t%INFO/CSQ[\t%GT]\n' -o /dev/null "$e2e")
printf 'end to end (ingest into SQLite, %d records): %.2f s = %.0f records/s; bcftools query on the same file %.2f s; ratio %.3f\n' \
  "$e2e_n" "$e2e_s" "$(calc "$e2e_n / $e2e_s")" "$e2e_bcf" "$(calc "$e2e_bcf / $e2e_s")"

# The same into PostgreSQL when a scratch database is named (its contents
# are not cleared: give an empty one).
if [ -n "${MEDTWIN_BENCH_POSTGRES:-}" ]; then
  t0=$(now)
  "$medtwin" --db "$MEDTWIN_BENCH_POSTGRES" ingest --quiet --sample-system bench "$e2e" >/dev/null 2>&1 || true
  t1=$(now)
  pg_s=$(calc "$t1 - $t0")
  printf 'end to end (ingest into PostgreSQL, %d records): %.2f s = %.0f records/s; ratio to bcftools query %.3f\n' \
    "$e2e_n" "$pg_s" "$(calc "$e2e_n / $pg_s")" "$(calc "$e2e_bcf / $pg_s")"
fi
