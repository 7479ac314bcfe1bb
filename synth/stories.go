package synth

import (
	"fmt"
	"math"
	"time"
)

// ---- liver disease: steatosis progressing to fibrosis in some ----

func (g *gen) liver(r rng, p *patient) {
	onset := p.Start.Add(days(r.uniform(0, 180))).Truncate(time.Minute)
	// Progression risk rises with PNPLA3 G and TM6SF2 T copies and falls
	// with HSD17B13 TA (REFERENCE.md §9); the weights are illustrative.
	risk := 0.25 + 0.15*float64(p.Geno[0]) + 0.12*float64(p.Geno[1]) - 0.08*float64(p.Geno[2]) + 0.04*float64(p.Geno[3])
	progressor := r.chance(clamp(risk, 0.05, 0.85))
	f0 := pick(r, []int{0, 0, 1, 1, 2})
	rate := r.uniform(0, 0.05)
	if progressor {
		rate = r.uniform(0.35, 0.9)
	}
	fat0 := r.uniform(8, 26) + 3*float64(p.Geno[0])
	lt := &LiverTruth{Onset: onset, InitialStage: f0, Progressor: progressor, InitialFatPct: round(fat0, 1), ProgressionPerYear: rate}
	p.Liver = lt
	stageAt := func(t time.Time) float64 {
		y := t.Sub(onset).Hours() / 24 / 365.25
		return math.Min(4, float64(f0)+rate*math.Max(0, y))
	}
	fatAt := func(t time.Time) float64 {
		if stageAt(t) >= 4 {
			return fat0 * 0.6 // "burnt-out" steatosis in cirrhosis
		}
		return fat0
	}
	naflD := p.condition(condition{Code: []coding{{sysICD10, "K76.0", "Fatty (change of) liver, not elsewhere classified"}, {sysSCT, "197321007", "Steatosis of liver"}}, Onset: onset})
	_ = naflD
	var fibDone, cirDone, ascites bool
	if f0 >= 2 {
		p.condition(condition{Code: []coding{{sysICD10, "K74.00", "Hepatic fibrosis, unspecified"}, {sysSCT, "62484002", "Hepatic fibrosis"}}, Onset: onset.Add(days(20))})
		fibDone = true
	}
	if progressor && r.chance(0.5) {
		p.condition(condition{Code: []coding{{sysICD10, "K75.81", "Nonalcoholic steatohepatitis (NASH)"}, {sysSCT, "442685003", "Nonalcoholic steatohepatitis"}}, Onset: onset.Add(days(r.uniform(30, 400)))})
	}
	altBase := r.lognorm(1, 0.15)
	t := onset
	n := 0
	for t.Before(p.End) {
		if !p.alive(t) {
			break
		}
		f := stageAt(t)
		fi := int(math.Floor(f + 1e-9))
		fat := fatAt(t)
		enc := p.encounter("AMB", typeFollowUp, t, t.Add(30*time.Minute), "")
		lab := t.Add(15 * time.Minute)
		cir := 0.0
		if fi >= 4 {
			cir = 1
		}
		alt := altBase * r.lognorm(24+1.7*fat*(1-0.4*cir), 0.15)
		p.measure(r, "alt", lab, enc, math.Round(alt))
		p.measure(r, "ast", lab, enc, math.Round(alt*(0.62+0.13*f)*r.lognorm(1, 0.08)))
		p.measure(r, "platelets", lab, enc, math.Round((265-28*f-35*cir)*r.lognorm(1, 0.07)))
		p.measure(r, "albumin", lab, enc, clamp(r.norm(4.4-0.07*f-0.5*cir, 0.12), 2.2, 5.2))
		p.measure(r, "bilirubin", lab, enc, clamp((0.55+0.06*f+0.7*cir)*r.lognorm(1, 0.18), 0.2, 8))
		p.measure(r, "ggt", lab, enc, math.Round(r.lognorm(30+2.2*fat, 0.25)))
		p.measure(r, "alp", lab, enc, math.Round(r.lognorm(80+10*f, 0.15)))
		if n%2 == 0 || fi >= 3 {
			p.measure(r, "inr", lab, enc, clamp(r.norm(1.0+0.02*f+0.25*cir, 0.04), 0.8, 3))
			p.measure(r, "sodium", lab, enc, math.Round(r.norm(140-3*cir, 2)))
			p.measure(r, "creatinine", lab, enc, clamp(r.norm(0.9+0.1*cir, 0.15), 0.5, 2.5))
		}
		if !fibDone && fi >= 2 {
			p.condition(condition{Code: []coding{{sysICD10, "K74.02", "Hepatic fibrosis, advanced fibrosis"}, {sysSCT, "62484002", "Hepatic fibrosis"}}, Onset: t, Encounter: enc})
			fibDone = true
		}
		if !cirDone && fi >= 4 {
			p.condition(condition{Code: []coding{{sysICD10, "K74.60", "Unspecified cirrhosis of liver"}, {sysSCT, "19943007", "Cirrhosis of liver"}}, Onset: t, Encounter: enc})
			cirDone = true
			lt.CirrhosisSince = t
		}
		if cirDone && !ascites && t.Sub(lt.CirrhosisSince) > days(300) && r.chance(0.15) {
			p.condition(condition{Code: []coding{{sysICD10, "R18.8", "Other ascites"}, {sysSCT, "389026000", "Ascites"}}, Onset: t, Encounter: enc})
			ascites = true
		}
		n++
		gap := r.uniform(90, 200)
		if fi >= 3 {
			gap = r.uniform(60, 120)
		}
		t = t.Add(days(gap)).Truncate(24 * time.Hour).Add(time.Duration(8+r.IntN(8)) * time.Hour)
	}
	// Unenhanced abdominal CTs for liver fat: at onset and then every 1-3
	// years.
	for ct := onset.Add(days(r.uniform(10, 60))); ct.Before(p.End); ct = ct.Add(days(r.uniform(365, 1000))) {
		fat := fatAt(ct)
		s := g.newStudy(r, p, ct, "ABDOMEN", false, "liver")
		// Liver attenuation falls about 1.1 HU per percentage point of fat
		// (illustrative; unenhanced liver HU ≤ 40 is moderate-severe
		// steatosis, REFERENCE.md §6).
		s.LiverHU = round(r.norm(63-1.1*fat, 1.5), 1)
		s.ReportLiverHU = true
		p.Studies = append(p.Studies, s)
	}
}

