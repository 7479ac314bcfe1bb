package timeline

import (
	"strings"
)

// dimension groups units that convert into each other by a factor (and, for
// temperature and HbA1c, an offset).
type dimension uint8

const (
	dimNone          dimension = iota
	dimMassConc                // base g/L
	dimMolarConc               // base mol/L
	dimCountConc               // base /L
	dimCatalytic               // base U/L
	dimArbConc                 // base U/mL (tumour markers reported in kU/L or U/mL)
	dimFraction                // base 1 (%)
	dimTemperature             // base Cel
	dimMass                    // base kg
	dimLength                  // base m
	dimPressure                // base mm[Hg]
	dimRate                    // base /min
	dimDimensionless           // INR, scores: no conversion
	dimBMI                     // kg/m2
	dimHbA1cIFCC               // mmol/mol (IFCC), converted to % by an affine map
	dimHU                      // Hounsfield units
	dimVolume                  // base L
	dimTime                    // base s
)

type unitDef struct {
	ucum   string // canonical UCUM spelling
	dim    dimension
	factor float64 // value in the dimension's base unit = v*factor + offset
	offset float64
}

// units maps normalised spellings (see cleanUnit) to their definitions.
// Synonyms seen in real feeds (Synthea, European lab systems, HL7 v2) are
// listed; anything else is unknown and rejected for codes with a unit.
var units = map[string]unitDef{
	"g/l":   {"g/L", dimMassConc, 1, 0},
	"g/dl":  {"g/dL", dimMassConc, 10, 0},
	"mg/dl": {"mg/dL", dimMassConc, 0.01, 0},
	"mg/l":  {"mg/L", dimMassConc, 0.001, 0},
	"ug/l":  {"ug/L", dimMassConc, 1e-6, 0},
	"ng/ml": {"ng/mL", dimMassConc, 1e-6, 0},
	"ug/dl": {"ug/dL", dimMassConc, 1e-5, 0},
	"ng/l":  {"ng/L", dimMassConc, 1e-9, 0},
	"pg/ml": {"pg/mL", dimMassConc, 1e-9, 0},

	"mol/l":  {"mol/L", dimMolarConc, 1, 0},
	"mmol/l": {"mmol/L", dimMolarConc, 1e-3, 0},
	"meq/l":  {"mmol/L", dimMolarConc, 1e-3, 0}, // monovalent ions (Na, K, Cl)
	"umol/l": {"umol/L", dimMolarConc, 1e-6, 0},
	"nmol/l": {"nmol/L", dimMolarConc, 1e-9, 0},

	"10*9/l":   {"10*9/L", dimCountConc, 1e9, 0},
	"10*3/ul":  {"10*9/L", dimCountConc, 1e9, 0}, // 10^3/µL = 10^9/L
	"10*3/mm3": {"10*9/L", dimCountConc, 1e9, 0},
	"k/ul":     {"10*9/L", dimCountConc, 1e9, 0},
	"thou/ul":  {"10*9/L", dimCountConc, 1e9, 0},
	"x10*9/l":  {"10*9/L", dimCountConc, 1e9, 0},
	"x10*3/ul": {"10*9/L", dimCountConc, 1e9, 0},
	"/nl":      {"10*9/L", dimCountConc, 1e9, 0},
	"/ul":      {"/uL", dimCountConc, 1e6, 0},
	"/mm3":     {"/uL", dimCountConc, 1e6, 0},
	"10*12/l":  {"10*12/L", dimCountConc, 1e12, 0},
	"10*6/ul":  {"10*12/L", dimCountConc, 1e12, 0},

	"u/l":    {"U/L", dimCatalytic, 1, 0},
	"iu/l":   {"U/L", dimCatalytic, 1, 0},
	"ukat/l": {"U/L", dimCatalytic, 60, 0}, // 1 µkat/L = 60 U/L

	"u/ml":  {"U/mL", dimArbConc, 1, 0},
	"ku/l":  {"U/mL", dimArbConc, 1, 0},
	"ku/ml": {"U/mL", dimArbConc, 1000, 0},
	"iu/ml": {"U/mL", dimArbConc, 1, 0},

	"%":       {"%", dimFraction, 0.01, 0},
	"1":       {"1", dimFraction, 1, 0},
	"{ratio}": {"1", dimFraction, 1, 0},

	"cel":    {"Cel", dimTemperature, 1, 0},
	"degc":   {"Cel", dimTemperature, 1, 0},
	"c":      {"Cel", dimTemperature, 1, 0},
	"[degf]": {"[degF]", dimTemperature, 5.0 / 9.0, -32 * 5.0 / 9.0},
	"degf":   {"[degF]", dimTemperature, 5.0 / 9.0, -32 * 5.0 / 9.0},
	"f":      {"[degF]", dimTemperature, 5.0 / 9.0, -32 * 5.0 / 9.0},

	"kg":      {"kg", dimMass, 1, 0},
	"g":       {"g", dimMass, 1e-3, 0},
	"[lb_av]": {"[lb_av]", dimMass, 0.45359237, 0},
	"lb":      {"[lb_av]", dimMass, 0.45359237, 0},
	"lbs":     {"[lb_av]", dimMass, 0.45359237, 0},

	"m":      {"m", dimLength, 1, 0},
	"cm":     {"cm", dimLength, 0.01, 0},
	"mm":     {"mm", dimLength, 0.001, 0},
	"[in_i]": {"[in_i]", dimLength, 0.0254, 0},
	"in":     {"[in_i]", dimLength, 0.0254, 0},

	"mm[hg]": {"mm[Hg]", dimPressure, 1, 0},
	"mmhg":   {"mm[Hg]", dimPressure, 1, 0},
	"kpa":    {"kPa", dimPressure, 7.50061683, 0},

	"/min":          {"/min", dimRate, 1, 0},
	"{beats}/min":   {"/min", dimRate, 1, 0},
	"{breaths}/min": {"/min", dimRate, 1, 0},
	"beats/min":     {"/min", dimRate, 1, 0},
	"breaths/min":   {"/min", dimRate, 1, 0},
	"bpm":           {"/min", dimRate, 1, 0},
	"min-1":         {"/min", dimRate, 1, 0},

	"kg/m2": {"kg/m2", dimBMI, 1, 0},

	"mmol/mol": {"mmol/mol", dimHbA1cIFCC, 1, 0},

	"[hnsf'u]": {"[hnsf'U]", dimHU, 1, 0},
	"hu":       {"[hnsf'U]", dimHU, 1, 0},

	"l":   {"L", dimVolume, 1, 0},
	"ml":  {"mL", dimVolume, 1e-3, 0},
	"cm3": {"mL", dimVolume, 1e-3, 0},
	"mm3": {"mm3", dimVolume, 1e-6, 0},

	"s":   {"s", dimTime, 1, 0},
	"min": {"min", dimTime, 60, 0},
	"h":   {"h", dimTime, 3600, 0},
	"d":   {"d", dimTime, 86400, 0},
}

