package variant

import (
	"strings"
)

// Three-letter amino acid codes (HGVS, IUPAC-IUB), by one-letter code.
var aa3 = [256]string{
	'A': "Ala", 'R': "Arg", 'N': "Asn", 'D': "Asp", 'C': "Cys", 'Q': "Gln", 'E': "Glu",
	'G': "Gly", 'H': "His", 'I': "Ile", 'L': "Leu", 'K': "Lys", 'M': "Met", 'F': "Phe",
	'P': "Pro", 'S': "Ser", 'T': "Thr", 'W': "Trp", 'Y': "Tyr", 'V': "Val", 'U': "Sec",
	'O': "Pyl", 'B': "Asx", 'Z': "Glx", '*': "Ter",
}

var threeLetter = map[string]bool{}

func init() {
	for _, s := range aa3 {
		if s != "" {
			threeLetter[s] = true
		}
	}
	threeLetter["Xaa"] = true
}

// Unescape decodes the percent escapes VEP writes in HGVS strings
// (%3D for "=", %3B for ";", %2C for ",", %25 for "%").
func Unescape(s string) string {
	if strings.IndexByte(s, '%') < 0 {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '%' && i+2 < len(s) {
			if v, ok := unhex(s[i+1], s[i+2]); ok {
				b.WriteByte(v)
				i += 2
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

func unhex(a, b byte) (byte, bool) {
	h := func(c byte) (byte, bool) {
		switch {
		case c >= '0' && c <= '9':
			return c - '0', true
		case c >= 'a' && c <= 'f':
			return c - 'a' + 10, true
		case c >= 'A' && c <= 'F':
			return c - 'A' + 10, true
		}
		return 0, false
	}
	x, ok1 := h(a)
	y, ok2 := h(b)
	return x<<4 | y, ok1 && ok2
}

// StripAccession removes the sequence accession before an HGVS
// description (ENST00000216180.8:c.444C>G → c.444C>G).
func StripAccession(s string) string {
	if i := strings.LastIndexByte(s, ':'); i >= 0 {
		return s[i+1:]
	}
	return s
}

// Protein returns a protein HGVS description in three-letter form, without
// its accession and without the parentheses of a predicted change; "" for
// an empty input. See the package documentation for the conversion rules.
func Protein(s string) string {
	s = StripAccession(Unescape(strings.TrimSpace(s)))
	if s == "" {
		return ""
	}
	if !strings.HasPrefix(s, "p.") {
		// VEP writes a synonymous change as c.516C>T(p.=) in HGVSp.
		if i := strings.Index(s, "(p."); i >= 0 && strings.HasSuffix(s, ")") {
			s = s[i+1 : len(s)-1]
		} else {
			return s
		}
	}
	body := s[2:]
	if len(body) >= 2 && body[0] == '(' && body[len(body)-1] == ')' {
		body = body[1 : len(body)-1]
	}
	if conv, ok := protein3(body); ok {
		return "p." + conv
	}
	return "p." + body
}

// protein3 converts a one-letter protein description (after "p.") to
// three-letter form; ok is false when body is not valid one-letter HGVS
// (three-letter input is returned unchanged with ok true).
func protein3(body string) (string, bool) {
	switch body {
	case "=", "?", "0", "0?":
		return body, true
	}
	if len(body) >= 3 && threeLetter[body[:3]] {
		return body, true
	}
	var b strings.Builder
	b.Grow(len(body) * 2)
	p := hgvsParser{s: body, b: &b}
	// First amino acid and position, optionally a range.
	if !p.aa(false) || !p.digits() {
		return "", false
	}
	if p.lit("_") {
		if !p.aa(false) || !p.digits() {
			return "", false
		}
	}
	switch {
	case p.end():
		return "", false // a position without a change
	case p.lit("delins"), p.lit("ins"):
		if !p.aas() {
			return "", false
		}
	case p.lit("del"), p.lit("dup"), p.lit("?"), p.lit("="):
	case p.lit("fs"):
		p.tail()
	case p.lit("ext"):
		p.tail()
	default:
		// Substitution, possibly followed by fs or ext (p.R97Gfs*12).
		if !p.aa(true) {
			return "", false
		}
		if p.lit("fs") || p.lit("ext") {
			p.tail()
		}
	}
	if !p.end() {
		return "", false
	}
	return b.String(), true
}

type hgvsParser struct {
	s string
	i int
	b *strings.Builder
}

func (p *hgvsParser) end() bool { return p.i == len(p.s) }

func (p *hgvsParser) lit(l string) bool {
	if strings.HasPrefix(p.s[p.i:], l) {
		p.b.WriteString(l)
		p.i += len(l)
		return true
	}
	return false
}

// aa converts one amino acid; stop allows the legacy X for a stop codon.
func (p *hgvsParser) aa(stop bool) bool {
	if p.end() {
		return false
	}
	c := p.s[p.i]
	if stop && c == 'X' {
		p.b.WriteString("Ter")
		p.i++
		return true
	}
	if a := aa3[c]; a != "" {
		p.b.WriteString(a)
		p.i++
		return true
	}
	return false
}

// aas converts a run of one or more amino acids (an inserted sequence).
func (p *hgvsParser) aas() bool {
	n := 0
	for !p.end() && aa3[p.s[p.i]] != "" {
		p.aa(false)
		n++
	}
	return n > 0
}

func (p *hgvsParser) digits() bool {
	start := p.i
	for !p.end() && p.s[p.i] >= '0' && p.s[p.i] <= '9' {
		p.i++
	}
	p.b.WriteString(p.s[start:p.i])
	return p.i > start
}

// tail converts what follows fs or ext: an optional new stop (*, X or Ter)
// or upstream sign, then a count or "?".
func (p *hgvsParser) tail() {
	if !p.lit("Ter") {
		if !p.end() && (p.s[p.i] == '*' || p.s[p.i] == 'X') {
			p.b.WriteString("Ter")
			p.i++
		}
	}
	p.lit("-")
	if !p.digits() {
		p.lit("?")
	}
}
