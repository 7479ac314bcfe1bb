package synth

import (
	"fmt"
	"math"
	"sort"
	"time"
)

// hotspot is a somatic variant the generator can place (GRCh38).
type hotspot struct {
	Gene, Chrom string
	Pos         int
	Ref, Alt    string
	HGVSc       string // on Transcript
	HGVSp       string // three-letter
	HGVSpShort  string
	Transcript  string
	Consequence string
	Entrez      int
}

// Somatic hotspots (GRCh38 coordinates; KRAS, BRAF and TP53 are on the
// minus strand, so the genomic change is the complement of the coding one).
var (
	krasG12D  = hotspot{"KRAS", "chr12", 25245350, "C", "T", "c.35G>A", "p.Gly12Asp", "p.G12D", "ENST00000256078", "missense_variant", 3845}
	krasG12C  = hotspot{"KRAS", "chr12", 25245351, "C", "A", "c.34G>T", "p.Gly12Cys", "p.G12C", "ENST00000256078", "missense_variant", 3845}
	krasG12V  = hotspot{"KRAS", "chr12", 25245350, "C", "A", "c.35G>T", "p.Gly12Val", "p.G12V", "ENST00000256078", "missense_variant", 3845}
	egfrL858R = hotspot{"EGFR", "chr7", 55191822, "T", "G", "c.2573T>G", "p.Leu858Arg", "p.L858R", "ENST00000275493", "missense_variant", 1956}
	brafV600E = hotspot{"BRAF", "chr7", 140753336, "A", "T", "c.1799T>A", "p.Val600Glu", "p.V600E", "ENST00000646891", "missense_variant", 673}
	tp53R175H = hotspot{"TP53", "chr17", 7675088, "C", "T", "c.524G>A", "p.Arg175His", "p.R175H", "ENST00000269305", "missense_variant", 7157}
	tp53R248Q = hotspot{"TP53", "chr17", 7674220, "C", "T", "c.743G>A", "p.Arg248Gln", "p.R248Q", "ENST00000269305", "missense_variant", 7157}
	tp53R273H = hotspot{"TP53", "chr17", 7673802, "C", "T", "c.818G>A", "p.Arg273His", "p.R273H", "ENST00000269305", "missense_variant", 7157}
	tp53R249S = hotspot{"TP53", "chr17", 7674216, "C", "A", "c.747G>T", "p.Arg249Ser", "p.R249S", "ENST00000269305", "missense_variant", 7157}
)

func drug(name, rxcui, atc string) []coding {
	c := []coding{}
	if rxcui != "" {
		c = append(c, coding{sysRxNorm, rxcui, name})
	}
	return append(c, coding{sysATC, atc, name})
}

// Antineoplastic drugs: RxNorm ingredient RxCUIs and WHO ATC codes (ATC
// only where the RxCUI is not one we could check).
var (
	oxaliplatin   = drug("oxaliplatin", "32592", "L01XA03")
	fluorouracil  = drug("fluorouracil", "4492", "L01BC02")
	leucovorin    = drug("leucovorin", "6313", "V03AF03")
	bevacizumab   = drug("bevacizumab", "253337", "L01FG01")
	irinotecan    = drug("irinotecan", "51499", "L01CE02")
	cetuximab     = drug("cetuximab", "318341", "L01FE01")
	encorafenib   = drug("encorafenib", "", "L01EC03")
	sotorasib     = drug("sotorasib", "", "L01XX73")
	carboplatin   = drug("carboplatin", "40048", "L01XA02")
	pemetrexed    = drug("pemetrexed", "68446", "L01BA04")
	pembrolizumab = drug("pembrolizumab", "1547545", "L01FF02")
	docetaxel     = drug("docetaxel", "72962", "L01CD02")
	osimertinib   = drug("osimertinib", "1721560", "L01EB04")
	atezolizumab  = drug("atezolizumab", "1792776", "L01FF05")
	lenvatinib    = drug("lenvatinib", "1603296", "L01EX08")
	sorafenib     = drug("sorafenib", "495881", "L01EX02")
	gemcitabine   = drug("gemcitabine", "12574", "L01BC05")
	paclitaxel    = drug("paclitaxel", "56946", "L01CD01")
)

type agent struct {
	codes []coding
	dose  quantity
	route *coding
}

