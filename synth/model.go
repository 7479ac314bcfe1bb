package synth

import (
	"fmt"
	"math"
	"sort"
	"time"
)

// Identifier systems the cohort uses. The MRN system is an OID so that
// DICOM files can name it in the Issuer of Patient ID Qualifiers Sequence
// (Universal Entity ID, type ISO): DICOM ingest then qualifies PatientID
// with "urn:oid:…", the same system as the FHIR identifier, and the two
// sources link without a manifest.
const (
	MRNOID        = "2.25.112233445566778899001122334455667788"
	MRNSystem     = "urn:oid:" + MRNOID
	MRNIssuer     = "MEDTWIN SYNTH HOSPITAL"
	BiobankSystem = "https://biobank.synth.medtwin.example/participant"
	FHIRBase      = "https://fhir.synth.medtwin.example/R4"
)

// Coding systems.
const (
	sysLOINC  = "http://loinc.org"
	sysSCT    = "http://snomed.info/sct"
	sysICD10  = "http://hl7.org/fhir/sid/icd-10-cm"
	sysRxNorm = "http://www.nlm.nih.gov/research/umls/rxnorm"
	sysATC    = "http://www.whocc.no/atc"
	sysUCUM   = "http://unitsofmeasure.org"
	sysAJCC   = "http://cancerstaging.org"
	sysActCd  = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
	sysICDO3  = "http://terminology.hl7.org/CodeSystem/icd-o-3"
)

type coding struct{ System, Code, Display string }

type quantity struct {
	Value    float64
	Unit     string // UCUM
	Decimals int
}

type observation struct {
	ID        string
	Profile   string
	Category  string // laboratory, vital-signs, survey, imaging
	Code      []coding
	Time      time.Time
	Issued    time.Time
	Encounter string
	Value     *quantity
	ValueCode *coding
	Focus     string // Condition id
	Members   []string
}

type condition struct {
	ID        string
	Profile   string
	Category  string // problem-list-item, encounter-diagnosis
	Code      []coding
	Onset     time.Time
	Abatement time.Time
	BodySite  *coding
	Histology *coding
	Encounter string
	Stage     string // Observation id of the stage group
}

type encounter struct {
	ID     string
	Class  string // v3 ActCode: AMB, IMP, EMER
	Type   coding
	Start  time.Time
	End    time.Time
	Reason string // Condition id
}

type medication struct {
	ID        string
	Resource  string // MedicationRequest or MedicationAdministration
	Profile   string
	Code      []coding
	Time      time.Time
	End       time.Time
	Dose      *quantity
	Route     *coding
	Reason    string
	Request   string // the administration's request
	Encounter string
	Intent    *coding // mCODE treatment intent
	Status    string
}

// Lesion is one tracked lesion at one study: its true size and position
// and what the radiologist reported.
type Lesion struct {
	TrackingID  string     `json:"trackingId"`
	TrackingUID string     `json:"trackingUid"`
	Site        string     `json:"site"`
	SiteCode    string     `json:"siteCode"`
	Node        bool       `json:"node,omitempty"`
	Center      [3]float64 `json:"centerMm"`
	LongMM      float64    `json:"longAxisMm"`
	ShortMM     float64    `json:"shortAxisMm"`
	// ReadLongMM and ReadShortMM are what the radiologist's report says.
	ReadLongMM  float64 `json:"reportedLongAxisMm"`
	ReadShortMM float64 `json:"reportedShortAxisMm"`
	// New marks a lesion first seen on this study; Target a baseline
	// target lesion (≤ 5, ≤ 2 per organ, at diagnosis).
	New    bool `json:"new,omitempty"`
	Target bool `json:"target,omitempty"`
}

type study struct {
	UID, SeriesUID, SRUID, Accession string
	Time, Signed                     time.Time
	Body                             string // CHEST, ABDOMEN, CHESTABDPELVIS
	Contrast                         bool
	LiverHU, SpleenHU                float64
	LiverVolumeML                    float64
	GGOPct, ConsolidationPct         float64 // % of lung volume
	RightInvolved, LeftInvolved      bool
	Lesions                          []Lesion
	Story                            string // liver, pneumonia, oncology
	ReportLiverHU                    bool
	Pixels                           bool
	// Site is the hospital that acquired the study (the patient's site:
	// the one reporting labs in SI units or the other).
	Site string
}

