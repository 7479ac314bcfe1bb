package liver

import (
	"fmt"
	"math"

	"github.com/medtwin/medtwin/twin"
)

// The published formulas, as pure functions of numbers in the units the
// papers use (bilirubin and creatinine mg/dL, albumin g/dL unless noted,
// platelets 10^9/L, aminotransferases U/L). Clamping rules are applied here
// and reported in the returned notes; rounding follows each source.

// q rounds a value to 6 decimals before it is compared with a cut-off, so
// that a value converted from SI units (34.2 µmol/L bilirubin = 2.0 mg/dL)
// sits on the same side of the boundary as the conventional value.
func q(v float64) float64 { return twin.Round(v, 6) }

// FIB4 is the Fibrosis-4 index: age × AST / (platelets × √ALT), rounded to
// two decimals. Sterling RK et al., Hepatology 2006;43:1317-1325.
func FIB4(age, ast, alt, platelets float64) float64 {
	return twin.Round(age*ast/(platelets*math.Sqrt(alt)), 2)
}

// FIB-4 categories. The NAFLD cut-offs are primary (Shah AG et al., Clin
// Gastroenterol Hepatol 2009;7:1104: < 1.30 low, > 2.67 high), with the
// lower cut-off raised to 2.0 from age 65 (McPherson S et al., Am J
// Gastroenterol 2017;112:740); the original HIV/HCV cut-offs (Sterling
// 2006: < 1.45 low, > 3.25 high) are the second scheme.
const (
	SchemeFIB4NAFLD    = "NAFLD (Shah 2009; age ≥65 low cut-off 2.0, McPherson 2017)"
	SchemeFIB4Sterling = "HIV/HCV (Sterling 2006)"
)

// FIB4Category returns the category under the NAFLD cut-offs (age-adjusted)
// and under Sterling's.
func FIB4Category(v float64, age int) (nafld, sterling string) {
	low := 1.30
	if age >= 65 {
		low = 2.0
	}
	return band(v, low, 2.67), band(v, 1.45, 3.25)
}

// band: < low "low", > high "high", else "indeterminate".
func band(v, low, high float64) string {
	switch v = q(v); {
	case v < low:
		return "low"
	case v > high:
		return "high"
	}
	return "indeterminate"
}

// APRI is the AST-to-platelet ratio index: (AST / AST upper limit of
// normal) / platelets × 100, rounded to two decimals. Wai CT et al.,
// Hepatology 2003;38:518-526.
func APRI(ast, astULN, platelets float64) float64 {
	return twin.Round(ast/astULN/platelets*100, 2)
}

// APRI schemes (Wai 2003): significant fibrosis ≤ 0.50 unlikely ("low"),
// > 1.50 likely ("high"); cirrhosis ≤ 1.00 unlikely, > 2.00 likely.
const (
	SchemeAPRIFibrosis  = "significant fibrosis (Wai 2003: ≤0.5 / >1.5)"
	SchemeAPRICirrhosis = "cirrhosis (Wai 2003: ≤1.0 / >2.0)"
)

// APRICategory returns the fibrosis and cirrhosis categories.
func APRICategory(v float64) (fibrosis, cirrhosis string) {
	return bandLE(v, 0.5, 1.5), bandLE(v, 1.0, 2.0)
}

// bandLE: ≤ low "low", > high "high", else "indeterminate".
func bandLE(v, low, high float64) string {
	switch v = q(v); {
	case v <= low:
		return "low"
	case v > high:
		return "high"
	}
	return "indeterminate"
}

// MELDBounds are the lab bounds of the UNOS MELD and OPTN MELD-Na: values
// below 1.0 are set to 1.0 and creatinine above 4.0 (or on dialysis) to 4.0.
const (
	meldFloor    = 1.0
	meldCrCap    = 4.0
	meldMax      = 40
	meldNaLow    = 125.0
	meldNaHigh   = 137.0
	meld3CrCap   = 3.0
	meld3AlbLow  = 1.5
	meld3AlbHigh = 3.5
)

