package timeline

import (
	"fmt"
	"sort"
	"strings"
)

// Code vocabularies, the first part of a `VOCAB//CODE[//QUALIFIER]` code.
const (
	VocabLOINC   = "LOINC"
	VocabSNOMED  = "SNOMED"
	VocabICD10CM = "ICD10CM"
	VocabRxNorm  = "RXNORM"
	VocabATC     = "ATC"
	VocabGene    = "GENE"
	VocabImaging = "IMAGING"
)

// Code joins vocabulary and code parts with "//".
func Code(vocab string, parts ...string) string {
	return vocab + "//" + strings.Join(parts, "//")
}

// SplitCode returns the vocabulary and the remaining parts of a code.
func SplitCode(code string) (vocab string, parts []string) {
	all := strings.Split(code, "//")
	return all[0], all[1:]
}

// Concept is a clinical quantity the twins read, whatever code reports it.
type Concept struct {
	Name      string  // stable identifier, e.g. "bilirubin"
	Display   string  // human name
	Unit      string  // UCUM unit the twins read it in
	Kind      Kind    // kind an adapter should give it when the source does not say
	MolarMass float64 // g/mol of what the concept unit measures; 0 when not convertible
}

// CodeInfo describes one code of the built-in table.
type CodeInfo struct {
	Code      string // VOCAB//CODE
	Concept   string // Concept.Name
	Unit      string // unit values under this code are stored in
	Display   string
	MolarMass float64 // g/mol of what this code's mass unit measures
}

// CodeTable maps codes to concepts and converts units. A table is immutable
// once built and safe for concurrent use.
type CodeTable struct {
	concepts map[string]Concept
	codes    map[string]CodeInfo
	byConcpt map[string][]string
	sets     map[string]*codeSet
}

// NewCodeTable builds a table from concepts and codes. Every code must name
// a known concept and a known unit.
func NewCodeTable(concepts []Concept, codes []CodeInfo) (*CodeTable, error) {
	t := &CodeTable{
		concepts: make(map[string]Concept, len(concepts)),
		codes:    make(map[string]CodeInfo, len(codes)),
		byConcpt: make(map[string][]string),
	}
	for _, c := range concepts {
		if _, dup := t.concepts[c.Name]; dup {
			return nil, fmt.Errorf("timeline: concept %q defined twice", c.Name)
		}
		if !dimensionless(c.Unit) {
			if _, ok := lookupUnit(c.Unit); !ok {
				return nil, fmt.Errorf("timeline: concept %q: unit %q: %w", c.Name, c.Unit, ErrUnknownUnit)
			}
		}
		t.concepts[c.Name] = c
	}
	for _, ci := range codes {
		if _, ok := t.concepts[ci.Concept]; !ok {
			return nil, fmt.Errorf("timeline: code %q: unknown concept %q", ci.Code, ci.Concept)
		}
		if _, dup := t.codes[ci.Code]; dup {
			return nil, fmt.Errorf("timeline: code %q defined twice", ci.Code)
		}
		if !dimensionless(ci.Unit) {
			if _, ok := lookupUnit(ci.Unit); !ok {
				return nil, fmt.Errorf("timeline: code %q: unit %q: %w", ci.Code, ci.Unit, ErrUnknownUnit)
			}
		}
		t.codes[ci.Code] = ci
		t.byConcpt[ci.Concept] = append(t.byConcpt[ci.Concept], ci.Code)
	}
	return t, nil
}

// Lookup returns the table's entry for a code.
func (t *CodeTable) Lookup(code string) (CodeInfo, bool) {
	ci, ok := t.codes[code]
	return ci, ok
}

// Concept returns a concept by name.
func (t *CodeTable) Concept(name string) (Concept, bool) {
	c, ok := t.concepts[name]
	return c, ok
}

// ConceptOf returns the concept a code reports.
func (t *CodeTable) ConceptOf(code string) (Concept, bool) {
	ci, ok := t.codes[code]
	if !ok {
		return Concept{}, false
	}
	return t.concepts[ci.Concept], true
}

// CodesOf returns the codes that report a concept, in table order.
func (t *CodeTable) CodesOf(concept string) []string {
	return append([]string(nil), t.byConcpt[concept]...)
}