type sample struct {
	ID        string
	Collected time.Time
	Tissue    string
	Tumor     bool
	Lab       string // vcf or maf (tumour samples)
}

type somaticCall struct {
	Variant hotspot
	VAF     float64
	Depth   int
	Sample  string
	Normal  string
}

// patient is everything generated for one patient.
type patient struct {
	Index         int
	ID            string // FHIR Patient.id
	MRN           string
	Biobank       string
	Sex           string // F, M
	Given, Family string
	Birth, Death  time.Time
	Start, End    time.Time
	SI            bool // the patient's lab reports SI units
	Genotyped     bool
	Geno          [4]int
	Encounters    []encounter
	Conditions    []condition
	Observations  []observation
	Medications   []medication
	Studies       []study
	Samples       []sample
	Somatic       []somaticCall
	Stories       []string
	Liver         *LiverTruth
	Pneumonia     []PneumoniaTruth
	Oncology      *OncologyTruth
	ids           rng
	seed          int64
	bg            *backgroundState
}

func (p *patient) newID() string {
	a, b := p.ids.Uint64(), p.ids.Uint64()
	return fmt.Sprintf("%08x-%04x-4%03x-%04x-%012x", a>>32, (a>>16)&0xffff, a&0xfff, 0x8000|(b>>48)&0x3fff, b&0xffffffffffff)
}

func (p *patient) age(t time.Time) float64 { return t.Sub(p.Birth).Hours() / 24 / 365.25 }

func (p *patient) alive(t time.Time) bool { return p.Death.IsZero() || t.Before(p.Death) }

// LiverTruth is what the generator put into a patient's liver storyline.
type LiverTruth struct {
	Onset        time.Time `json:"onset"`
	InitialStage int       `json:"initialFibrosisStage"`
	FinalStage   int       `json:"finalFibrosisStage"`
	Progressor   bool      `json:"progressor"`
	// ProgressionPerYear is the fibrosis stages gained per year.
	ProgressionPerYear float64   `json:"progressionPerYear"`
	InitialFatPct      float64   `json:"initialFatPct"`
	CirrhosisSince     time.Time `json:"cirrhosisSince,omitzero"`
}

// PneumoniaTruth is one pneumonia episode.
type PneumoniaTruth struct {
	Admitted   time.Time `json:"admitted"`
	Discharged time.Time `json:"discharged"`
	CURB65     int       `json:"curb65"`
	Confusion  bool      `json:"confusion"`
	ICU        bool      `json:"icu"`
	Died       bool      `json:"died"`
	Involved   float64   `json:"ctInvolvementPct"`
	StudyUID   string    `json:"studyUid"`
}

// OncologyTruth is a patient's cancer: diagnosis, stage, lines of
// therapy with their designed response (PR, SD, PD), somatic variants and
// the lesions of every CT study.
type OncologyTruth struct {
	Cancer    string        `json:"cancer"`
	ICD10     string        `json:"icd10"`
	Diagnosed time.Time     `json:"diagnosed"`
	Stage     string        `json:"stage"`
	Lines     []TherapyLine `json:"lines"`
	Variants  []string      `json:"somaticVariants"`
	Studies   []LesionStudy `json:"studies"`
}

// TherapyLine is one line of therapy.
type TherapyLine struct {
	Line     int       `json:"line"`
	Regimen  string    `json:"regimen"`
	Start    time.Time `json:"start"`
	End      time.Time `json:"end,omitzero"`
	Response string    `json:"response"`
}

// LesionStudy is the lesions of one study; SumMM is the RECIST sum of the
// baseline target lesions (long axis, short axis for nodes) at that study.
type LesionStudy struct {
	StudyUID string    `json:"studyUid"`
	Time     time.Time `json:"time"`
	Lesions  []Lesion  `json:"lesions"`
	SumMM    float64   `json:"sumLongestDiametersMm"`
}

var (
	givenF  = []string{"Anna", "Maria", "Sofia", "Emma", "Laura", "Clara", "Ines", "Julia", "Marta", "Nora", "Olga", "Paula", "Rosa", "Sara", "Lea", "Eva"}
	givenM  = []string{"Jan", "Luca", "Marco", "Paul", "Tomas", "David", "Felix", "Hugo", "Ivan", "Karl", "Leon", "Noah", "Omar", "Pedro", "Ruben", "Simon"}
	familyN = []string{"Meyer", "Rossi", "Novak", "Garcia", "Dubois", "Jansen", "Kowalski", "Nielsen", "Silva", "Horvat", "Berg", "Costa", "Weber", "Moreau", "Smit", "Lindqvist", "Fischer", "Romano", "Popescu", "Murphy"}
)