// MELDi is the UNOS MELD before its final step: 0.957 ln(Cr) + 0.378
// ln(bilirubin) + 1.120 ln(INR) + 0.643 with the UNOS bounds applied,
// rounded to the tenth and multiplied by 10 (OPTN policy 9.1; Kamath PS et
// al., Hepatology 2001;33:464; Wiesner R et al., Gastroenterology
// 2003;124:91). notes name the bounds applied.
func MELDi(bili, inr, cr float64, dialysis bool) (float64, []string) {
	bili, inr, cr, notes := meldLabs(bili, inr, cr, meldCrCap, dialysis)
	raw := 0.957*math.Log(cr) + 0.378*math.Log(bili) + 1.120*math.Log(inr) + 0.643
	return math.Round(twin.Round(raw, 1) * 10), notes
}

// meldLabs applies the lab bounds shared by the MELD scores: bilirubin, INR
// and creatinine below 1.0 are set to 1.0; creatinine above crCap, or any
// creatinine on dialysis, is set to crCap.
func meldLabs(bili, inr, cr, crCap float64, dialysis bool) (float64, float64, float64, []string) {
	var notes []string
	floor := func(name string, v float64) float64 {
		if q(v) < meldFloor {
			notes = append(notes, name+" below 1.0 set to 1.0")
			return meldFloor
		}
		return v
	}
	bili, inr, cr = floor("bilirubin", bili), floor("INR", inr), floor("creatinine", cr)
	switch {
	case dialysis:
		notes = append(notes, fmt.Sprintf("dialysis twice or CVVHD in the past week: creatinine set to %.1f", crCap))
		cr = crCap
	case q(cr) > crCap:
		notes = append(notes, fmt.Sprintf("creatinine above %.1f set to %.1f", crCap, crCap))
		cr = crCap
	}
	return bili, inr, cr, notes
}

// MELD is the UNOS MELD score (6-40).
func MELD(bili, inr, cr float64, dialysis bool) (float64, []string) {
	m, notes := MELDi(bili, inr, cr, dialysis)
	return capMELD(math.Round(m), &notes), notes
}

func capMELD(v float64, notes *[]string) float64 {
	if v > meldMax {
		*notes = append(*notes, "score above 40 capped at 40")
		return meldMax
	}
	return v
}

func clampNa(na float64, notes *[]string) float64 {
	switch na = q(na); {
	case na < meldNaLow:
		*notes = append(*notes, "sodium below 125 set to 125")
		return meldNaLow
	case na > meldNaHigh:
		*notes = append(*notes, "sodium above 137 set to 137")
		return meldNaHigh
	}
	return na
}

// MELDNa is the OPTN MELD-Na (January 2016): MELD(i) as in MELDi; when
// MELD(i) > 11, MELD(i) + 1.32 × (137 − Na) − 0.033 × MELD(i) × (137 − Na)
// with sodium bounded to 125-137; rounded to an integer and capped at 40
// (OPTN policy 9.1.D; Kim WR et al., N Engl J Med 2008;359:1018).
func MELDNa(bili, inr, cr, na float64, dialysis bool) (float64, []string) {
	m, notes := MELDi(bili, inr, cr, dialysis)
	na = clampNa(na, &notes)
	if m > 11 {
		m = m + 1.32*(137-na) - 0.033*m*(137-na)
	} else {
		notes = append(notes, "MELD(i) ≤ 11: no sodium term")
	}
	return capMELD(twin.Round(m, 0), &notes), notes
}

// MELD3 is MELD 3.0 (Kim WR et al., Gastroenterology 2021;161:1887; OPTN
// policy since July 2023): 1.33 × female + 4.56 ln(bili) + 0.82 (137 − Na)
// − 0.24 (137 − Na) ln(bili) + 9.09 ln(INR) + 11.14 ln(Cr) + 1.85 (3.5 −
// albumin) − 1.83 (3.5 − albumin) ln(Cr) + 6, with bilirubin, INR and
// creatinine at least 1.0, creatinine at most 3.0 (3.0 on dialysis), sodium
// bounded to 125-137 and albumin to 1.5-3.5 g/dL; rounded to an integer,
// capped at 40.
func MELD3(female bool, bili, inr, cr, na, alb float64, dialysis bool) (float64, []string) {
	bili, inr, cr, notes := meldLabs(bili, inr, cr, meld3CrCap, dialysis)
	na = clampNa(na, &notes)
	switch a := q(alb); {
	case a < meld3AlbLow:
		notes = append(notes, "albumin below 1.5 set to 1.5")
		alb = meld3AlbLow
	case a > meld3AlbHigh:
		notes = append(notes, "albumin above 3.5 set to 3.5")
		alb = meld3AlbHigh
	}
	f := 0.0
	if female {
		f = 1
	}
	lb, lc := math.Log(bili), math.Log(cr)
	v := 1.33*f + 4.56*lb + 0.82*(137-na) - 0.24*(137-na)*lb + 9.09*math.Log(inr) +
		11.14*lc + 1.85*(3.5-alb) - 1.83*(3.5-alb)*lc + 6
	return capMELD(twin.Round(v, 0), &notes), notes
}

