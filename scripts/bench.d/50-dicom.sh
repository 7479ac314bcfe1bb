#!/usr/bin/env bash
# DICOM metadata ingest (issue 5): DICOM_BENCH_FILES (default 10,000) CT
# slices cloned from the shared Philips series with new UIDs and PatientIDs
# (512x512, 520 KB each, 7.6 KB header), read by
#   - dcmdump -q -M +sd DIR            (Debian dcmtk; anchor ~11.5k files/s)
#   - gdcmscanner -d DIR -t 0010,0020 -t 0020,000d
#                                      (Debian libgdcm-tools; anchor ~25.6k files/s)
#   - dcmbench scan DIR                (ingest/dicom's metadata read, both cores: the parse)
#   - medtwin ingest DIR               (end to end into SQLite: studies, series rows, manifest)
# Goals: the parse >= 2x dcmdump and >= 1x gdcmscanner. It prints wall and CPU
# seconds and files/s; on a shared machine wall times are noisy and the
# CPU-time ratio says what each tool costs.
set -uo pipefail
cd "$(dirname "$0")/../.."
dir="${BENCH_DIR:-$(mktemp -d -t medtwin-bench-XXXXXX)}"
n="${DICOM_BENCH_FILES:-10000}"
data="$dir/dicom-ct-$n"
src="${MEDTWIN_TESTDATA:-../shared/testdata}/dicom/series/dcm_qa_ct_philips_std_brain_5mm"
if [ ! -d "$src" ]; then
  echo "skip: $src not found (shared test data)"
  exit 0
fi
go build -o "$dir/dcmbench" ./ingest/dicom/internal/dcmbench || exit 1
go build -o "$dir/medtwin" ./cmd/medtwin || exit 1
if [ "$(find "$data" -type f 2>/dev/null | wc -l)" -ne "$n" ]; then
  rm -rf "$data"
  "$dir/dcmbench" gen -n "$n" -per-study 100 -out "$data" "$src"/I* || exit 1
fi
cat "$data"/* > /dev/null # warm the page cache, as the anchors were measured
echo "input: $data: $n files, $(du -sh "$data" | cut -f1); $(nproc) cores; load $(cut -d' ' -f1-3 /proc/loadavg)"

TIMEFORMAT='%R %U %S'
declare -A WALL CPU
# measure NAME CMD...: best of 3 runs by wall time.
measure() {
  local name=$1; shift
  local best_w="" best_c="" t
  for _ in 1 2 3; do
    t=$( { time "$@" > /dev/null 2>"$dir/dicom-bench.err"; } 2>&1 ) || { echo "$name: failed: $(head -3 "$dir/dicom-bench.err")"; return 1; }
    local w c
    w=$(awk '{ print $1 }' <<<"$t"); c=$(awk '{ printf "%.3f", $2 + $3 }' <<<"$t")
    if [ -z "$best_w" ] || awk -v a="$w" -v b="$best_w" 'BEGIN { exit !(a < b) }'; then best_w=$w; best_c=$c; fi
  done
  WALL[$name]=$best_w; CPU[$name]=$best_c
  awk -v name="$name" -v w="$best_w" -v c="$best_c" -v n="$n" 'BEGIN {
    printf "%-24s wall %7.3fs  cpu %7.3fs  %9.0f files/s  (%9.0f files per cpu-s)\n", name, w, c, n / w, n / c }'
}
ratio() { # ratio A B: how many times faster A is than B
  awk -v a="${WALL[$1]:-0}" -v b="${WALL[$2]:-0}" -v ca="${CPU[$1]:-0}" -v cb="${CPU[$2]:-0}" -v x="$1" -v y="$2" 'BEGIN {
    if (a > 0 && b > 0) printf "%-12s vs %-12s %5.2fx wall  %5.2fx cpu\n", x, y, b / a, (ca > 0 ? cb / ca : 0) }'
}

command -v dcmdump > /dev/null && measure dcmdump dcmdump -q -M +sd "$data" || echo "dcmdump: not installed (apt-get install -y dcmtk)"
command -v gdcmscanner > /dev/null && measure gdcmscanner gdcmscanner -d "$data" -t 0010,0020 -t 0020,000d || echo "gdcmscanner: not installed (apt-get install -y libgdcm-tools)"
measure medtwin-parse "$dir/dcmbench" scan -runs 1 "$data"
measure medtwin-parse-1core "$dir/dcmbench" scan -runs 1 -workers 1 "$data"
rm -f "$dir/dicom-bench.db"*
measure medtwin-ingest sh -c "rm -f '$dir/dicom-bench.db'*; '$dir/medtwin' --db 'sqlite:$dir/dicom-bench.db' ingest --quiet '$data'"
echo
ratio medtwin-parse dcmdump
ratio medtwin-parse gdcmscanner
ratio medtwin-ingest dcmdump
ratio medtwin-ingest gdcmscanner
echo "goal: medtwin-parse >= 2x dcmdump and >= 1x gdcmscanner"
