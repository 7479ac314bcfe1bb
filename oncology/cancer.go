package oncology

import (
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/medtwin/medtwin/timeline"
	"github.com/medtwin/medtwin/twin"
)

// Condition is one neoplasm diagnosis of the patient.
type Condition struct {
	Code    string `json:"code"`
	Display string `json:"display,omitempty"`
	// Category is primary, secondary (metastatic), in situ, benign,
	// uncertain (uncertain or unknown behaviour) or neoplasm (malignancy not
	// stated by the code).
	Category string `json:"category"`
	// OtherCodes are further codings of the same source record (an ICD-10-CM
	// and a SNOMED CT code of one FHIR Condition).
	OtherCodes []string   `json:"otherCodes,omitempty"`
	Site       string     `json:"site,omitempty"`
	Histology  string     `json:"histology,omitempty"`
	Onset      *time.Time `json:"onset,omitempty"`
	Abatement  *time.Time `json:"abatement,omitempty"`
	// RecognisedBy says how the code was recognised: icd10cm-range,
	// snomed-table, extra-code or text (display words, for SNOMED codes the
	// built-in table does not list).
	RecognisedBy string `json:"recognisedBy"`
	EventRef     string `json:"eventRef"`
}

// MetastaticSite is a site of distant or nodal spread named by a secondary
// cancer condition.
type MetastaticSite struct {
	Site     string     `json:"site"`
	Since    *time.Time `json:"since,omitempty"`
	Code     string     `json:"code"`
	EventRef string     `json:"eventRef"`
}

// Stage is one TNM staging observation set: a stage group and the T, N and
// M categories recorded at the same time with the same type.
type Stage struct {
	Time time.Time `json:"time"`
	// Type is clinical, pathologic or unspecified (mCODE TNM stage group
	// codes: LOINC 21908-9 / SNOMED 399537006 clinical, LOINC 21902-2 /
	// SNOMED 399588009 pathologic).
	Type      string   `json:"type"`
	Group     string   `json:"group,omitempty"`
	T         string   `json:"t,omitempty"`
	N         string   `json:"n,omitempty"`
	M         string   `json:"m,omitempty"`
	EventRefs []string `json:"eventRefs"`
}

// DiseaseStatus is one cancer disease status observation (mCODE
// CancerDiseaseStatus, LOINC 97509-4).
type DiseaseStatus struct {
	Time time.Time `json:"time"`
	// Status is improved, stable, worsened, remission, undetermined or
	// the source's value when none of these is recognised.
	Status   string `json:"status"`
	Value    string `json:"value,omitempty"`
	EventRef string `json:"eventRef"`
}

// CancerCode names an extra condition code a site counts as cancer.
type CancerCode struct {
	Code     string `json:"code"` // VOCAB//CODE
	Category string `json:"category"`
	Site     string `json:"site,omitempty"`
}

// snomedCancer lists SNOMED CT neoplasm concepts the twin recognises without
// a terminology server. The mCODE PrimaryCancerCondition binding is "SNOMED
// descendants of 363346000 Malignant neoplastic disease minus 128462008
// Secondary malignant neoplastic disease" (REFERENCE.md §3): a full
// descendant check needs the SNOMED CT release, which medtwin does not ship.
// The table holds the two concepts mCODE names and every neoplasm code of the
// shared Synthea and mCODE test data, with the display those files give;
// other SNOMED codes are recognised from their display words (see
// classifyCondition) and Options.ExtraCancerCodes extends the table.
var snomedCancer = map[string]CancerCode{
	"363346000": {Category: "primary"},                    // Malignant neoplastic disease (mCODE)
	"128462008": {Category: "secondary"},                  // Secondary malignant neoplastic disease (mCODE)
	"254637007": {Category: "primary", Site: "lung"},      // Non-small cell lung cancer (disorder)
	"424132000": {Category: "primary", Site: "lung"},      // Non-small cell carcinoma of lung, TNM stage 1 (disorder)
	"254837009": {Category: "primary", Site: "breast"},    // Malignant neoplasm of breast (disorder)
	"372137005": {Category: "primary", Site: "breast"},    // Primary malignant neoplasm of breast (disorder)
	"93761005":  {Category: "primary", Site: "colon"},     // Primary malignant neoplasm of colon
	"109838007": {Category: "primary", Site: "colon"},     // Overlapping malignant neoplasm of colon
	"94260004":  {Category: "secondary", Site: "colon"},   // Secondary malignant neoplasm of colon
	"94391008":  {Category: "secondary", Site: "lung"},    // Metastatic malignant neoplasm to lung (disorder)
	"314994000": {Category: "primary", Site: "prostate"},  // Metastasis from malignant tumor of prostate (disorder)
	"92691004":  {Category: "in situ", Site: "prostate"},  // Carcinoma in situ of prostate (disorder)
	"126906006": {Category: "neoplasm", Site: "prostate"}, // Neoplasm of prostate
}