// biobankID is patient i's biobank participant id: six hex digits that look
// random but never repeat. They were a truncated hash, and 24 bits of hash
// collide among a few thousand patients (birthday bound): two patients
// sharing an identifier are linked into one subject at ingest. Here i is
// mapped by x → x·A + B mod 2^24, a bijection since A is odd (B from the
// seed); patients past 2^24 get a suffix.
func biobankID(seed [32]byte, i int) string {
	const a, mask = 0x9E3779, 1<<24 - 1
	b := uint64(seed[0])<<16 | uint64(seed[1])<<8 | uint64(seed[2])
	id := fmt.Sprintf("BB-%06X", (uint64(i)*a+b)&mask)
	if hi := uint64(i) >> 24; hi > 0 {
		id += fmt.Sprintf("-%X", hi)
	}
	return id
}

// gen holds what every patient shares.
type gen struct {
	cfg Config
	ids ids
}

// patient generates patient i.
func (g *gen) patient(i int) *patient {
	r := newRNG(g.cfg.Seed, uint64(i))
	p := &patient{Index: i, seed: g.cfg.Seed, ids: newRNG(g.cfg.Seed^0x5eed, uint64(i))}
	p.ID = p.newID()
	p.MRN = fmt.Sprintf("%08d", 10000000+i*7+r.IntN(7))
	p.Biobank = biobankID(g.ids.hash("biobank"), i)
	if r.chance(0.5) {
		p.Sex, p.Given = "F", pick(r, givenF)
	} else {
		p.Sex, p.Given = "M", pick(r, givenM)
	}
	p.Family = pick(r, familyN)
	end := g.cfg.End
	age := r.uniform(30, 88)
	p.Birth = end.Add(-days(age * 365.25)).Truncate(24 * time.Hour)
	years := r.uniform(3, 10)
	p.Start = end.Add(-days(years * 365.25)).Truncate(time.Minute)
	if a := p.age(p.Start); a < 18 {
		p.Start = p.Birth.Add(days(18 * 365.25))
	}
	p.End = end
	p.SI = r.chance(0.5)
	// Germline genotypes at realistic allele frequencies (gnomAD v4
	// non-Finnish European, rounded): PNPLA3 rs738409 G 0.23, TM6SF2
	// rs58542926 T 0.07, HSD17B13 rs72613567 TA 0.25, MBOAT7 rs641738 T 0.43;
	// Hardy-Weinberg equilibrium.
	for k, l := range liverLoci {
		p.Geno[k] = hwe(r, l.AF)
	}
	p.Genotyped = r.chance(0.85)

	isLiver := r.chance(0.30)
	isPneu := r.chance(0.25)
	isOnc := r.chance(0.20)
	g.background(r, p, isLiver)
	if isLiver {
		g.liver(r, p)
	}
	if isOnc {
		g.oncology(r, p)
	}
	if isPneu {
		g.pneumonia(r, p)
	}
	p.finalize()
	g.routine(r, p, isLiver)
	g.genomics(r, p)
	p.prune()
	return p
}

