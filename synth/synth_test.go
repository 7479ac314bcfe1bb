package synth

import (
	"bufio"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"io/fs"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/suyashkumar/dicom"
	"github.com/suyashkumar/dicom/pkg/tag"
)

// small returns a configuration that keeps a test fast: tiny CT matrices.
func small(t testing.TB, n int, seed int64) Config {
	cfg := DefaultConfig(n, seed, t.TempDir())
	cfg.CTCols, cfg.CTRows, cfg.CTSlices = 16, 16, 8
	cfg.EventsPerPatient = 60
	cfg.ShardPatients = 7
	cfg.GermlineBatch = 5
	return cfg
}

func generate(t testing.TB, cfg Config) *Summary {
	t.Helper()
	sum, err := Generate(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	return sum
}

// hashTree maps every file under dir to its SHA-256.
func hashTree(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		s := sha256.Sum256(b)
		out[rel] = hex.EncodeToString(s[:])
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// Two runs with the same seed give the same bytes, whatever the number
// of workers; another seed gives another cohort.
func TestDeterministic(t *testing.T) {
	a := small(t, 16, 42)
	a.Workers, a.Gzip = 1, true
	b := small(t, 16, 42)
	b.Workers, b.Gzip = 3, true
	generate(t, a)
	generate(t, b)
	ha, hb := hashTree(t, a.Out), hashTree(t, b.Out)
	if len(ha) < 20 {
		t.Fatalf("only %d files", len(ha))
	}
	if len(ha) != len(hb) {
		t.Fatalf("%d files vs %d", len(ha), len(hb))
	}
	for f, h := range ha {
		if hb[f] != h {
			t.Errorf("%s differs between runs", f)
		}
	}
	c := small(t, 16, 43)
	c.Gzip = true
	generate(t, c)
	hc := hashTree(t, c.Out)
	if hc["truth.json"] == ha["truth.json"] || hc["fhir/Observation.001.ndjson.gz"] == ha["fhir/Observation.001.ndjson.gz"] {
		t.Error("another seed gave the same cohort")
	}
}

func TestRefusesNonEmptyDir(t *testing.T) {
	cfg := small(t, 2, 1)
	if err := os.WriteFile(filepath.Join(cfg.Out, "keep.txt"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Generate(context.Background(), cfg); !errors.Is(err, ErrConfig) {
		t.Fatalf("want ErrConfig, got %v", err)
	}
	cfg.Overwrite = true
	generate(t, cfg)
	generate(t, cfg) // again over itself
	if _, err := os.Stat(filepath.Join(cfg.Out, "keep.txt")); err != nil {
		t.Error("overwrite removed a file that is not the cohort's")
	}
}

func TestConfigErrors(t *testing.T) {
	for name, mod := range map[string]func(*Config){
		"no patients": func(c *Config) { c.Patients = 0 },
		"no out":      func(c *Config) { c.Out = "" },
		"ct size":     func(c *Config) { c.CTCols = 2 },
		"fraction":    func(c *Config) { c.CTFraction = 2 },
	} {
		cfg := small(t, 1, 1)
		mod(&cfg)
		if _, err := Generate(context.Background(), cfg); !errors.Is(err, ErrConfig) {
			t.Errorf("%s: want ErrConfig, got %v", name, err)
		}
	}
}

func readTruth(t testing.TB, dir string) *Truth {
	t.Helper()
	tr, err := ReadTruth(dir)
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

// readNDJSON decodes every line of the cohort's files of one resource type.
func readNDJSON(t *testing.T, dir, typ string) []map[string]any {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(dir, DirFHIR, typ+".*.ndjson*"))
	if len(files) == 0 {
		t.Fatalf("no %s files", typ)
	}
	var out []map[string]any
	for _, f := range files {
		fh, err := os.Open(f)
		if err != nil {
			t.Fatal(err)
		}
		var r io.Reader = fh
		if strings.HasSuffix(f, ".gz") {
			zr, err := gzip.NewReader(fh)
			if err != nil {
				t.Fatal(err)
			}
			r = zr
		}
		sc := bufio.NewScanner(r)
		sc.Buffer(make([]byte, 1<<20), 1<<24)
		for n := 1; sc.Scan(); n++ {
			var m map[string]any
			if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
				t.Fatalf("%s line %d: %v", f, n, err)
			}
			if m["resourceType"] != typ {
				t.Fatalf("%s line %d: resourceType %v", f, n, m["resourceType"])
			}
			out = append(out, m)
		}
		fh.Close()
	}
	return out
}

func ref(m map[string]any, k string) string {
	r, _ := m[k].(map[string]any)
	s, _ := r["reference"].(string)
	return s
}

// The FHIR files are valid NDJSON whose references resolve, with UCUM
// quantities, issued after effective, SI units at the SI site.
func TestFHIR(t *testing.T) {
	cfg := small(t, 20, 5)
	cfg.Gzip = true
	sum := generate(t, cfg)
	truth := readTruth(t, cfg.Out)
	known := map[string]bool{}
	res := map[string][]map[string]any{}
	for _, typ := range fhirTypes {
		res[typ] = readNDJSON(t, cfg.Out, typ)
		if int64(len(res[typ])) != sum.Resources[typ] {
			t.Errorf("%s: %d lines, summary says %d", typ, len(res[typ]), sum.Resources[typ])
		}
		for _, m := range res[typ] {
			id := typ + "/" + m["id"].(string)
			if known[id] {
				t.Errorf("duplicate id %s", id)
			}
			known[id] = true
		}
	}
	if len(res["Patient"]) != 20 {
		t.Fatalf("%d patients", len(res["Patient"]))
	}
	for _, p := range res["Patient"] {
		ids := p["identifier"].([]any)
		mrn := ids[0].(map[string]any)
		if mrn["system"] != MRNSystem || mrn["value"] == "" {
			t.Errorf("patient %v: MRN identifier %v", p["id"], mrn)
		}
	}
	check := func(typ, field string, m map[string]any) {
		if r := ref(m, field); r != "" && !known[r] {
			t.Errorf("%s/%v: %s %s does not resolve", typ, m["id"], field, r)
		}
	}
	siUnits := map[string]bool{}
	for _, typ := range fhirTypes[1:] {
		for _, m := range res[typ] {
			if !known[ref(m, "subject")] {
				t.Fatalf("%s/%v: subject %q does not resolve", typ, m["id"], ref(m, "subject"))
			}
			check(typ, "encounter", m)
			check(typ, "context", m)
			check(typ, "request", m)
			for _, k := range []string{"reasonReference", "focus", "hasMember"} {
				if rs, ok := m[k].([]any); ok {
					for _, r := range rs {
						if s := r.(map[string]any)["reference"].(string); !known[s] {
							t.Errorf("%s/%v: %s %s does not resolve", typ, m["id"], k, s)
						}
					}
				}
			}
			if typ != "Observation" {
				continue
			}
			eff, err1 := time.Parse(time.RFC3339, m["effectiveDateTime"].(string))
			iss, err2 := time.Parse(time.RFC3339, m["issued"].(string))
			if err1 != nil || err2 != nil || iss.Before(eff) {
				t.Errorf("Observation/%v: effective %v issued %v", m["id"], m["effectiveDateTime"], m["issued"])
			}
			if eff.After(cfg.End) {
				t.Errorf("Observation/%v after the cohort's end", m["id"])
			}
			if q, ok := m["valueQuantity"].(map[string]any); ok {
				if q["system"] != sysUCUM || q["code"] == "" {
					t.Errorf("Observation/%v: quantity %v", m["id"], q)
				}
				code := m["code"].(map[string]any)["coding"].([]any)[0].(map[string]any)["code"].(string)
				if code == "14631-6" || code == "14682-9" {
					siUnits[code] = true
					if q["code"] != "umol/L" {
						t.Errorf("%s in %v", code, q["code"])
					}
				}
			}
		}
	}
	if !siUnits["14682-9"] {
		t.Error("no creatinine in µmol/L: the SI site is not exercised")
	}
	// Diagnoses in truth are coded conditions in the files.
	var nconds int
	for _, p := range truth.Cohort {
		nconds += len(p.Diagnoses)
	}
	if nconds == 0 || len(res["Condition"]) < nconds {
		t.Errorf("%d conditions for %d distinct diagnoses", len(res["Condition"]), nconds)
	}
}

// readVCF decompresses a BGZF file (gzip readers read BGZF: it is
// multi-member gzip) and checks the EOF block.
func readVCF(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(b) < 28 || string(b[len(b)-28:]) != string(bgzfEOF) {
		t.Errorf("%s: no BGZF EOF block", path)
	}
	if b[3]&4 == 0 || b[12] != 'B' || b[13] != 'C' {
		t.Errorf("%s: first block is not BGZF", path)
	}
	zr, err := gzip.NewReader(strings.NewReader(string(b)))
	if err != nil {
		t.Fatal(err)
	}
	text, err := io.ReadAll(zr)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return string(text)
}

func TestGenomics(t *testing.T) {
	cfg := small(t, 40, 11)
	generate(t, cfg)
	truth := readTruth(t, cfg.Out)
	byMRN := map[string]*TruthPatient{}
	bySample := map[string]*TruthPatient{}
	for i := range truth.Cohort {
		p := &truth.Cohort[i]
		byMRN[p.MRN] = p
		for _, s := range p.Samples {
			bySample[s.ID] = p
		}
	}
	// Germline genotypes in the VCF batches are truth's.
	files, _ := filepath.Glob(filepath.Join(cfg.Out, DirGenomics, "germline", "*.vcf.gz"))
	if len(files) < 2 {
		t.Fatalf("%d germline batches", len(files))
	}
	calls := 0
	for _, f := range files {
		text := readVCF(t, f)
		var samples []string
		for _, line := range strings.Split(strings.TrimSpace(text), "\n") {
			if strings.HasPrefix(line, "#CHROM") {
				samples = strings.Split(line, "\t")[9:]
				continue
			}
			if strings.HasPrefix(line, "#") {
				continue
			}
			cols := strings.Split(line, "\t")
			for k, s := range samples {
				p := bySample[s]
				if p == nil {
					t.Fatalf("%s: sample %s not in truth", f, s)
				}
				gt := strings.Split(cols[9+k], ":")[0]
				n := strings.Count(gt, "1")
				if p.Genotypes[cols[2]] != n {
					t.Errorf("%s %s: %s, truth %d", s, cols[2], gt, p.Genotypes[cols[2]])
				}
				calls++
			}
		}
	}
	// Allele frequencies are near the intended ones over a bigger cohort
	// (checked from the model, not the files, to stay fast).
	g := &gen{cfg: DefaultConfig(1, 3, ""), ids: ids{3}}
	counts := make([]int, len(liverLoci))
	const n = 3000
	for i := 0; i < n; i++ {
		r := newRNG(3, uint64(i))
		for k, l := range liverLoci {
			counts[k] += hwe(r, l.AF)
		}
	}
	_ = g
	for k, l := range liverLoci {
		af := float64(counts[k]) / (2 * n)
		if math.Abs(af-l.AF) > 0.03 {
			t.Errorf("%s: allele frequency %.3f, want %.2f", l.RSID, af, l.AF)
		}
	}
	// The manifest names every sample with the patient's MRN.
	mf, err := os.Open(filepath.Join(cfg.Out, ManifestFile))
	if err != nil {
		t.Fatal(err)
	}
	defer mf.Close()
	rows, err := csv.NewReader(mf).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(rows[0], ",") != "sample,system,value,collected,tissue,tumor_normal" {
		t.Errorf("manifest header %v", rows[0])
	}
	tumours := 0
	for _, row := range rows[1:] {
		p := bySample[row[0]]
		if p == nil || row[1] != MRNSystem || row[2] != p.MRN {
			t.Errorf("manifest row %v does not match truth", row)
		}
		if row[5] == "tumor" {
			tumours++
		}
	}
	// Somatic calls: each truth variant is in its sample's VCF or in the MAF.
	maf, _ := os.ReadFile(filepath.Join(cfg.Out, DirGenomics, MAFFile))
	found := 0
	for _, p := range truth.Cohort {
		for _, v := range p.Somatic {
			needle := v.Chrom + "\t" + strconv.Itoa(v.Pos) + "\t"
			path := filepath.Join(cfg.Out, DirGenomics, "somatic", v.Sample+".vcf.gz")
			if _, err := os.Stat(path); err == nil {
				if strings.Contains(readVCF(t, path), needle) {
					found++
				}
			} else if strings.Contains(string(maf), v.Sample) && strings.Contains(string(maf), needle) {
				found++
			} else {
				t.Errorf("somatic %s %s of %s not written", v.Gene, v.Protein, v.Sample)
			}
		}
	}
	t.Logf("%d germline calls, %d tumour samples, %d somatic variants", calls, tumours, found)
	if tumours == 0 || found == 0 {
		t.Error("no oncology genomics in 40 patients")
	}
	// htslib reads what we wrote, when it is installed.
	if _, err := exec.LookPath("bgzip"); err == nil {
		out, err := exec.Command("bgzip", "-t", files[0]).CombinedOutput()
		if err != nil {
			t.Errorf("bgzip -t: %v %s", err, out)
		}
	}
	if _, err := exec.LookPath("bcftools"); err == nil {
		out, err := exec.Command("bcftools", "view", "-H", files[0]).CombinedOutput()
		if err != nil || strings.Count(string(out), "\n") != len(liverLoci) {
			t.Errorf("bcftools view: %v %s", err, out)
		}
	}
}

// The CT series have consistent geometry, link by MRN, and their pixels
// carry the truth: the liver's attenuation and the lesions.
func TestDICOM(t *testing.T) {
	cfg := small(t, 30, 5)
	generate(t, cfg)
	truth := readTruth(t, cfg.Out)
	checked, reports := 0, 0
	for _, p := range truth.Cohort {
		for _, s := range p.Studies {
			dir := filepath.Join(cfg.Out, DirDICOM, p.MRN, s.Accession)
			if s.Report {
				reports++
				checkSR(t, filepath.Join(dir, "SR0001.dcm"), p, s)
			}
			if !s.Pixels || checked >= 4 {
				continue
			}
			checked++
			files, _ := filepath.Glob(filepath.Join(dir, "CT*.dcm"))
			if len(files) != cfg.CTSlices {
				t.Fatalf("%s: %d slices", dir, len(files))
			}
			geo := newGeometry(cfg.CTCols, cfg.CTRows, cfg.CTSlices)
			var liverSum, liverN float64
			for k, f := range files {
				d, err := dicom.ParseFile(f, nil)
				if err != nil {
					t.Fatalf("%s: %v", f, err)
				}
				if v := strs(t, d, tag.PatientID); v[0] != p.MRN {
					t.Errorf("%s: PatientID %v", f, v)
				}
				if v := strs(t, d, tag.StudyInstanceUID); v[0] != s.UID {
					t.Errorf("%s: study %v", f, v)
				}
				pos := strs(t, d, tag.ImagePositionPatient)
				z, _ := strconv.ParseFloat(pos[2], 64)
				_, _, wantZ := geo.position(0, 0, k)
				if math.Abs(z-wantZ) > 1e-6 {
					t.Errorf("%s: z %v, want %v", f, z, wantZ)
				}
				pe, err := d.FindElementByTag(tag.PixelData)
				if err != nil {
					t.Fatal(err)
				}
				info := dicom.MustGetPixelDataInfo(pe.Value)
				nf, err := info.Frames[0].GetNativeFrame()
				if err != nil {
					t.Fatal(err)
				}
				for row := 0; row < geo.rows; row++ {
					for col := 0; col < geo.cols; col++ {
						x, y, zz := geo.position(col, row, k)
						if liverOrg.u(x, y, zz) > 0.6 || insideLesion(s, p, x, y, zz) {
							continue
						}
						v, _ := nf.GetPixel(col, row)
						liverSum += float64(v[0]) - 1024
						liverN++
					}
				}
			}
			if liverN < 10 {
				t.Fatalf("%s: %v liver voxels", dir, liverN)
			}
			if mean := liverSum / liverN; math.Abs(mean-s.LiverHU) > 4 {
				t.Errorf("%s: liver %.1f HU in the pixels, truth %.1f", dir, mean, s.LiverHU)
			}
		}
	}
	if checked == 0 || reports == 0 {
		t.Fatalf("checked %d series, %d reports", checked, reports)
	}
}

func insideLesion(s TruthStudy, p TruthPatient, x, y, z float64) bool {
	if p.Oncology == nil {
		return false
	}
	for _, st := range p.Oncology.Studies {
		if st.StudyUID != s.UID {
			continue
		}
		for _, l := range st.Lesions {
			dx, dy, dz := x-l.Center[0], y-l.Center[1], z-l.Center[2]
			if r := l.LongMM/2 + 12; dx*dx+dy*dy+dz*dz < r*r {
				return true
			}
		}
	}
	return false
}

func strs(t *testing.T, d dicom.Dataset, tg tag.Tag) []string {
	t.Helper()
	e, err := d.FindElementByTag(tg)
	if err != nil {
		t.Fatalf("tag %v: %v", tg, err)
	}
	return e.Value.GetValue().([]string)
}

// checkSR walks a TID 1500 report: one measurement group per lesion with
// tracking identifier, UID, finding site and long axis as in truth.
func checkSR(t *testing.T, path string, p TruthPatient, s TruthStudy) {
	t.Helper()
	d, err := dicom.ParseFile(path, nil)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if v := strs(t, d, tag.PatientID); v[0] != p.MRN {
		t.Errorf("%s: PatientID %v", path, v)
	}
	groups := 0
	var walk func(items []*dicom.SequenceItemValue)
	walk = func(items []*dicom.SequenceItemValue) {
		for _, it := range items {
			els := it.GetValue().([]*dicom.Element)
			for _, e := range els {
				if e.Tag == tag.ConceptNameCodeSequence {
					cn := e.Value.GetValue().([]*dicom.SequenceItemValue)[0].GetValue().([]*dicom.Element)
					for _, c := range cn {
						if c.Tag == tag.CodeValue && c.Value.GetValue().([]string)[0] == "125007" {
							groups++
						}
					}
				}
				if e.Tag == tag.ContentSequence {
					walk(e.Value.GetValue().([]*dicom.SequenceItemValue))
				}
			}
		}
	}
	cs, err := d.FindElementByTag(tag.ContentSequence)
	if err != nil {
		t.Fatal(err)
	}
	walk(cs.Value.GetValue().([]*dicom.SequenceItemValue))
	want := s.Lesions
	if s.Story == "liver" {
		want = 2 // liver and spleen ROIs
	}
	if groups != want {
		t.Errorf("%s: %d measurement groups, want %d", path, groups, want)
	}
}

// The AI outputs are the long format and carry the documented bias: the
// mean error against the truth per version is close to the tool's bias.
func TestAIOutputs(t *testing.T) {
	cfg := small(t, 60, 9)
	cfg.CTFraction = 0 // the AI rows do not need pixels
	generate(t, cfg)
	truth := readTruth(t, cfg.Out)
	lesions := map[string]float64{} // study/tracking id → true long axis
	liver := map[string]float64{}
	for _, p := range truth.Cohort {
		for _, s := range p.Studies {
			liver[s.UID] = s.LiverHU
		}
		if p.Oncology != nil {
			for _, s := range p.Oncology.Studies {
				for _, l := range s.Lesions {
					lesions[s.StudyUID+"/"+l.TrackingID] = l.LongMM
				}
			}
		}
	}
	f, err := os.Open(filepath.Join(cfg.Out, DirAI, AIFile))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	for i, c := range []string{"patient_system", "patient_value", "study_uid", "time", "feature", "value", "unit", "roi", "algorithm", "version"} {
		if rows[0][i] != c {
			t.Fatalf("column %d is %q, want %q", i, rows[0][i], c)
		}
	}
	type acc struct{ sum, n float64 }
	errs := map[string]*acc{}
	for _, r := range rows[1:] {
		v, _ := strconv.ParseFloat(r[5], 64)
		var truthV float64
		var ok bool
		switch r[4] {
		case "IMAGING//CT//lesion_long_axis":
			truthV, ok = lesions[r[2]+"/"+r[7]]
		case "IMAGING//CT//liver_mean_hu":
			truthV, ok = liver[r[2]]
		default:
			continue
		}
		if !ok {
			continue // a false positive
		}
		k := r[8] + " " + r[9]
		if errs[k] == nil {
			errs[k] = &acc{}
		}
		errs[k].sum += v - truthV
		errs[k].n++
	}
	for _, tool := range aiTools[:2] {
		for _, ver := range tool.Versions {
			a := errs[tool.Algorithm+" "+ver.Version]
			if a == nil || a.n < 5 {
				t.Logf("%s %s: too few outputs to check (%v)", tool.Algorithm, ver.Version, a)
				continue
			}
			bias := a.sum / a.n
			if se := ver.SD / math.Sqrt(a.n); math.Abs(bias-ver.Bias) > 4*se+0.05 {
				t.Errorf("%s %s: bias %.2f over %v outputs, want %.2f", tool.Algorithm, ver.Version, bias, a.n, ver.Bias)
			}
		}
	}
	if len(truth.AITools) != 3 || truth.AITools[0].Versions[1].Bias != aiTools[0].Versions[1].Bias || truth.AITools[1].Change != aiTools[1].Change {
		t.Errorf("truth.json AI tools: %+v", truth.AITools)
	}
	if len(errs) < 3 {
		t.Errorf("AI versions seen: %v", keys(errs))
	}
}

func keys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Stories have the physiology they claim: progressors' platelets fall,
// pneumonia CURB-65 matches its inputs' thresholds, oncology lesion sums
// follow the line's response.
func TestStories(t *testing.T) {
	g := &gen{cfg: DefaultConfig(1, 21, ""), ids: ids{21}}
	var liver, pneu, onc int
	for i := 0; i < 300; i++ {
		p := g.patient(i)
		if p.Liver != nil {
			liver++
			if p.Liver.FinalStage < p.Liver.InitialStage {
				t.Errorf("patient %d: fibrosis regressed", i)
			}
		}
		for _, e := range p.Pneumonia {
			pneu++
			if e.CURB65 < 0 || e.CURB65 > 5 || !e.Discharged.After(e.Admitted) {
				t.Errorf("patient %d: episode %+v", i, e)
			}
		}
		if o := p.Oncology; o != nil && len(o.Studies) > 1 {
			onc++
			base := o.Studies[0].SumMM
			if base < 10 {
				t.Errorf("patient %d: baseline sum %.1f mm", i, base)
			}
			if o.Lines[0].Response == "PR" {
				min := base
				for _, s := range o.Studies[1:] {
					min = math.Min(min, s.SumMM)
				}
				if len(o.Studies) > 2 && min > 0.8*base {
					t.Errorf("patient %d: partial response but the sum only fell from %.1f to %.1f", i, base, min)
				}
			}
		}
		for _, o := range p.Observations {
			if o.Time.After(g.cfg.End) {
				t.Fatalf("patient %d: observation after the end", i)
			}
		}
	}
	if liver < 50 || pneu < 40 || onc < 20 {
		t.Errorf("stories: liver %d, pneumonia %d, oncology %d of 300", liver, pneu, onc)
	}
}

func TestCapHeight(t *testing.T) {
	for _, f := range []float64{0, 0.1, 0.5, 0.9, 1} {
		u := capHeight(f)
		if got := (u + 1) * (u + 1) * (2 - u) / 4; math.Abs(got-f) > 1e-9 {
			t.Errorf("F(capHeight(%v)) = %v", f, got)
		}
	}
}

func TestDS(t *testing.T) {
	for _, v := range []float64{9.6875, -172.265625, 350.0 / 37, 1e-7, 123456789.123456} {
		if s := ds(v); len(s) > 16 {
			t.Errorf("ds(%v) = %q: longer than 16", v, s)
		}
	}
}

// Biobank ids never repeat: a repeated identifier links two patients into
// one subject at ingest (it did, once in 10,000 patients, when they were a
// 24-bit hash).
func TestBiobankIDsUnique(t *testing.T) {
	seen := make(map[string]int, 1<<20)
	for _, seed := range []int64{1, 42} {
		clear(seen)
		key := ids{seed: seed}.hash("biobank")
		for i := range 1 << 20 {
			id := biobankID(key, i)
			if j, dup := seen[id]; dup {
				t.Fatalf("seed %d: patients %d and %d share biobank id %s", seed, j, i, id)
			}
			seen[id] = i
		}
		if a, b := biobankID(key, 5), biobankID(key, 5+1<<24); a == b || !strings.HasPrefix(b, a[:9]) {
			t.Errorf("past 2^24: %s and %s", a, b)
		}
	}
}