// Sites: the patient's hospital, as the DICOM InstitutionName of its
// studies says it.
const (
	SiteA = "medtwin synthetic hospital A" // labs in conventional units
	SiteB = "medtwin synthetic hospital B" // labs in SI units
)

func (p *patient) site() string {
	if p.SI {
		return SiteB
	}
	return SiteA
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

func (p *patient) deathOrEnd() time.Time {
	if p.Death.IsZero() {
		return p.End
	}
	return p.Death
}

// newStudy makes a CT study with normal findings; the story fills in its
// own.
func (g *gen) newStudy(r rng, p *patient, t time.Time, body string, contrast bool, story string) study {
	t = t.Truncate(time.Minute)
	n := len(p.Studies)
	s := study{UID: g.ids.uid("study", p.Index, n), SeriesUID: g.ids.uid("series", p.Index, n), SRUID: g.ids.uid("sr", p.Index, n),
		Accession: fmt.Sprintf("A%07d%02d", p.Index, n), Time: t, Signed: t.Add(time.Duration(2+r.IntN(46)) * time.Hour),
		Body: body, Contrast: contrast, Story: story, Site: p.site(),
		LiverHU: round(r.norm(60, 4), 1), SpleenHU: round(r.norm(50, 3), 1), LiverVolumeML: round(liverVolumeML(), 0)}
	if contrast {
		s.LiverHU = round(r.norm(108, 6), 1)
		s.SpleenHU = round(r.norm(115, 6), 1)
	}
	return s
}

// ---- pneumonia episodes ----

var pneumoniaCodes = [][]coding{
	{{sysICD10, "J18.9", "Pneumonia, unspecified organism"}, {sysSCT, "233604007", "Pneumonia"}},
	{{sysICD10, "J13", "Pneumonia due to Streptococcus pneumoniae"}, {sysSCT, "233607000", "Pneumococcal pneumonia"}},
	{{sysICD10, "J15.9", "Unspecified bacterial pneumonia"}, {sysSCT, "53084003", "Bacterial pneumonia"}},
}

var (
	ceftriaxone  = []coding{{sysRxNorm, "2193", "ceftriaxone"}, {sysATC, "J01DD04", "ceftriaxone"}}
	azithromycin = []coding{{sysRxNorm, "18631", "azithromycin"}, {sysATC, "J01FA10", "azithromycin"}}
	amoxicillin  = []coding{{sysRxNorm, "723", "amoxicillin"}, {sysATC, "J01CA04", "amoxicillin"}}
	routeIV      = &coding{sysSCT, "47625008", "Intravenous route"}
	routeOral    = &coding{sysSCT, "26643006", "Oral route"}
)

func (g *gen) pneumonia(r rng, p *patient) {
	episodes := 1
	if r.chance(0.2) {
		episodes = 2
	}
	span := p.End.Sub(p.Start) - days(30)
	if span < days(60) {
		return
	}
	var last time.Time
	for e := 0; e < episodes; e++ {
		t0 := p.Start.Add(time.Duration(r.uniform(0.1, 1) * float64(span))).Truncate(time.Hour)
		if !last.IsZero() && t0.Sub(last) < days(90) || !p.alive(t0.Add(days(1))) {
			continue
		}
		last = t0
		g.episode(r, p, t0)
	}
}

func (g *gen) episode(r rng, p *patient, t0 time.Time) {
	age := p.age(t0)
	sev := r.Float64() + 0.15*math.Max(0, (age-60)/10) // latent severity
	confusion := r.chance(clamp(0.05+0.25*sev, 0, 0.6))
	// BUN mg/dL kept away from the CURB-65 threshold (19.6 mg/dL = 7 mmol/L
	// urea) so that rounding in either unit cannot flip the criterion.
	bun := r.lognorm(14+10*sev, 0.35)
	if math.Abs(bun-19.6) < 1.5 {
		bun = 19.6 + math.Copysign(1.5, bun-19.6)
	}
	rr := math.Round(r.norm(21+7*sev, 3))
	sbp := math.Round(r.norm(128-22*sev, 12))
	dbp := math.Round(r.norm(76-10*sev, 7))
	curb := 0
	if confusion {
		curb++
	}
	if bun > 19.6 {
		curb++
	}
	if rr >= 30 {
		curb++
	}
	if sbp < 90 || dbp <= 60 {
		curb++
	}
	if age >= 65 {
		curb++
	}
	los := map[int][2]int{0: {2, 4}, 1: {3, 5}, 2: {5, 9}, 3: {7, 12}, 4: {8, 14}, 5: {8, 16}}[curb]
	stay := r.between(los[0], los[1])
	dis := t0.Add(days(float64(stay))).Truncate(time.Hour).Add(time.Duration(10+r.IntN(6)) * time.Hour)
	codes := pick(r, pneumoniaCodes)
	condID := p.newID()
	enc := p.encounter("IMP", typeEmergency, t0, dis, condID)
	p.condition(condition{ID: condID, Code: codes, Onset: t0, Abatement: dis, Category: "encounter-diagnosis", Encounter: enc})
	pt := PneumoniaTruth{Admitted: t0, Discharged: dis, CURB65: curb, Confusion: confusion}
	if confusion {
		p.condition(condition{Code: []coding{{sysICD10, "R41.0", "Disorientation, unspecified"}, {sysSCT, "286933003", "Confusional state"}},
			Onset: t0, Abatement: t0.Add(days(r.uniform(1, 3))), Category: "encounter-diagnosis", Encounter: enc})
	}
	if curb >= 3 && r.chance(0.5) {
		icu := t0.Add(time.Duration(4+r.IntN(20)) * time.Hour)
		p.encounter("IMP", typeICU, icu, minTime(icu.Add(days(r.uniform(2, 5))), dis), condID)
		pt.ICU = true
	}
	// Presentation: vitals at t0, labs 30 minutes later.
	spo2 := clamp(math.Round(r.norm(95-4*sev, 1.5)), 78, 99)
	temp := r.norm(38.3+0.3*sev, 0.4)
	hr := math.Round(r.norm(92+12*sev, 8))
	gcs := 15.0
	if confusion {
		gcs = float64(r.between(12, 14))
	}
	// Vital signs recover towards normal over the stay; the presentation
	// values (k = 0) are exactly the CURB-65 inputs above.
	vit := func(t time.Time, k float64) {
		n := 0.0
		if k > 0 {
			n = 1
		}
		p.measure(r, "rr", t, enc, math.Round(rr-(rr-16)*k+n*r.norm(0, 1)))
		p.measure(r, "sbp", t, enc, math.Round(sbp+(125-sbp)*k+n*r.norm(0, 5)))
		p.measure(r, "dbp", t, enc, math.Round(dbp+(75-dbp)*k+n*r.norm(0, 4)))
		p.measure(r, "hr", t, enc, math.Round(hr-(hr-75)*k+n*r.norm(0, 4)))
		p.measure(r, "spo2", t, enc, clamp(math.Round(spo2+(97-spo2)*k+n*r.norm(0, 0.8)), 70, 100))
		p.measure(r, "temp", t, enc, temp-(temp-36.9)*k+n*r.norm(0, 0.2))
	}
	vit(t0, 0)
	p.measure(r, "gcs", t0, enc, gcs)
	lab := t0.Add(30 * time.Minute)
	crp0 := r.lognorm(90+60*sev, 0.4)
	wbc0 := r.lognorm(12+4*sev, 0.25)
	pct0 := r.lognorm(0.4+2.5*sev*sev, 0.7)
	p.measure(r, "crp", lab, enc, crp0)
	p.measure(r, "wbc", lab, enc, wbc0)
	p.measure(r, "pct", lab, enc, pct0)
	p.measure(r, "urea", lab, enc, bun)
	p.measure(r, "creatinine", lab, enc, clamp(r.norm(1.0+0.3*sev, 0.2), 0.5, 4))
	p.measure(r, "sodium", lab, enc, math.Round(r.norm(137-2*sev, 3)))
	p.measure(r, "glucose", lab, enc, math.Round(r.norm(120, 20)))
	// The course: vitals every 8 hours, CRP and leukocytes daily,
	// procalcitonin on days 1 and 3.
	for h := 8; t0.Add(time.Duration(h) * time.Hour).Before(dis); h += 8 {
		d := float64(h) / 24
		k := clamp(d/float64(stay), 0, 1)
		vit(t0.Add(time.Duration(h)*time.Hour), k)
		if h%24 == 0 {
			lt := t0.Add(time.Duration(h)*time.Hour + 6*time.Hour)
			crp := crp0 * (1 + 0.3*d)
			if d > 1 {
				crp = crp0 * 1.3 * math.Exp(-0.35*(d-1))
			}
			p.measure(r, "crp", lt, enc, crp*r.lognorm(1, 0.08))
			p.measure(r, "wbc", lt, enc, (wbc0-7.5)*math.Exp(-0.3*d)+7.5)
			if h == 24 || h == 72 {
				p.measure(r, "pct", lt, enc, pct0*math.Exp(-0.4*d))
			}
		}
	}
	// Antibiotics: an order and a daily administration.
	drugs, dose, route := [][]coding{ceftriaxone, azithromycin}, []float64{2000, 500}, routeIV
	if curb <= 1 && r.chance(0.6) {
		drugs, dose, route = [][]coding{amoxicillin}, []float64{1000}, routeOral
	}
	for k, d := range drugs {
		req := p.newID()
		p.Medications = append(p.Medications, medication{ID: req, Resource: "MedicationRequest", Code: d, Time: t0.Add(time.Hour),
			End: dis, Dose: &quantity{dose[k], "mg", 0}, Route: route, Reason: condID, Encounter: enc, Status: "completed"})
		for day := 0; t0.Add(days(float64(day)) + time.Hour).Before(dis); day++ {
			at := t0.Add(days(float64(day)) + 2*time.Hour)
			p.Medications = append(p.Medications, medication{ID: p.newID(), Resource: "MedicationAdministration", Code: d, Time: at,
				Dose: &quantity{dose[k], "mg", 0}, Route: route, Reason: condID, Request: req, Encounter: enc, Status: "completed"})
		}
	}
	died := false
	pd := map[int]float64{0: 0, 1: 0.01, 2: 0.04, 3: 0.12, 4: 0.2, 5: 0.3}[curb]
	if r.chance(pd) {
		death := dis.Add(-days(r.uniform(0, 0.5))).Truncate(time.Minute)
		if p.Death.IsZero() || death.Before(p.Death) {
			p.Death = death
			died = true
		}
	}
	pt.Died = died
	// CT chest at admission for most episodes: ground-glass and some
	// consolidation in one or both lungs, growing with severity.
	if r.chance(0.75) {
		s := g.newStudy(r, p, t0.Add(time.Duration(2+r.IntN(5))*time.Hour), "CHEST", false, "pneumonia")
		ggo := clamp(r.lognorm(6+5*sev, 0.45), 2, 45)
		s.GGOPct = round(ggo, 1)
		s.ConsolidationPct = round(clamp(ggo*r.uniform(0.1, 0.3)*(0.5+sev), 0.5, 25), 1)
		switch x := r.Float64(); {
		case x < 0.45:
			s.RightInvolved = true
		case x < 0.7:
			s.LeftInvolved = true
		default:
			s.RightInvolved, s.LeftInvolved = true, true
		}
		s.capInvolvement()
		pt.Involved = round(s.GGOPct+s.ConsolidationPct, 1)
		pt.StudyUID = s.UID
		p.Studies = append(p.Studies, s)
	}
	p.Pneumonia = append(p.Pneumonia, pt)
}