// finalize makes the truth agree with the patient's death: what a story
// planned after it never happened.
func (p *patient) finalize() {
	cut := p.deathOrEnd()
	if l := p.Liver; l != nil {
		if !l.Onset.Before(cut) {
			p.Liver = nil
		} else {
			y := cut.Sub(l.Onset).Hours() / 24 / 365.25
			l.FinalStage = int(math.Floor(math.Min(4, float64(l.InitialStage)+l.ProgressionPerYear*y) + 1e-9))
		}
	}
	if o := p.Oncology; o != nil {
		if !o.Diagnosed.Before(cut) {
			p.Oncology = nil
		} else {
			var studies []LesionStudy
			for _, s := range o.Studies {
				if s.Time.Before(cut) {
					studies = append(studies, s)
				}
			}
			o.Studies = studies
			var lines []TherapyLine
			for _, l := range o.Lines {
				if !l.Start.Before(cut) {
					continue
				}
				end := l.End
				if end.IsZero() || end.After(cut) {
					end, l.End = cut, time.Time{}
				}
				seen := false
				for _, s := range studies {
					seen = seen || s.Time.After(l.Start) && !s.Time.After(end)
				}
				if !seen {
					l.Response = "NE" // no restaging before the end of the record
				}
				lines = append(lines, l)
			}
			o.Lines = lines
		}
	}
	var eps []PneumoniaTruth
	for _, e := range p.Pneumonia {
		if e.Admitted.Before(cut) {
			eps = append(eps, e)
		}
	}
	p.Pneumonia = eps
	p.Stories = nil
	if p.Liver != nil {
		p.Stories = append(p.Stories, "liver")
	}
	if p.Oncology != nil {
		p.Stories = append(p.Stories, "oncology")
	}
	if len(p.Pneumonia) > 0 {
		p.Stories = append(p.Stories, "pneumonia")
	}
	if len(p.Stories) == 0 {
		p.Stories = append(p.Stories, "background")
	}
}

func hwe(r rng, af float64) int {
	n := 0
	if r.chance(af) {
		n++
	}
	if r.chance(af) {
		n++
	}
	return n
}

// prune drops what happens after death or after the cohort's end and
// sorts resources by time, so files read like an export.
func (p *patient) prune() {
	cut := p.End
	if !p.Death.IsZero() && p.Death.Before(cut) {
		cut = p.Death.Add(time.Hour)
	}
	capAt := func(t *time.Time, at time.Time) {
		if !t.IsZero() && t.After(at) {
			*t = at
		}
	}
	p.Observations = keepBefore(p.Observations, cut, func(o *observation) time.Time { capAt(&o.Issued, p.End); return o.Time })
	p.Medications = keepBefore(p.Medications, cut, func(m *medication) time.Time { capAt(&m.End, cut); return m.Time })
	p.Encounters = keepBefore(p.Encounters, cut, func(e *encounter) time.Time { capAt(&e.End, cut); return e.Start })
	p.Conditions = keepBefore(p.Conditions, cut, func(c *condition) time.Time {
		if c.Abatement.After(cut) {
			c.Abatement = time.Time{}
		}
		return c.Onset
	})
	p.Studies = keepBefore(p.Studies, cut, func(s *study) time.Time { capAt(&s.Signed, p.End); return s.Time })
}

// keepBefore keeps the records whose time (returned by at, which may also
// adjust the record) is before cut, sorted by that time.
func keepBefore[T any](xs []T, cut time.Time, at func(*T) time.Time) []T {
	out := xs[:0]
	times := make([]time.Time, 0, len(xs))
	for i := range xs {
		x := xs[i]
		if t := at(&x); t.Before(cut) {
			out = append(out, x)
			times = append(times, t)
		}
	}
	idx := make([]int, len(out))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return times[idx[a]].Before(times[idx[b]]) })
	sorted := make([]T, len(out))
	for i, k := range idx {
		sorted[i] = out[k]
	}
	return sorted
}

// ---- encounters and observations ----

var (
	typeCheckup   = coding{sysSCT, "185349003", "Encounter for check up"}
	typeFollowUp  = coding{sysSCT, "390906007", "Follow-up encounter"}
	typeAdmission = coding{sysSCT, "32485007", "Hospital admission"}
	typeEmergency = coding{sysSCT, "183452005", "Emergency hospital admission"}
	typeICU       = coding{sysSCT, "305351004", "Admission to intensive care unit"}
	typeChemo     = coding{sysSCT, "367336001", "Chemotherapy"}
	typeImaging   = coding{sysSCT, "77477000", "Computed tomography"}
)

func (p *patient) encounter(class string, typ coding, start, end time.Time, reason string) string {
	id := p.newID()
	p.Encounters = append(p.Encounters, encounter{ID: id, Class: class, Type: typ, Start: start, End: end, Reason: reason})
	return id
}

func (p *patient) condition(c condition) string {
	if c.ID == "" {
		c.ID = p.newID()
	}
	if c.Category == "" {
		c.Category = "problem-list-item"
	}
	p.Conditions = append(p.Conditions, c)
	return c.ID
}

// analyte describes how a lab value is reported in conventional and SI
// units (the value passed around is in the conventional unit).
type analyte struct {
	conv, si       coding
	convU, siU     string
	factor         float64 // SI = conventional × factor
	decConv, decSI int
	vital          bool
}