// MELDCategory is the 3-month mortality stratum of Wiesner 2003 (MELD < 10,
// 10-19, 20-29, 30-39, ≥ 40), used for MELD, MELD-Na and MELD 3.0 alike.
func MELDCategory(v float64) string {
	switch {
	case v < 10:
		return "<10"
	case v < 20:
		return "10-19"
	case v < 30:
		return "20-29"
	case v < 40:
		return "30-39"
	}
	return "≥40"
}

// ALBI is the albumin-bilirubin score: 0.66 × log10(bilirubin µmol/L) −
// 0.085 × albumin g/L, rounded to two decimals. Johnson PJ et al., J Clin
// Oncol 2015;33:550-558.
func ALBI(biliUmolL, albGL float64) float64 {
	return twin.Round(0.66*math.Log10(biliUmolL)-0.085*albGL, 2)
}

// ALBIGrade: grade 1 ≤ −2.60, grade 2 > −2.60 and ≤ −1.39, grade 3 > −1.39
// (Johnson 2015), on the rounded score.
func ALBIGrade(v float64) string {
	switch v = q(v); {
	case v <= -2.60:
		return "grade 1"
	case v <= -1.39:
		return "grade 2"
	}
	return "grade 3"
}

// NFS is the NAFLD fibrosis score: −1.675 + 0.037 × age + 0.094 × BMI +
// 1.13 × IFG/diabetes + 0.99 × AST/ALT − 0.013 × platelets − 0.66 ×
// albumin (g/dL), rounded to three decimals. Angulo P et al., Hepatology
// 2007;45:846-854.
func NFS(age, bmi float64, ifgDiabetes bool, ast, alt, platelets, albGdL float64) float64 {
	d := 0.0
	if ifgDiabetes {
		d = 1
	}
	return twin.Round(-1.675+0.037*age+0.094*bmi+1.13*d+0.99*ast/alt-0.013*platelets-0.66*albGdL, 3)
}

// NFSCategory: < −1.455 low, > 0.676 high (Angulo 2007); from age 65 the
// low cut-off is 0.12 (McPherson 2017).
func NFSCategory(v float64, age int) string {
	low := -1.455
	if age >= 65 {
		low = 0.12
	}
	return band(v, low, 0.676)
}

// Child-Pugh points (Pugh RN et al., Br J Surg 1973;60:646, with INR in
// place of prothrombin-time prolongation as in current practice, e.g.
// EASL 2018 guideline): bilirubin < 2 / 2-3 / > 3 mg/dL; albumin > 3.5 /
// 2.8-3.5 / < 2.8 g/dL; INR < 1.7 / 1.7-2.3 / > 2.3; ascites none /
// mild / moderate-severe; encephalopathy none / grade 1-2 / grade 3-4.
func ChildPughBilirubin(v float64) float64 { return pts3(q(v) < 2, q(v) <= 3) }

// ChildPughAlbumin returns the albumin points.
func ChildPughAlbumin(v float64) float64 { return pts3(q(v) > 3.5, q(v) >= 2.8) }

// ChildPughINR returns the INR points.
func ChildPughINR(v float64) float64 { return pts3(q(v) < 1.7, q(v) <= 2.3) }

func pts3(one, two bool) float64 {
	switch {
	case one:
		return 1
	case two:
		return 2
	}
	return 3
}

// ChildPughClass: A 5-6, B 7-9, C 10-15.
func ChildPughClass(total float64) string {
	switch {
	case total <= 6:
		return "A"
	case total <= 9:
		return "B"
	}
	return "C"
}
