#!/usr/bin/env bash
# Imaging features benchmark (issue 6): first-order + shape features on a
# 512×512×300 CT (0.7 × 0.7 × 1.0 mm, 157 MB of int16) with a 100 mL
# mask, the phantom of features/internal/phantom written as a DICOM
# series. medtwin (features/internal/featbench: ingest/dicom series
# assembly, features.Load, ComputeFirstOrder, ComputeShape) against the
# reference implementations pyradiomics builds on: numpy for first-order
# statistics (pyradiomics firstorder.py is numpy), scikit-image marching
# cubes + scipy convex hull for the mesh (pyradiomics itself is not
# packaged in Debian). Both read the same files; only the feature
# computation is timed on each side, and the two results are compared.
# Then `medtwin ingest --features` end to end (body mask path) with its
# peak memory.
#
# Prints seconds, voxels/s, the ratios (reference time / medtwin time:
# > 1 means medtwin is faster) and peak memory as a multiple of the
# volume's size (target < 3).
#
# Environment: BENCH_DIR (data directory, reused), FEATURES_BENCH_SLICES
# (default 300).
set -euo pipefail
cd "$(dirname "$0")/../.."
dir="${BENCH_DIR:-$(mktemp -d -t medtwin-bench-XXXXXX)}"
slices="${FEATURES_BENCH_SLICES:-300}"
series="$dir/features-ct-$slices"
py=/usr/bin/python3 # Debian's python3-numpy/pydicom/skimage live here (PERF-ANCHORS.md)

go build -o "$dir/featbench" ./features/internal/featbench
medtwin="bin/medtwin"
[ -x "$medtwin" ] || { go build -o "$dir/medtwin" ./cmd/medtwin; medtwin="$dir/medtwin"; }

if [ ! -s "$series/IM00001.dcm" ] || [ "$(ls "$series" | wc -l)" -ne "$slices" ]; then
  rm -rf "$series"
  echo "generating a 512x512x$slices CT series ..."
  "$dir/featbench" gen "$series" "$slices"