type regimen struct {
	name   string
	cycle  int // days
	agents []agent
}

func iv(c []coding, mg float64) agent   { return agent{c, quantity{mg, "mg", 0}, routeIV} }
func oral(c []coding, mg float64) agent { return agent{c, quantity{mg, "mg", 0}, routeOral} }

var (
	folfoxBev     = regimen{"FOLFOX + bevacizumab", 14, []agent{iv(oxaliplatin, 150), iv(fluorouracil, 4000), iv(leucovorin, 700), iv(bevacizumab, 350)}}
	folfiri       = regimen{"FOLFIRI", 14, []agent{iv(irinotecan, 310), iv(fluorouracil, 4000), iv(leucovorin, 700)}}
	encoCetux     = regimen{"encorafenib + cetuximab", 14, []agent{oral(encorafenib, 300), iv(cetuximab, 875)}}
	sotorasibMono = regimen{"sotorasib", 21, []agent{oral(sotorasib, 960)}}
	carboPemPembo = regimen{"carboplatin + pemetrexed + pembrolizumab", 21, []agent{iv(carboplatin, 600), iv(pemetrexed, 900), iv(pembrolizumab, 200)}}
	carboPem      = regimen{"carboplatin + pemetrexed", 21, []agent{iv(carboplatin, 600), iv(pemetrexed, 900)}}
	docetaxelMono = regimen{"docetaxel", 21, []agent{iv(docetaxel, 135)}}
	osimertinibRx = regimen{"osimertinib", 28, []agent{oral(osimertinib, 80)}}
	atezoBev      = regimen{"atezolizumab + bevacizumab", 21, []agent{iv(atezolizumab, 1200), iv(bevacizumab, 1050)}}
	lenvatinibRx  = regimen{"lenvatinib", 28, []agent{oral(lenvatinib, 12)}}
	sorafenibRx   = regimen{"sorafenib", 28, []agent{oral(sorafenib, 800)}}
	folfirinox    = regimen{"FOLFIRINOX", 14, []agent{iv(oxaliplatin, 150), iv(irinotecan, 310), iv(fluorouracil, 4000), iv(leucovorin, 700)}}
	gemPac        = regimen{"gemcitabine + nab-paclitaxel", 28, []agent{iv(gemcitabine, 1800), iv(paclitaxel, 225)}}
)

type cancerType struct {
	name      string
	icd, sct  coding
	site      coding // body site of the primary
	histology coding // ICD-O-3 morphology
	markers   []string
	tissue    string
	mets      []string // organs of distant metastases, in order of likelihood
}

var (
	siteLiver  = coding{sysSCT, "10200004", "Liver structure"}
	siteLung   = coding{sysSCT, "39607008", "Lung structure"}
	siteNode   = coding{sysSCT, "59441001", "Structure of lymph node"}
	siteColon  = coding{sysSCT, "71854001", "Colon structure"}
	sitePancr  = coding{sysSCT, "15776009", "Pancreatic structure"}
	cancerCRC  = cancerType{"colorectal", coding{sysICD10, "C18.7", "Malignant neoplasm of sigmoid colon"}, coding{sysSCT, "93761005", "Primary malignant neoplasm of colon"}, siteColon, coding{sysICDO3, "8140/3", "Adenocarcinoma, NOS"}, []string{"cea", "ca19_9"}, "colon", []string{"liver", "lung"}}
	cancerLung = cancerType{"nsclc", coding{sysICD10, "C34.11", "Malignant neoplasm of upper lobe, right bronchus or lung"}, coding{sysSCT, "254637007", "Non-small cell lung cancer"}, siteLung, coding{sysICDO3, "8140/3", "Adenocarcinoma, NOS"}, []string{"cea"}, "lung", []string{"liver", "lung"}}
	cancerHCC  = cancerType{"hcc", coding{sysICD10, "C22.0", "Liver cell carcinoma"}, coding{sysSCT, "109841003", "Liver cell carcinoma"}, siteLiver, coding{sysICDO3, "8170/3", "Hepatocellular carcinoma, NOS"}, []string{"afp"}, "liver", []string{"lung"}}
	cancerPanc = cancerType{"pancreas", coding{sysICD10, "C25.0", "Malignant neoplasm of head of pancreas"}, coding{sysSCT, "363418001", "Malignant tumor of pancreas"}, sitePancr, coding{sysICDO3, "8500/3", "Infiltrating duct carcinoma, NOS"}, []string{"ca19_9", "cea"}, "pancreas", []string{"liver"}}
	secondary  = map[string][]coding{
		"liver": {{sysICD10, "C78.7", "Secondary malignant neoplasm of liver and intrahepatic bile duct"}, {sysSCT, "94381002", "Secondary malignant neoplasm of liver"}},
		"lung":  {{sysICD10, "C78.00", "Secondary malignant neoplasm of unspecified lung"}, {sysSCT, "94391008", "Secondary malignant neoplasm of lung"}},
		"node":  {{sysICD10, "C77.2", "Secondary and unspecified malignant neoplasm of intra-abdominal lymph nodes"}, {sysSCT, "94410003", "Secondary malignant neoplasm of intra-abdominal lymph nodes"}},
	}
)