func lc(code, display string) coding { return coding{sysLOINC, code, display} }

// Analytes by name. Molar factors: bilirubin 17.104 µmol/L per mg/dL
// (584.66 g/mol), creatinine 88.42 µmol/L per mg/dL (113.12 g/mol),
// glucose 0.0555 mmol/L per mg/dL, BUN mg/dL → urea mmol/L ÷ 2.801.
var analytes = map[string]analyte{
	"alt":        {conv: lc("1742-6", "Alanine aminotransferase [Enzymatic activity/volume] in Serum or Plasma"), convU: "U/L", factor: 1},
	"ast":        {conv: lc("1920-8", "Aspartate aminotransferase [Enzymatic activity/volume] in Serum or Plasma"), convU: "U/L", factor: 1},
	"ggt":        {conv: lc("2324-2", "Gamma glutamyl transferase [Enzymatic activity/volume] in Serum or Plasma"), convU: "U/L", factor: 1},
	"alp":        {conv: lc("6768-6", "Alkaline phosphatase [Enzymatic activity/volume] in Serum or Plasma"), convU: "U/L", factor: 1},
	"platelets":  {conv: lc("777-3", "Platelets [#/volume] in Blood by Automated count"), convU: "10*3/uL", siU: "10*9/L", factor: 1},
	"bilirubin":  {conv: lc("1975-2", "Bilirubin.total [Mass/volume] in Serum or Plasma"), convU: "mg/dL", si: lc("14631-6", "Bilirubin.total [Moles/volume] in Serum or Plasma"), siU: "umol/L", factor: 17.104, decConv: 1},
	"albumin":    {conv: lc("1751-7", "Albumin [Mass/volume] in Serum or Plasma"), convU: "g/dL", siU: "g/L", factor: 10, decConv: 1},
	"inr":        {conv: lc("6301-6", "INR in Platelet poor plasma by Coagulation assay"), convU: "{INR}", factor: 1, decConv: 2, decSI: 2},
	"creatinine": {conv: lc("2160-0", "Creatinine [Mass/volume] in Serum or Plasma"), convU: "mg/dL", si: lc("14682-9", "Creatinine [Moles/volume] in Serum or Plasma"), siU: "umol/L", factor: 88.42, decConv: 2},
	"sodium":     {conv: lc("2951-2", "Sodium [Moles/volume] in Serum or Plasma"), convU: "mmol/L", factor: 1},
	"urea":       {conv: lc("3094-0", "Urea nitrogen [Mass/volume] in Serum or Plasma"), convU: "mg/dL", si: lc("22664-7", "Urea [Moles/volume] in Serum or Plasma"), siU: "mmol/L", factor: 1 / 2.801, decSI: 1},
	"glucose":    {conv: lc("2345-7", "Glucose [Mass/volume] in Serum or Plasma"), convU: "mg/dL", si: lc("14749-6", "Glucose [Moles/volume] in Serum or Plasma"), siU: "mmol/L", factor: 1 / 18.016, decSI: 1},
	"hba1c":      {conv: lc("4548-4", "Hemoglobin A1c/Hemoglobin.total in Blood"), convU: "%", factor: 1, decConv: 1, decSI: 1},
	"crp":        {conv: lc("1988-5", "C reactive protein [Mass/volume] in Serum or Plasma"), convU: "mg/L", factor: 1, decConv: 1, decSI: 1},
	"wbc":        {conv: lc("6690-2", "Leukocytes [#/volume] in Blood by Automated count"), convU: "10*3/uL", siU: "10*9/L", factor: 1, decConv: 1, decSI: 1},
	"pct":        {conv: lc("33959-8", "Procalcitonin [Mass/volume] in Serum or Plasma"), convU: "ng/mL", factor: 1, decConv: 2, decSI: 2},
	"cea":        {conv: lc("2039-6", "Carcinoembryonic Ag [Mass/volume] in Serum or Plasma"), convU: "ng/mL", factor: 1, decConv: 1, decSI: 1},
	"afp":        {conv: lc("1834-1", "Alpha-1-Fetoprotein [Mass/volume] in Serum or Plasma"), convU: "ng/mL", factor: 1, decConv: 1, decSI: 1},
	"ca19_9":     {conv: lc("24108-3", "Cancer Ag 19-9 [Units/volume] in Serum or Plasma"), convU: "U/mL", factor: 1, decConv: 1, decSI: 1},
	"rr":         {conv: lc("9279-1", "Respiratory rate"), convU: "/min", factor: 1, vital: true},
	"sbp":        {conv: lc("8480-6", "Systolic blood pressure"), convU: "mm[Hg]", factor: 1, vital: true},
	"dbp":        {conv: lc("8462-4", "Diastolic blood pressure"), convU: "mm[Hg]", factor: 1, vital: true},
	"spo2":       {conv: lc("59408-5", "Oxygen saturation in Arterial blood by Pulse oximetry"), convU: "%", factor: 1, vital: true},
	"hr":         {conv: lc("8867-4", "Heart rate"), convU: "/min", factor: 1, vital: true},
	"temp":       {conv: lc("8310-5", "Body temperature"), convU: "Cel", siU: "Cel", factor: 1, decConv: 1, decSI: 1, vital: true},
	"gcs":        {conv: lc("9269-2", "Glasgow coma score total"), convU: "{score}", factor: 1, vital: true},
	"weight":     {conv: lc("29463-7", "Body weight"), convU: "kg", factor: 1, decConv: 1, decSI: 1, vital: true},
	"height":     {conv: lc("8302-2", "Body height"), convU: "cm", factor: 1, decConv: 1, decSI: 1, vital: true},
	"bmi":        {conv: lc("39156-5", "Body mass index (BMI) [Ratio]"), convU: "kg/m2", factor: 1, decConv: 1, decSI: 1, vital: true},
}