// icd10Sites names the primary site of ICD-10-CM malignant neoplasm
// categories (ICD-10-CM Tabular List, Chapter 2).
var icd10Sites = map[string]string{
	"C15": "esophagus", "C16": "stomach", "C17": "small intestine", "C18": "colon",
	"C19": "rectosigmoid junction", "C20": "rectum", "C21": "anus", "C22": "liver",
	"C23": "gallbladder", "C24": "biliary tract", "C25": "pancreas", "C32": "larynx",
	"C33": "trachea", "C34": "lung", "C37": "thymus", "C38": "heart, mediastinum and pleura",
	"C40": "bone", "C41": "bone", "C43": "skin", "C44": "skin", "C45": "mesothelium",
	"C48": "retroperitoneum and peritoneum", "C49": "soft tissue", "C50": "breast",
	"C51": "vulva", "C52": "vagina", "C53": "cervix uteri", "C54": "corpus uteri",
	"C55": "uterus", "C56": "ovary", "C60": "penis", "C61": "prostate", "C62": "testis",
	"C64": "kidney", "C65": "renal pelvis", "C66": "ureter", "C67": "bladder", "C69": "eye",
	"C70": "meninges", "C71": "brain", "C72": "central nervous system", "C73": "thyroid",
	"C74": "adrenal gland", "C76": "ill-defined site", "C80": "unknown primary site",
}

// icd10Secondary names the sites of ICD-10-CM secondary malignant neoplasm
// codes (C77 nodes, C78 respiratory and digestive, C79 other sites).
var icd10Secondary = map[string]string{
	"C77": "lymph node", "C780": "lung", "C781": "mediastinum", "C782": "pleura",
	"C783": "respiratory organs", "C784": "small intestine", "C785": "large intestine",
	"C786": "peritoneum", "C787": "liver", "C788": "digestive organs", "C790": "kidney",
	"C791": "bladder", "C792": "skin", "C793": "brain", "C794": "nervous system",
	"C795": "bone", "C796": "ovary", "C797": "adrenal gland", "C798": "other site",
	"C799": "unspecified site", "C7B": "neuroendocrine (secondary)",
}

// classifyICD10 classifies an ICD-10-CM code of the neoplasm chapter C00–D49.
func classifyICD10(code string) (category, site string, ok bool) {
	c := strings.ToUpper(strings.ReplaceAll(strings.TrimSpace(code), ".", ""))
	if len(c) < 3 || (c[0] != 'C' && c[0] != 'D') {
		return "", "", false
	}
	cat3 := c[:3]
	if cat3 == "C7A" {
		return "primary", "neuroendocrine", true
	}
	if cat3 == "C7B" {
		return "secondary", icd10Secondary["C7B"], true
	}
	if cat3 == "D3A" {
		return "benign", "neuroendocrine", true
	}
	n, err := strconv.Atoi(c[1:3])
	if err != nil {
		return "", "", false
	}
	if c[0] == 'C' {
		switch {
		case n == 77:
			return "secondary", icd10Secondary["C77"], true
		case n == 78 || n == 79:
			s := icd10Secondary[cat3]
			if len(c) >= 4 {
				if v, ok := icd10Secondary[c[:4]]; ok {
					s = v
				}
			}
			return "secondary", s, true
		case n >= 81 && n <= 96:
			return "primary", "lymphoid and haematopoietic tissue", true
		case n <= 14:
			return "primary", "lip, oral cavity and pharynx", true
		case n <= 80:
			return "primary", icd10Sites[cat3], true
		}
		return "", "", false
	}
	switch {
	case n <= 9:
		return "in situ", "", true
	case n <= 36:
		return "benign", "", true
	case n <= 48:
		return "uncertain", "", true
	case n == 49:
		return "uncertain", "", true
	}
	return "", "", false
}