fi
cat "$series"/* >/dev/null # warm the page cache

out=$(/usr/bin/time -o "$dir/featbench.time" -f '%U %S' "$dir/featbench" run "$series")
get() { printf '%s\n' "$out" | awk -F= -v k="$1" '$1 == k { print $2 }'; }
calc() { awk "BEGIN { print $* }"; }
voxels=$(get voxels); vbytes=$(get volume_bytes)
fo=$(get firstorder_s); sh=$(get shape_s); load=$(get load_s); mask=$(get mask_s)
printf 'volume: 512x512x%s = %s voxels (%.0f MB int16), mask %.1f mL\n' "$slices" "$voxels" "$(calc "$vbytes / 1e6")" "$(get mask_ml)"
printf 'medtwin: load %.2f s; mask %.3f s; first-order %.3f s = %.0f Mvoxels/s; shape %.3f s = %.0f Mvoxels/s; first-order+shape %.3f s\n' \
  "$load" "$mask" "$fo" "$(calc "$voxels / $fo / 1e6")" "$sh" "$(calc "$voxels / $sh / 1e6")" "$(calc "$fo + $sh")"
printf 'medtwin process CPU (user+sys, load + mask + features): %.2f s (wall figures on a shared machine include I/O waits)\n' "$(awk '{print $1 + $2}' "$dir/featbench.time")"
printf 'medtwin peak memory (load + features): %.0f MB = %.2fx the volume\n' "$(calc "$(get peak_rss_bytes) / 1e6")" "$(calc "$(get peak_rss_bytes) / $vbytes")"

if "$py" -c 'import numpy, pydicom, skimage.measure, scipy.spatial' 2>/dev/null; then
  ref=$("$py" - "$series" <<'EOF'
import glob, math, sys, time
import numpy as np, pydicom
from skimage import measure
from scipy.spatial import ConvexHull
from scipy.spatial.distance import pdist

ds = [pydicom.dcmread(f) for f in glob.glob(sys.argv[1] + "/*.dcm")]
ds.sort(key=lambda d: float(d.ImagePositionPatient[2]))
vol = np.stack([d.pixel_array.astype(np.int16) * int(d.RescaleSlope) + int(d.RescaleIntercept) for d in ds]).astype(np.int16)
sp = np.array([1.0, 0.7, 0.7])  # z, y, x
nz = vol.shape[0]
# phantom.Benchmark: centre voxel (256, 250, nz/2), r = cbrt(3*100e3/4pi); box r+2 mm
c = np.array([(nz // 2) * 1.0, 250 * 0.7, 256 * 0.7]); R = (3 * 100e3 / (4 * math.pi)) ** (1 / 3) + 2
idx = [np.arange(n) * s for n, s in zip(vol.shape, sp)]
inside = [(np.abs(a - cc) <= R + 1e-6) for a, cc in zip(idx, c)]
mask = inside[0][:, None, None] & inside[1][None, :, None] & inside[2][None, None, :] & (vol >= 0)

t0 = time.perf_counter()
X = vol[mask].astype(np.float64)
n = X.size; mean = X.mean()
p10, p25, med, p75, p90 = np.percentile(X, [10, 25, 50, 75, 90])
var = X.var(); d = X - mean
skew = (d ** 3).mean() / var ** 1.5; kurt = (d ** 4).mean() / var ** 2
energy = (X ** 2).sum(); rms = math.sqrt(energy / n); mad = np.abs(d).mean()
sub = X[(X >= p10) & (X <= p90)]; rmad = np.abs(sub - sub.mean()).mean()
b = (np.floor(X / 25) - np.floor(X.min() / 25)).astype(np.int64)
cnt = np.bincount(b); p = cnt[cnt > 0] / n
entropy = -(p * np.log2(p + np.spacing(1))).sum(); unif = (p ** 2).sum()
t_fo = time.perf_counter() - t0

t0 = time.perf_counter()
zz, yy, xx = np.nonzero(mask)
sl = tuple(slice(a.min() - 1, a.max() + 2) for a in (zz, yy, xx))
m = mask[sl].astype(np.float32)
verts, faces, _, _ = measure.marching_cubes(m, 0.5, spacing=tuple(sp))
area = measure.mesh_surface_area(verts, faces)
a, b2, c2 = verts[faces[:, 0]], verts[faces[:, 1]], verts[faces[:, 2]]
mvol = abs(np.einsum("ij,ij->i", a, np.cross(b2, c2)).sum() / 6)
hull = verts[ConvexHull(verts).vertices]
diam = pdist(hull).max()
t_sh = time.perf_counter() - t0
print(f"ref_firstorder_s={t_fo:.4f}\nref_shape_s={t_sh:.4f}\nref_mean_hu={mean:.4f}\nref_p10_hu={p10:g}\nref_p90_hu={p90:g}\nref_entropy={entropy:.6f}\nref_mesh_volume_mm3={mvol:.1f}\nref_surface_mm2={area:.1f}\nref_diameter_mm={diam:.3f}")
EOF
)
  rget() { printf '%s\n' "$ref" | awk -F= -v k="$1" '$1 == k { print $2 }'; }
  rfo=$(rget ref_firstorder_s); rsh=$(rget ref_shape_s)
  printf 'numpy first-order %.3f s -> ratio %.1fx; scikit-image marching cubes + scipy hull %.3f s -> ratio %.1fx\n' \
    "$rfo" "$(calc "$rfo / $fo")" "$rsh" "$(calc "$rsh / $sh")"
  printf 'agreement: mean %s / %s HU, P10 %s / %s, P90 %s / %s, entropy %s / %s; mesh volume %s / %s mm3, area %s / %s mm2, diameter %s / %s mm (medtwin / reference)\n' \
    "$(get mean_hu)" "$(rget ref_mean_hu)" "$(get p10_hu)" "$(rget ref_p10_hu)" "$(get p90_hu)" "$(rget ref_p90_hu)" \
    "$(get entropy)" "$(rget ref_entropy)" "$(get mesh_volume_mm3)" "$(rget ref_mesh_volume_mm3)" \
    "$(get surface_mm2)" "$(rget ref_surface_mm2)" "$(get diameter_mm)" "$(rget ref_diameter_mm)"
else
  echo "features: reference skipped (apt-get install -y python3-numpy python3-pydicom python3-skimage python3-scipy)"
fi

# End to end: ingest with --features (body mask, first-order and shape in
# it; ABDOMEN, so no lung) into a fresh store.
db="$dir/features-e2e.db"; rm -f "$db" "$db"-*
if [ -x /usr/bin/time ]; then
  e2e=$( { /usr/bin/time -f 'wall=%e cpu=%U+%S rss_kb=%M' "$medtwin" ingest --db "sqlite:$db" --features "$series" >/dev/null; } 2>&1 | tail -1)
  wall=$(printf '%s' "$e2e" | sed -n 's/.*wall=\([0-9.]*\).*/\1/p'); cpu=$(calc "$(printf '%s' "$e2e" | sed -n 's/.*cpu=\([0-9.+]*\).*/\1/p')"); rss=$(printf '%s' "$e2e" | sed -n 's/.*rss_kb=\([0-9]*\).*/\1/p')
  printf 'medtwin ingest --features (%s files, body mask path): %.2f s wall, %.2f s CPU, peak %.0f MB = %.2fx the volume\n' \
    "$slices" "$wall" "$cpu" "$(calc "$rss * 1024 / 1e6")" "$(calc "$rss * 1024 / $vbytes")"
fi