// measure adds an observation of a named analyte (value in the
// conventional unit); the patient's site decides the reported unit.
func (p *patient) measure(r rng, name string, t time.Time, enc string, v float64) {
	a, ok := analytes[name]
	if !ok {
		panic("synth: unknown analyte " + name)
	}
	code, unit, dec, val := a.conv, a.convU, a.decConv, v
	if p.SI {
		if a.siU != "" {
			unit, dec, val = a.siU, a.decSI, v*a.factor
		}
		if a.si.Code != "" {
			code = a.si
		}
	}
	if name == "temp" && !p.SI {
		unit, val = "[degF]", v*9/5+32
	}
	o := observation{ID: p.newID(), Code: []coding{code}, Time: t, Encounter: enc,
		Value: &quantity{Value: round(val, dec), Unit: unit, Decimals: dec}}
	if a.vital {
		o.Category, o.Issued = "vital-signs", t
	} else {
		o.Category = "laboratory"
		o.Issued = t.Add(time.Duration(30+r.IntN(300)) * time.Minute)
	}
	switch name {
	case "cea", "afp", "ca19_9":
		o.Profile = "http://hl7.org/fhir/us/mcode/StructureDefinition/mcode-tumor-marker-test"
	}
	p.Observations = append(p.Observations, o)
}

func round(v float64, dec int) float64 {
	m := math.Pow(10, float64(dec))
	return math.Round(v*m) / m
}

// ---- background ----

type comorbidity struct {
	prob, probLiver float64
	cond            []coding
	drug            []coding
	dose            quantity
}

var comorbidities = []comorbidity{
	{0.30, 0.45, []coding{{sysICD10, "I10", "Essential (primary) hypertension"}, {sysSCT, "38341003", "Hypertensive disorder, systemic arterial"}},
		[]coding{{sysRxNorm, "29046", "lisinopril"}, {sysATC, "C09AA03", "lisinopril"}}, quantity{10, "mg", 0}},
	{0.12, 0.40, []coding{{sysICD10, "E11.9", "Type 2 diabetes mellitus without complications"}, {sysSCT, "44054006", "Diabetes mellitus type 2"}},
		[]coding{{sysRxNorm, "6809", "metformin"}, {sysATC, "A10BA02", "metformin"}}, quantity{1000, "mg", 0}},
	{0.25, 0.45, []coding{{sysICD10, "E78.5", "Hyperlipidemia, unspecified"}, {sysSCT, "55822004", "Hyperlipidemia"}},
		[]coding{{sysRxNorm, "83367", "atorvastatin"}, {sysATC, "C10AA05", "atorvastatin"}}, quantity{20, "mg", 0}},
}