var (
	// Words that make a display a malignancy.
	malignantWords = []string{"malignant", "carcinoma", "cancer", "lymphoma", "leukemia", "leukaemia",
		"melanoma", "sarcoma", "myeloma", "blastoma", "mesothelioma", "glioma", "adenocarcinoma"}
	// Displays that name no diagnosis of cancer.
	notDiagnosisWords = []string{"suspected", "situation", "screening", "history", "family", "risk", "fear"}
)

// wordsOf splits s into lower-case ASCII letter-and-digit words (other
// characters, hyphens included, separate words).
func wordsOf(s string) []string {
	var out []string
	start := -1
	lower := func(c byte) byte {
		if c >= 'A' && c <= 'Z' {
			return c + 'a' - 'A'
		}
		return c
	}
	var b []byte
	for i := 0; i <= len(s); i++ {
		var c byte
		if i < len(s) {
			c = lower(s[i])
		}
		if i < len(s) && (c >= 'a' && c <= 'z' || c >= '0' && c <= '9') {
			if start < 0 {
				start = i
				b = b[:0]
			}
			b = append(b, c)
			continue
		}
		if start >= 0 {
			out = append(out, string(b))
			start = -1
		}
	}
	return out
}

func hasWord(words []string, w string) bool {
	for _, x := range words {
		if x == w {
			return true
		}
	}
	return false
}

// classifyText classifies a condition from its display words.
func classifyText(text string) (category string, ok bool) {
	words := wordsOf(text)
	if len(words) == 0 {
		return "", false
	}
	for _, w := range notDiagnosisWords {
		if hasWord(words, w) {
			return "", false
		}
	}
	l := " " + strings.Join(words, " ") + " "
	malignant := false
	for _, w := range malignantWords {
		if hasWord(words, w) {
			malignant = true
			break
		}
	}
	switch {
	case strings.Contains(l, " in situ "):
		return "in situ", true
	case malignant && (hasWord(words, "secondary") || strings.Contains(l, " metastatic ") && strings.Contains(l, " to ") ||
		strings.Contains(l, " metastasis to ") || strings.Contains(l, " metastases to ")):
		return "secondary", true
	case malignant:
		return "primary", true
	case hasWord(words, "benign"):
		return "benign", true
	case hasWord(words, "neoplasm") || hasWord(words, "tumor") || hasWord(words, "tumour"):
		return "neoplasm", true
	}
	return "", false
}

// histologies are display words naming a histological type, most specific
// first.
var histologies = []string{
	"non-small cell carcinoma", "non small cell carcinoma", "small cell carcinoma",
	"squamous cell carcinoma", "hepatocellular carcinoma", "urothelial carcinoma",
	"transitional cell carcinoma", "infiltrating duct carcinoma", "ductal carcinoma",
	"lobular carcinoma", "renal cell carcinoma", "basal cell carcinoma", "adenocarcinoma",
	"neuroendocrine carcinoma", "carcinoma in situ", "mesothelioma", "melanoma", "glioblastoma",
	"sarcoma", "lymphoma", "myeloma", "leukemia", "leukaemia", "carcinoma",
}