func (g *gen) oncology(r rng, p *patient) {
	span := p.End.Sub(p.Start)
	if span < days(240) {
		return
	}
	var ct cancerType
	switch x := r.Float64(); {
	case x < 0.4:
		ct = cancerCRC
	case x < 0.7:
		ct = cancerLung
	case x < 0.85:
		ct = cancerHCC
	default:
		ct = cancerPanc
	}
	dx := p.Start.Add(time.Duration(r.uniform(0.15, 0.85) * float64(span-days(120)))).Truncate(24 * time.Hour).Add(10 * time.Hour)
	if !p.alive(dx) {
		return
	}
	// Somatic variants and the lines of therapy they lead to.
	var variants []hotspot
	var lines []regimen
	switch ct.name {
	case "colorectal":
		switch x := r.Float64(); {
		case x < 0.35:
			variants = append(variants, krasG12D)
		case x < 0.42:
			variants = append(variants, krasG12C)
		case x < 0.52:
			variants = append(variants, brafV600E)
		}
		lines = []regimen{folfoxBev, folfiri}
		if len(variants) > 0 && variants[0] == brafV600E {
			lines = append(lines, encoCetux)
		} else if len(variants) > 0 && variants[0] == krasG12C {
			lines = append(lines, sotorasibMono)
		}
		if r.chance(0.6) {
			variants = append(variants, pick(r, []hotspot{tp53R175H, tp53R248Q, tp53R273H}))
		}
	case "nsclc":
		switch x := r.Float64(); {
		case x < 0.15:
			variants = append(variants, egfrL858R)
			lines = []regimen{osimertinibRx, carboPem, docetaxelMono}
		case x < 0.28:
			variants = append(variants, krasG12C)
			lines = []regimen{carboPemPembo, sotorasibMono, docetaxelMono}
		case x < 0.30:
			variants = append(variants, brafV600E)
			lines = []regimen{carboPemPembo, docetaxelMono}
		default:
			lines = []regimen{carboPemPembo, docetaxelMono}
		}
		if r.chance(0.5) {
			variants = append(variants, pick(r, []hotspot{tp53R175H, tp53R248Q, tp53R273H}))
		}
	case "hcc":
		if r.chance(0.3) {
			variants = append(variants, tp53R249S)
		}
		lines = []regimen{atezoBev, lenvatinibRx, sorafenibRx}
	case "pancreas":
		if r.chance(0.5) {
			variants = append(variants, krasG12D)
		} else if r.chance(0.6) {
			variants = append(variants, krasG12V)
		}
		if r.chance(0.7) {
			variants = append(variants, pick(r, []hotspot{tp53R175H, tp53R248Q, tp53R273H}))
		}
		lines = []regimen{folfirinox, gemPac}
	}
	// Stage and baseline lesions (measurable disease at baseline: stage
	// III with nodes or stage IV with metastases).
	stageIV := r.chance(0.7)
	tnm := [4]string{"3B", "cT3", "cN2", "cM0"}
	if stageIV {
		tnm = [4]string{"4", "cT3", "cN1", "cM1"}
		if ct.name == "nsclc" {
			tnm[0] = "4A"
		}
	}
	var les []Lesion
	n := 0
	add := func(site string, node bool) {
		n++
		l := Lesion{TrackingID: fmt.Sprintf("lesion-%d", n), TrackingUID: g.ids.uid("lesion", p.Index, n), Site: site, Node: node, Target: true}
		l.SiteCode, l.Center = placeLesion(r, site)
		if node {
			l.ShortMM = r.uniform(16, 28)
			l.LongMM = l.ShortMM * r.uniform(1.2, 1.5)
		} else {
			l.LongMM = r.uniform(24, 60)
			l.ShortMM = l.LongMM * r.uniform(0.6, 0.85)
		}
		les = append(les, l)
	}
	switch ct.name {
	case "nsclc":
		add("lung", false)
	case "hcc":
		add("liver", false)
	case "pancreas":
		add("pancreas", false)
	case "colorectal":
		add("colon", false)
	}
	add("node", true)
	if stageIV {
		for k := r.between(1, 3); k > 0 && len(les) < 5; k-- {
			site := ct.mets[0]
			if len(ct.mets) > 1 && r.chance(0.3) {
				site = ct.mets[1]
			}
			if countSite(les, site) >= 2 {
				continue
			}
			add(site, false)
		}
	}
	stageLabel := map[string]string{"3B": "Stage IIIB", "4": "Stage IV", "4A": "Stage IVA"}[tnm[0]]
	ot := &OncologyTruth{Cancer: ct.name, ICD10: ct.icd.Code, Diagnosed: dx, Stage: tnm[0]}
	for _, v := range variants {
		ot.Variants = append(ot.Variants, v.Gene+" "+v.HGVSpShort)
	}
	p.Oncology = ot
	// The cancer condition (mCODE primary cancer condition), its stage
	// group and TNM categories, metastases.
	condID, stageID := p.newID(), p.newID()
	p.condition(condition{ID: condID, Profile: "http://hl7.org/fhir/us/mcode/StructureDefinition/mcode-primary-cancer-condition",
		Code: []coding{ct.icd, ct.sct}, Onset: dx, BodySite: &ct.site, Histology: &ct.histology, Stage: stageID})
	stageEnc := p.encounter("AMB", typeFollowUp, dx, dx.Add(time.Hour), condID)
	var members []string
	for k, c := range []struct{ loinc, disp, profile string }{
		{"21905-5", "Primary tumor.clinical [Class] Cancer", "mcode-tnm-primary-tumor-category"},
		{"21906-3", "Regional lymph nodes.clinical [Class] Cancer", "mcode-tnm-regional-nodes-category"},
		{"21907-1", "Distant metastases.clinical [Class] Cancer", "mcode-tnm-distant-metastases-category"},
	} {
		id := p.newID()
		members = append(members, id)
		p.Observations = append(p.Observations, observation{ID: id, Profile: "http://hl7.org/fhir/us/mcode/StructureDefinition/" + c.profile,
			Category: "survey", Code: []coding{lc(c.loinc, c.disp)}, Time: dx, Issued: dx.Add(days(2)), Encounter: stageEnc,
			ValueCode: &coding{sysAJCC, tnm[k+1], "American Joint Committee on Cancer " + tnm[k+1]}, Focus: condID})
	}
	p.Observations = append(p.Observations, observation{ID: stageID, Profile: "http://hl7.org/fhir/us/mcode/StructureDefinition/mcode-tnm-stage-group",
		Category: "survey", Code: []coding{lc("21908-9", "Stage group.clinical Cancer")}, Time: dx, Issued: dx.Add(days(2)), Encounter: stageEnc,
		ValueCode: &coding{sysAJCC, tnm[0], stageLabel}, Focus: condID, Members: members})
	metSeen := map[string]bool{}
	for _, l := range les {
		if l.Site != ct.tissue && !metSeen[l.Site] && secondary[l.Site] != nil {
			metSeen[l.Site] = true
			p.condition(condition{Profile: "http://hl7.org/fhir/us/mcode/StructureDefinition/mcode-secondary-cancer-condition",
				Code: secondary[l.Site], Onset: dx, BodySite: siteCoding(l.Site)})
		}
	}
	// Treatment and restaging.
	secretor := r.lognorm(1, 0.7)
	baseline := g.newStudy(r, p, dx.Add(-days(r.uniform(3, 12))), "CHESTABDPELVIS", true, "oncology")
	g.scan(r, p, &baseline, les, ot)
	t := dx.Add(days(r.uniform(10, 24))).Truncate(time.Minute)
	for li, reg := range lines {
		if !t.Before(p.End) || !p.alive(t) {
			break
		}
		x := r.Float64()
		resp := "PD"
		switch {
		case li == 0 && x < 0.5, li == 1 && x < 0.3, li == 2 && x < 0.2:
			resp = "PR"
		case li == 0 && x < 0.85, li == 1 && x < 0.7, li == 2 && x < 0.55:
			resp = "SD"
		}
		th := TherapyLine{Line: li + 1, Regimen: reg.name, Start: t, Response: resp}
		depth := 1.0
		control := 0.0 // days until progression begins
		switch resp {
		case "PR":
			depth, control = r.uniform(0.4, 0.55), r.uniform(150, 420)
		case "SD":
			depth, control = r.uniform(0.88, 1.02), r.uniform(110, 300)
		}
		base := append([]Lesion(nil), les...)
		baseSum, nadir := 0.0, 1.0
		for _, l := range base {
			if l.Target {
				baseSum += map[bool]float64{true: l.ShortMM, false: l.LongMM}[l.Node]
			}
		}
		end := t.Add(days(3650))
		// Restaging CTs every 8-9 weeks; the line ends at progression.
		progressed := false
		scanT := t
		for k := 1; ; k++ {
			scanT = scanT.Add(days(float64(r.between(56, 63))))
			if !scanT.Before(p.End) || !p.alive(scanT) {
				break
			}
			el := scanT.Sub(t).Hours() / 24
			m := depth + (1-depth)*math.Exp(-el/35)
			grow := el > control
			if grow {
				// Regrowth: 28-50 % above the nadir and at least 7 mm on
				// the sum, unequivocal RECIST 1.1 progression (≥ 20 % and
				// ≥ 5 mm).
				m = math.Max(nadir*r.uniform(1.28, 1.5), nadir+7/baseSum)
			} else {
				nadir = math.Min(nadir, m)
			}
			for i := range les {
				les[i].LongMM = math.Max(4, base[i].LongMM*m*r.lognorm(1, 0.04))
				les[i].ShortMM = math.Max(3, base[i].ShortMM*m*r.lognorm(1, 0.04))
				les[i].New = false
			}
			if grow && r.chance(0.4) && len(les) < 8 {
				site := ct.mets[r.IntN(len(ct.mets))]
				n++
				nl := Lesion{TrackingID: fmt.Sprintf("lesion-%d", n), TrackingUID: g.ids.uid("lesion", p.Index, n), Site: site, New: true,
					LongMM: r.uniform(8, 16)}
				nl.ShortMM = nl.LongMM * r.uniform(0.6, 0.85)
				nl.SiteCode, nl.Center = placeLesion(r, site)
				les = append(les, nl)
				base = append(base, nl)
			}
			s := g.newStudy(r, p, scanT, "CHESTABDPELVIS", true, "oncology")
			g.scan(r, p, &s, les, ot)
			status := map[bool]coding{true: {sysSCT, "271299001", "Patient's condition worsened"}, false: {sysSCT, "359746009", "Patient's condition stable"}}[grow]
			if !grow && resp == "PR" && m < 0.75 {
				status = coding{sysSCT, "268910001", "Patient's condition improved"}
			}
			p.Observations = append(p.Observations, observation{ID: p.newID(), Profile: "http://hl7.org/fhir/us/mcode/StructureDefinition/mcode-cancer-disease-status",
				Category: "survey", Code: []coding{lc("97509-4", "Cancer disease status")}, Time: s.Signed, Issued: s.Signed.Add(days(1)),
				ValueCode: &status, Focus: condID})
			if grow {
				end = scanT.Add(days(3))
				progressed = true
				break
			}
			_ = k
		}
		if !progressed {
			end = minTime(p.End, p.deathOrEnd())
		} else {
			th.End = end
		}
		g.administer(r, p, reg, t, end, condID, ct, ot, secretor)
		ot.Lines = append(ot.Lines, th)
		if !progressed {
			break
		}
		t = end.Add(days(r.uniform(10, 21))).Truncate(time.Minute)
		if li == len(lines)-1 && r.chance(0.6) {
			death := t.Add(days(r.uniform(30, 180))).Truncate(time.Minute)
			if p.Death.IsZero() || death.Before(p.Death) {
				p.Death = death
			}
		}
	}
}