type backgroundState struct {
	heightCM, weightKG, sbp, dbp, hr float64
	diabetic                         bool
}

func (g *gen) background(r rng, p *patient, liverStory bool) {
	for k, c := range comorbidities {
		prob := c.prob
		if liverStory {
			prob = c.probLiver
		}
		if !r.chance(prob) {
			continue
		}
		onset := p.Start.Add(-days(r.uniform(0, 5*365)))
		if onset.Before(p.Birth.Add(days(25 * 365))) {
			onset = p.Birth.Add(days(25 * 365))
		}
		p.condition(condition{Code: c.cond, Onset: onset})
		start := onset.Add(days(r.uniform(0, 60)))
		p.Medications = append(p.Medications, medication{ID: p.newID(), Resource: "MedicationRequest", Code: c.drug,
			Time: start, Dose: &c.dose, Route: &coding{sysSCT, "26643006", "Oral route"}, Status: "active"})
		if k == 1 {
			p.state().diabetic = true
		}
	}
}

// state is the patient's stable physiology (generated once).
func (p *patient) state() *backgroundState {
	if p.bg == nil {
		r := newRNG(p.seed^0xb0d1, uint64(p.Index))
		h := 176.0
		if p.Sex == "F" {
			h = 163
		}
		h = r.norm(h, 7)
		bmi := r.lognorm(27, 0.15)
		p.bg = &backgroundState{heightCM: h, weightKG: bmi * (h / 100) * (h / 100), sbp: r.norm(128, 14), dbp: r.norm(79, 8), hr: r.norm(72, 9)}
	}
	return p.bg
}

// routine adds outpatient visits with vital signs and a basic panel until
// the patient has about EventsPerPatient observations.
func (g *gen) routine(r rng, p *patient, liverStory bool) {
	st := p.state()
	if liverStory {
		st.weightKG *= 1.15
	}
	years := p.End.Sub(p.Start).Hours() / 24 / 365.25
	have := len(p.Observations) + len(p.Medications)
	perVisit := 9.5
	visits := int(math.Round(float64(g.cfg.EventsPerPatient-have) / perVisit))
	if min := int(years); visits < min {
		visits = min
	}
	if visits < 1 {
		visits = 1
	}
	span := p.End.Sub(p.Start)
	for v := 0; v < visits; v++ {
		t := p.Start.Add(time.Duration((float64(v) + r.Float64()) / float64(visits) * float64(span)))
		t = time.Date(t.Year(), t.Month(), t.Day(), 8+r.IntN(9), r.IntN(4)*15, 0, 0, time.UTC)
		if !p.alive(t) || !t.Before(p.End) {
			continue
		}
		enc := p.encounter("AMB", typeCheckup, t, t.Add(30*time.Minute), "")
		drift := 1 + 0.01*p.age(t)/10
		w := st.weightKG * (1 + r.norm(0, 0.015))
		if v == 0 {
			p.measure(r, "height", t, enc, st.heightCM)
		}
		p.measure(r, "weight", t, enc, w)
		p.measure(r, "bmi", t, enc, w/((st.heightCM/100)*(st.heightCM/100)))
		p.measure(r, "sbp", t, enc, math.Round(r.norm(st.sbp*drift, 8)))
		p.measure(r, "dbp", t, enc, math.Round(r.norm(st.dbp, 6)))
		p.measure(r, "hr", t, enc, math.Round(r.norm(st.hr, 6)))
		lab := t.Add(10 * time.Minute)
		p.measure(r, "sodium", lab, enc, math.Round(r.norm(140, 2)))
		p.measure(r, "creatinine", lab, enc, clamp(r.norm(0.9, 0.15), 0.5, 1.6))
		glu := r.norm(95, 9)
		if st.diabetic {
			glu = r.norm(145, 25)
		}
		p.measure(r, "glucose", lab, enc, math.Round(glu))
		if !liverStory && r.chance(0.5) {
			p.measure(r, "alt", lab, enc, math.Round(r.lognorm(22, 0.3)))
			p.measure(r, "ast", lab, enc, math.Round(r.lognorm(23, 0.25)))
			p.measure(r, "platelets", lab, enc, math.Round(r.norm(255, 45)))
		}
		if st.diabetic && r.chance(0.5) {
			p.measure(r, "hba1c", lab, enc, r.norm(7.2, 0.7))
		}
	}
}