// icdO3 names common ICD-O-3 morphology codes (WHO ICD-O-3.2), for events
// coded ICDO3//NNNN/B.
var icdO3 = map[string]string{
	"8000/3": "malignant neoplasm", "8010/3": "carcinoma", "8041/3": "small cell carcinoma",
	"8046/3": "non-small cell carcinoma", "8070/3": "squamous cell carcinoma",
	"8120/3": "transitional cell carcinoma", "8140/3": "adenocarcinoma",
	"8170/3": "hepatocellular carcinoma", "8500/3": "infiltrating duct carcinoma",
	"8520/3": "lobular carcinoma", "8720/3": "malignant melanoma", "9440/3": "glioblastoma",
}

func histologyOf(text string) string {
	l := " " + strings.Join(wordsOf(text), " ") + " "
	for _, h := range histologies {
		if strings.Contains(l, " "+strings.ReplaceAll(h, "-", " ")+" ") {
			return h
		}
	}
	return ""
}

// classifyCondition decides whether a diagnosis event is a neoplasm.
func classifyCondition(e *timeline.Event, extra map[string]CancerCode) (Condition, bool) {
	c := Condition{Code: e.Code, Display: e.Text, EventRef: twin.EventRef(e)}
	vocab, parts := timeline.SplitCode(e.Code)
	code := ""
	if len(parts) > 0 {
		code = parts[0]
	}
	if x, ok := extra[vocab+"//"+code]; ok {
		c.Category, c.Site, c.RecognisedBy = x.Category, x.Site, "extra-code"
	} else {
		switch vocab {
		case timeline.VocabICD10CM, "ICD10":
			cat, site, ok := classifyICD10(code)
			if !ok {
				return Condition{}, false
			}
			c.Category, c.Site, c.RecognisedBy = cat, site, "icd10cm-range"
		case timeline.VocabSNOMED:
			if x, ok := snomedCancer[code]; ok {
				c.Category, c.Site, c.RecognisedBy = x.Category, x.Site, "snomed-table"
			} else if cat, ok := classifyText(e.Text); ok {
				c.Category, c.RecognisedBy = cat, "text"
			} else {
				return Condition{}, false
			}
		default:
			cat, ok := classifyText(e.Text)
			if !ok {
				return Condition{}, false
			}
			c.Category, c.RecognisedBy = cat, "text"
		}
	}
	if c.Site == "" && e.Text != "" {
		c.Site = organFromText(e.Text)
	}
	c.Histology = histologyOf(e.Text)
	if !e.Time.IsZero() {
		t := e.Time
		c.Onset = &t
	}
	if !e.EndTime.IsZero() {
		t := e.EndTime
		c.Abatement = &t
	}
	return c, true
}

// Stage and status codes (mCODE STU4, REFERENCE.md §3).
var (
	stageGroupCodes = map[string]string{
		"LOINC//21908-9": "clinical", "LOINC//21902-2": "pathologic", "LOINC//21914-7": "unspecified",
		"SNOMED//399537006": "clinical", "SNOMED//399588009": "pathologic", "SNOMED//399390009": "unspecified",
	}
	stageCategoryCodes = map[string][2]string{ // code → {T|N|M, type}
		"LOINC//21905-5": {"T", "clinical"}, "LOINC//21899-0": {"T", "pathologic"},
		"SNOMED//399504009": {"T", "clinical"}, "SNOMED//384625004": {"T", "pathologic"}, "SNOMED//78873005": {"T", "unspecified"},
		"LOINC//21906-3": {"N", "clinical"}, "LOINC//21900-6": {"N", "pathologic"},
		"SNOMED//399534004": {"N", "clinical"}, "SNOMED//371494008": {"N", "pathologic"}, "SNOMED//277206009": {"N", "unspecified"},
		"LOINC//21907-1": {"M", "clinical"}, "LOINC//21901-4": {"M", "pathologic"},
		"SNOMED//399387003": {"M", "clinical"}, "SNOMED//371497001": {"M", "pathologic"}, "SNOMED//277208005": {"M", "unspecified"},
	}
	diseaseStatusCode = "LOINC//97509-4"
	// CancerDiseaseStatus values (mCODE ConditionStatusTrendVS).
	diseaseStatusValues = map[string]string{
		"268910001": "improved", "359746009": "stable", "271299001": "worsened", "709137006": "undetermined",
	}
	reStageGroup = regexp.MustCompile(`(?i)\bstage\s+([0IV]+[ABC]?[0-9]?|[0-4][ABC]?[0-9]?)\b`)
	reTNM        = regexp.MustCompile(`\b([cpyra]{0,2}[TNM](?:is|X|[0-4])[a-d]?[0-9]?(?:\([a-z]+\))?)`)
)