func countSite(les []Lesion, site string) int {
	n := 0
	for _, l := range les {
		if l.Site == site {
			n++
		}
	}
	return n
}

func siteCoding(site string) *coding {
	switch site {
	case "liver":
		return &siteLiver
	case "lung":
		return &siteLung
	case "node":
		return &siteNode
	case "pancreas":
		return &sitePancr
	}
	return &siteColon
}

// scan records a study's lesions (with the radiologist's reading) and
// adds it to the patient.
func (g *gen) scan(r rng, p *patient, s *study, les []Lesion, ot *OncologyTruth) {
	s.Lesions = make([]Lesion, len(les))
	sum := 0.0
	for i, l := range les {
		l.ReadLongMM = round(l.LongMM+r.norm(0, 1.0), 1)
		l.ReadShortMM = round(l.ShortMM+r.norm(0, 0.8), 1)
		l.LongMM, l.ShortMM = round(l.LongMM, 2), round(l.ShortMM, 2)
		s.Lesions[i] = l
		if l.Target {
			if l.Node {
				sum += l.ShortMM
			} else {
				sum += l.LongMM
			}
		}
	}
	p.Studies = append(p.Studies, *s)
	ot.Studies = append(ot.Studies, LesionStudy{StudyUID: s.UID, Time: s.Time, Lesions: s.Lesions, SumMM: round(sum, 2)})
}