// Concepts returns every concept name, sorted.
func (t *CodeTable) Concepts() []string {
	out := make([]string, 0, len(t.concepts))
	for n := range t.concepts {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// Codes returns every code of the table, sorted.
func (t *CodeTable) Codes() []CodeInfo {
	out := make([]CodeInfo, 0, len(t.codes))
	for _, c := range t.codes {
		out = append(out, c)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Code < out[j].Code })
	return out
}

// Normalize converts a value reported under code in unit into the code's
// stored unit. Codes outside the table keep their value; their unit is
// returned in canonical UCUM spelling when known, as given otherwise. For a
// code in the table, a unit that cannot be converted is an ErrUnknownUnit.
func (t *CodeTable) Normalize(code string, v float64, unit string) (float64, string, error) {
	ci, ok := t.codes[code]
	if !ok {
		if d, ok := lookupUnit(unit); ok {
			return v, d.ucum, nil
		}
		return v, strings.TrimSpace(unit), nil
	}
	out, err := convert(v, unit, ci.MolarMass, ci.Unit, ci.MolarMass)
	if err != nil {
		return 0, "", fmt.Errorf("code %s: %w", code, err)
	}
	return out, ci.Unit, nil
}

// ToConcept converts a value stored under code (in the code's unit, or in
// unit when given) into its concept's unit. ok is false for codes outside
// the table.
func (t *CodeTable) ToConcept(code string, v float64, unit string) (concept string, out float64, err error) {
	ci, ok := t.codes[code]
	if !ok {
		return "", 0, fmt.Errorf("code %s: not in the code table", code)
	}
	c := t.concepts[ci.Concept]
	if unit == "" {
		unit = ci.Unit
	}
	out, err = convert(v, unit, ci.MolarMass, c.Unit, c.MolarMass)
	if err != nil {
		return "", 0, fmt.Errorf("code %s: %w", code, err)
	}
	return c.Name, out, nil
}

// ConvertUnit converts v between two units of the same dimension (no molar
// bridge). It is what callers use for units outside the code table.
func ConvertUnit(v float64, from, to string) (float64, error) {
	return convert(v, from, 0, to, 0)
}

var dimensionlessUnits = map[string]bool{
	"": true, "1": true, "{inr}": true, "inr": true, "{ratio}": true, "ratio": true,
	"{score}": true, "score": true, "[ph]": true, "ph": true, "{index}": true,
}

func dimensionless(u string) bool { return dimensionlessUnits[cleanUnit(u)] }

func convert(v float64, from string, fromMolar float64, to string, toMolar float64) (float64, error) {
	if dimensionless(to) {
		if dimensionless(from) {
			return v, nil
		}
		return 0, fmt.Errorf("unit %q for a dimensionless quantity: %w", from, ErrUnknownUnit)
	}
	fd, ok := lookupUnit(from)
	if !ok {
		return 0, fmt.Errorf("unit %q: %w", from, ErrUnknownUnit)
	}
	td, ok := lookupUnit(to)
	if !ok {
		return 0, fmt.Errorf("unit %q: %w", to, ErrUnknownUnit)
	}
	if fd == td && (fromMolar == toMolar || fromMolar == 0 || toMolar == 0) {
		return v, nil // the same unit: the value exactly as given
	}
	base := v*fd.factor + fd.offset
	switch {
	case fd.dim == td.dim:
	case fd.dim == dimMassConc && td.dim == dimMolarConc && fromMolar > 0:
		base /= fromMolar
	case fd.dim == dimMolarConc && td.dim == dimMassConc && toMolar > 0:
		base *= toMolar
	case fd.dim == dimHbA1cIFCC && td.dim == dimFraction:
		// NGSP % = 0.09148 × IFCC mmol/mol + 2.152 (IFCC–NGSP master
		// equation, Hoelzel et al., Clin Chem 2004;50:166).
		base = (0.09148*v + 2.152) * 0.01
	case fd.dim == dimFraction && td.dim == dimHbA1cIFCC:
		base = (base*100 - 2.152) / 0.09148
		return base, nil
	default:
		return 0, fmt.Errorf("unit %q cannot be converted to %q: %w", from, to, ErrUnknownUnit)
	}
	if fd.dim == dimMassConc && td.dim == dimMassConc && fromMolar > 0 && toMolar > 0 && fromMolar != toMolar {
		// Same dimension but different analytes' masses (urea vs urea nitrogen).
		base = base / fromMolar * toMolar
	}
	return (base - td.offset) / td.factor, nil
}