// baseCode drops qualifiers: LOINC//21908-9//x → LOINC//21908-9.
func baseCode(code string) string {
	vocab, parts := timeline.SplitCode(code)
	if len(parts) == 0 {
		return code
	}
	return vocab + "//" + parts[0]
}

// codedValue returns what a coded observation says: its text, else the
// qualifier of its code (VOCAB//CODE//VALUE).
func codedValue(e *timeline.Event) string {
	if t := strings.TrimSpace(e.Text); t != "" {
		return t
	}
	_, parts := timeline.SplitCode(e.Code)
	if len(parts) > 1 {
		return strings.Join(parts[1:], "//")
	}
	if e.HasValue {
		return strconv.FormatFloat(e.Value, 'f', -1, 64)
	}
	return ""
}

// stageValue normalises a stage group or category value: "Stage 3A
// (qualifier value)" → "3A", "American Joint Committee on Cancer cT3
// (qualifier value)" → "cT3", and a coded value as FHIR ingest writes it
// ("AJCC//3C", "SNOMED//261638004 Stage 3A (qualifier value)") → its
// display's stage, else its code. Other values are kept as given.
func stageValue(v string, tnm bool) string {
	v = strings.TrimSpace(v)
	code, display := "", v
	if first, rest, _ := strings.Cut(v, " "); strings.Contains(first, "//") {
		code, display = first, strings.TrimSpace(rest)
	}
	for _, s := range []string{display, code} {
		if s == "" {
			continue
		}
		if tnm {
			if m := reTNM.FindStringSubmatch(s); m != nil {
				return m[1]
			}
		} else if m := reStageGroup.FindStringSubmatch(s); m != nil {
			return strings.ToUpper(m[1])
		}
	}
	if code != "" {
		if vocab, parts := timeline.SplitCode(code); vocab == "AJCC" && len(parts) > 0 {
			return parts[len(parts)-1]
		}
	}
	return v
}

func diseaseStatusOf(v string) string {
	for code, s := range diseaseStatusValues {
		if strings.Contains(v, code) {
			return s
		}
	}
	l := strings.ToLower(v)
	switch {
	case strings.Contains(l, "remission"):
		return "remission"
	case strings.Contains(l, "improv"):
		return "improved"
	case strings.Contains(l, "stable"):
		return "stable"
	case strings.Contains(l, "worse") || strings.Contains(l, "progress"):
		return "worsened"
	case strings.Contains(l, "undetermined"):
		return "undetermined"
	}
	return v
}