// administer writes a line's order and its cycles, and the tumour markers
// measured before each cycle.
func (g *gen) administer(r rng, p *patient, reg regimen, start, end time.Time, reason string, ct cancerType, ot *OncologyTruth, secretor float64) {
	intent := &coding{sysSCT, "363676003", "Palliative - procedure intent"}
	var reqs []string
	for _, a := range reg.agents {
		id := p.newID()
		reqs = append(reqs, id)
		status := "completed"
		if !end.Before(p.End) {
			status = "active"
		}
		p.Medications = append(p.Medications, medication{ID: id, Resource: "MedicationRequest",
			Profile: "http://hl7.org/fhir/us/mcode/StructureDefinition/mcode-cancer-related-medication-request",
			Code:    a.codes, Time: start, End: end, Dose: &a.dose, Route: a.route, Reason: reason, Intent: intent, Status: status})
	}
	// Marker levels follow the tumour burden (Σ long axis², a volume-like
	// quantity) of the latest study.
	burdenAt := func(t time.Time) float64 {
		b := 0.0
		for i := range ot.Studies {
			if i > 0 && ot.Studies[i].Time.After(t) {
				break
			}
			b = 0
			for _, l := range ot.Studies[i].Lesions {
				b += l.LongMM * l.LongMM
			}
		}
		return b
	}
	for c := start; c.Before(end) && c.Before(p.End) && p.alive(c); c = c.Add(days(float64(reg.cycle))) {
		enc := p.encounter("AMB", typeChemo, c, c.Add(4*time.Hour), reason)
		for k, a := range reg.agents {
			if a.route == routeOral && c != start {
				continue // oral agents: the order covers the period
			}
			p.Medications = append(p.Medications, medication{ID: p.newID(), Resource: "MedicationAdministration",
				Profile: "http://hl7.org/fhir/us/mcode/StructureDefinition/mcode-cancer-related-medication-administration",
				Code:    a.codes, Time: c.Add(time.Duration(k) * 30 * time.Minute).Add(time.Hour), Dose: &a.dose, Route: a.route,
				Reason: reason, Request: reqs[k], Encounter: enc, Status: "completed"})
		}
		for _, m := range ct.markers {
			normal := map[string]float64{"cea": 2, "ca19_9": 14, "afp": 4}[m]
			coef := map[string]float64{"cea": 0.008, "ca19_9": 0.03, "afp": 0.05}[m]
			p.measure(r, m, c.Add(-30*time.Minute), enc, clamp(r.lognorm(normal, 0.2)+coef*secretor*burdenAt(c)*r.lognorm(1, 0.1), 0.5, 1e5))
		}
	}
	sort.SliceStable(p.Medications, func(a, b int) bool { return p.Medications[a].Time.Before(p.Medications[b].Time) })
}