// unitFolds is immutable (a strings.Replacer is safe for concurrent use);
// building it once keeps cleanUnit off the allocation profile of every
// conversion.
var unitFolds = strings.NewReplacer("µ", "u", "μ", "u", "^", "*", " ", "", "°", "deg", "10E", "10*", "10e", "10*")

// cleanUnit folds the spellings real feeds use onto one key: micro signs to
// "u", "^" to "*", "x10E3" to "10*3", spaces removed, lower case.
func cleanUnit(u string) string {
	u = strings.TrimSpace(u)
	if u == "" {
		return ""
	}
	u = strings.ToLower(unitFolds.Replace(u))
	if strings.HasPrefix(u, "x10*") {
		u = u[1:]
	}
	return u
}

// UnitInfo returns the canonical UCUM spelling of a unit and whether it is
// known.
func UnitInfo(u string) (ucum string, ok bool) {
	d, ok := lookupUnit(u)
	return d.ucum, ok
}

func lookupUnit(u string) (unitDef, bool) {
	c := cleanUnit(u)
	if d, ok := units[c]; ok {
		return d, true
	}
	// "10*9/l" written as "x10*9/l" lost its x in cleanUnit; try once more
	// with annotations such as {cells} removed.
	if i := strings.Index(c, "{"); i >= 0 {
		if j := strings.Index(c[i:], "}"); j > 0 {
			if d, ok := units[c[:i]+c[i+j+1:]]; ok {
				return d, true
			}
		}
	}
	return unitDef{}, false
}