// history gathers conditions, metastatic sites, stages, disease status.
func cancerHistory(v *twin.View, opt *Options) (conds []Condition, mets []MetastaticSite, stages []Stage, status []DiseaseStatus) {
	extra := map[string]CancerCode{}
	for _, x := range opt.ExtraCancerCodes {
		extra[baseCode(x.Code)] = x
	}
	var histEvents []timeline.Event
	sameRecord := map[string]int{}
	type stageKey struct {
		t    time.Time
		kind string
	}
	byKey := map[stageKey]*Stage{}
	var order []stageKey
	for _, e := range v.Events() {
		e := e
		bc := baseCode(e.Code)
		vocab, _ := timeline.SplitCode(e.Code)
		switch {
		case vocab == "ICDO3" || vocab == "ICD-O-3" || isMorphology(e.Text):
			histEvents = append(histEvents, e)
		case e.Kind == timeline.KindDiagnosis:
			if i, ok := sameRecord[recordOf(&e)]; ok {
				// Another coding of a condition already listed (FHIR
				// ingest writes one event per coding).
				if !contains(conds[i].OtherCodes, e.Code) {
					conds[i].OtherCodes = append(conds[i].OtherCodes, e.Code)
				}
				if conds[i].Histology == "" {
					conds[i].Histology = histologyOf(e.Text)
				}
				continue
			}
			if c, ok := classifyCondition(&e, extra); ok {
				if r := recordOf(&e); r != "" {
					sameRecord[r] = len(conds)
				}
				conds = append(conds, c)
				if c.Category == "secondary" && c.Site != "" {
					mets = append(mets, MetastaticSite{Site: c.Site, Since: c.Onset, Code: c.Code, EventRef: c.EventRef})
				}
			}
		case bc == diseaseStatusCode:
			val := codedValue(&e)
			status = append(status, DiseaseStatus{Time: e.Time, Status: diseaseStatusOf(val), Value: val, EventRef: twin.EventRef(&e)})
		}
		typ, isGroup := stageGroupCodes[bc]
		cat, isCat := stageCategoryCodes[bc]
		if !isGroup && !isCat && e.Kind == timeline.KindStage {
			typ, isGroup = "unspecified", true // a stage event under a code not listed here
		}
		if !isGroup && !isCat || e.Time.IsZero() {
			continue
		}
		if isCat {
			typ = cat[1]
		}
		k := stageKey{e.Time, typ}
		s, ok := byKey[k]
		if !ok {
			s = &Stage{Time: e.Time, Type: typ}
			byKey[k] = s
			order = append(order, k)
		}
		s.EventRefs = append(s.EventRefs, twin.EventRef(&e))
		val := codedValue(&e)
		if isGroup {
			s.Group = stageValue(val, false)
		} else {
			switch cat[0] {
			case "T":
				s.T = stageValue(val, true)
			case "N":
				s.N = stageValue(val, true)
			case "M":
				s.M = stageValue(val, true)
			}
		}
	}
	for _, k := range order {
		stages = append(stages, *byKey[k])
	}
	sort.SliceStable(stages, func(i, j int) bool { return stages[i].Time.Before(stages[j].Time) })
	// Histology from morphology events (ICD-O-3 codes, or SNOMED CT
	// morphologic abnormalities such as mCODE's histologyMorphologyBehavior
	// extension): attached to the primary diagnosed at the same time, or to
	// the only primary.
	for _, h := range histEvents {
		vocab, parts := timeline.SplitCode(h.Code)
		name := ""
		if len(parts) > 0 && (vocab == "ICDO3" || vocab == "ICD-O-3") {
			name = icdO3[parts[0]]
		}
		if name == "" {
			name = histologyOf(h.Text)
		}
		if name == "" {
			continue
		}
		idx := -1
		n := 0
		for i := range conds {
			if conds[i].Category != "primary" {
				continue
			}
			n++
			if idx < 0 {
				idx = i
			}
			if conds[i].Onset != nil && conds[i].Onset.Equal(h.Time) {
				idx = i
				n = 1
				break
			}
		}
		if n == 1 && idx >= 0 {
			conds[idx].Histology = name
		}
	}
	return conds, mets, stages, status
}

// isMorphology: a SNOMED CT morphologic abnormality (histology), not a
// disorder.
func isMorphology(text string) bool {
	return strings.Contains(strings.ToLower(text), "morphologic abnormality")
}

// recordOf names the source record an event came from: its source locator
// and time ("" when the source gives no locator).
func recordOf(e *timeline.Event) string {
	if e.Source == "" {
		return ""
	}
	return e.Source + "@" + e.Time.UTC().Format(time.RFC3339Nano)
}
