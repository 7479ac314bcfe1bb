package vcf

import (
	"bytes"
	"fmt"
	"math"
)

// Call is one sample's values at a record, parsed from its FORMAT fields.
// Its byte slices point into the reader's buffer.
type Call struct {
	// GT is the genotype as written ("" when the record has no GT).
	GT []byte
	// Alleles are the allele indexes of the genotype, -1 for a missing
	// call ("."); empty without GT.
	Alleles []int
	// Phased is true when every allele separator is "|" (and, for VCF 4.4
	// explicit phasing, the leading one too).
	Phased bool
	// AD are the allele depths (REF first), -1 for missing; nil without AD.
	AD []int32
	// DP is the read depth, -1 when missing.
	DP int32
	// AF are the per-ALT allele fractions (FORMAT AF, or FA as MuTect
	// writes it), NaN for missing; nil without them.
	AF []float64
	// FT is the per-sample filter, nil when absent.
	FT []byte
	// Tier1 are Strelka's tier-1 counts of A, C, G, T (AU, CU, GU, TU), -1
	// when absent; TAR/TIR its tier-1 indel counts (reference / indel), -1
	// when absent.
	Tier1    [4]int32
	TAR, TIR int32
}

// Ploidy returns the number of alleles in the genotype.
func (c *Call) Ploidy() int { return len(c.Alleles) }

// Dosage returns how many copies of allele a the genotype has and whether
// every allele was called.
func (c *Call) Dosage(a int) (n int, complete bool) {
	complete = len(c.Alleles) > 0
	for _, x := range c.Alleles {
		switch {
		case x < 0:
			complete = false
		case x == a:
			n++
		}
	}
	return n, complete
}

// Called reports whether at least one allele of the genotype was called.
func (c *Call) Called() bool {
	for _, x := range c.Alleles {
		if x >= 0 {
			return true
		}
	}
	return false
}

// formatCache holds the parsed FORMAT column of the last record (most files
// repeat one FORMAT on every line).
type formatCache struct {
	raw  []byte
	keys [][]byte
	defs []*Def
	// Indexes of the keys this reader interprets (-1 when absent).
	gt, ad, dp, af, fa, ft, tar, tir int
	tier                             [4]int
}

func (fc *formatCache) load(h *Header, format []byte) {
	if fc.raw != nil && bytes.Equal(fc.raw, format) {
		return
	}
	fc.raw = append(fc.raw[:0], format...)
	if fc.raw == nil {
		fc.raw = []byte{}
	}
	fc.keys = fc.keys[:0]
	fc.defs = fc.defs[:0]
	fc.gt, fc.ad, fc.dp, fc.af, fc.fa, fc.ft, fc.tar, fc.tir = -1, -1, -1, -1, -1, -1, -1, -1
	fc.tier = [4]int{-1, -1, -1, -1}
	if len(fc.raw) == 1 && fc.raw[0] == '.' {
		return
	}
	for i, k := range bytes.Split(fc.raw, []byte{':'}) {
		fc.keys = append(fc.keys, k)
		fc.defs = append(fc.defs, h.Formats[string(k)])
		switch string(k) {
		case "GT":
			fc.gt = i
		case "AD":
			fc.ad = i
		case "DP":
			fc.dp = i
		case "AF":
			fc.af = i
		case "FA":
			fc.fa = i
		case "FT":
			fc.ft = i
		case "TAR":
			fc.tar = i
		case "TIR":
			fc.tir = i
		case "AU":
			fc.tier[0] = i
		case "CU":
			fc.tier[1] = i
		case "GU":
			fc.tier[2] = i
		case "TU":
			fc.tier[3] = i
		}
	}
}

// Call parses sample i (0-based) into c. A value that does not fit its
// FORMAT definition's Type, a malformed GT or one naming an allele the
// record lacks, or more values than FORMAT keys, is a *LineError naming the
// sample by its column number (not its name) and the key.
func (r *Record) Call(i int, c *Call) error {
	c.GT, c.Alleles, c.Phased = nil, c.Alleles[:0], false
	c.AD, c.AF, c.FT = c.AD[:0], c.AF[:0], nil
	c.DP, c.TAR, c.TIR = -1, -1, -1
	c.Tier1 = [4]int32{-1, -1, -1, -1}
	hasAD, hasAF := false, false
	if r.Format == nil || i >= len(r.Samples) {
		c.AD, c.AF = nil, nil
		return nil
	}
	fc := r.fc
	fc.load(r.h, r.Format)
	s := r.Samples[i]
	if len(s) == 1 && s[0] == '.' {
		s = nil // every value missing
	}
	bad := func(k int, err error) error {
		key := "?"
		if k < len(fc.keys) {
			key = string(fc.keys[k])
		}
		return &LineError{Line: r.Line, Field: fmt.Sprintf("sample %d FORMAT/%s", i+1, key), Err: err}
	}
	for k := 0; len(s) > 0 || k == 0 && s != nil; k++ {
		v := s
		if j := bytes.IndexByte(s, ':'); j >= 0 {
			v, s = s[:j], s[j+1:]
		} else {
			s = nil
		}
		if k >= len(fc.keys) {
			return bad(k, ErrSample)
		}
		if d := fc.defs[k]; d != nil && d.Type != TypeString && len(v) > 0 {
			if _, err := checkValues(d.Type, v); err != nil {
				return bad(k, err)
			}
		}
		missing := len(v) == 0 || len(v) == 1 && v[0] == '.'
		switch k {
		case fc.gt:
			c.GT = v
			if err := parseGT(v, len(r.Alts), c); err != nil {
				return bad(k, err)
			}
		case fc.ad:
			if !missing {
				hasAD = true
				c.AD = appendInts(c.AD, v)
			}
		case fc.dp:
			if !missing {
				if n, ok := parseInt32(v); ok {
					c.DP = n
				}
			}
		case fc.af:
			if !missing {
				hasAF = true
				c.AF = appendFloats(c.AF[:0], v)
			}
		case fc.fa:
			if !missing && !hasAF {
				hasAF = true
				c.AF = appendFloats(c.AF[:0], v)
			}
		case fc.ft:
			if !missing {
				c.FT = v
			}
		case fc.tar:
			c.TAR = firstInt(v)
		case fc.tir:
			c.TIR = firstInt(v)
		default:
			for b, t := range fc.tier {
				if k == t {
					c.Tier1[b] = firstInt(v)
				}
			}
		}
		if s == nil {
			break
		}
	}
	if !hasAD {
		c.AD = nil
	}
	if !hasAF {
		c.AF = nil
	}
	return nil
}

// parseGT parses a genotype: alleles separated by / or |, each an index or
// ".", with VCF 4.4's optional leading phase indicator.
func parseGT(v []byte, nalt int, c *Call) error {
	if len(v) == 0 {
		return nil
	}
	phased := true
	i := 0
	if v[0] == '/' || v[0] == '|' {
		phased = v[0] == '|'
		i = 1
	}
	seps := 0
	for {
		if i >= len(v) {
			return fmt.Errorf("%w: allele missing", ErrGenotype)
		}
		if v[i] == '.' {
			c.Alleles = append(c.Alleles, -1)
			i++
		} else {
			start := i
			n := 0
			for i < len(v) && v[i] >= '0' && v[i] <= '9' && i-start < 6 {
				n = n*10 + int(v[i]-'0')
				i++
			}
			if i == start {
				return fmt.Errorf("%w: not an allele index", ErrGenotype)
			}
			if n > nalt {
				return fmt.Errorf("%w: allele %d, but the record has %d ALT", ErrGenotype, n, nalt)
			}
			c.Alleles = append(c.Alleles, n)
		}
		if i == len(v) {
			break
		}
		switch v[i] {
		case '|':
		case '/':
			phased = false
		default:
			return fmt.Errorf("%w: bad separator", ErrGenotype)
		}
		seps++
		i++
	}
	c.Phased = phased && (seps > 0 || v[0] == '|')
	return nil
}

func appendInts(dst []int32, v []byte) []int32 {
	for {
		x := v
		j := bytes.IndexByte(v, ',')
		if j >= 0 {
			x = v[:j]
		}
		n, ok := parseInt32(x)
		if !ok {
			n = -1
		}
		dst = append(dst, n)
		if j < 0 {
			return dst
		}
		v = v[j+1:]
	}
}

func appendFloats(dst []float64, v []byte) []float64 {
	for {
		x := v
		j := bytes.IndexByte(v, ',')
		if j >= 0 {
			x = v[:j]
		}
		f, ok := parseFloat(x)
		if !ok {
			f = math.NaN()
		}
		dst = append(dst, f)
		if j < 0 {
			return dst
		}
		v = v[j+1:]
	}
}

func firstInt(v []byte) int32 {
	if j := bytes.IndexByte(v, ','); j >= 0 {
		v = v[:j]
	}
	if n, ok := parseInt32(v); ok {
		return n
	}
	return -1
}

// AlleleFraction returns the fraction of reads supporting ALT allele a
// (1-based) in a call: FORMAT AF (or FA) when given, else from AD
// (AD[a] / sum of AD), else from Strelka's tier-1 counts (SNVs: the ALT
// base's count over the four bases; indels: TIR / (TAR + TIR)). NaN when
// none applies. alt is the ALT allele's sequence.
func (c *Call) AlleleFraction(a int, alt []byte) float64 {
	if a >= 1 && a <= len(c.AF) && !math.IsNaN(c.AF[a-1]) {
		return c.AF[a-1]
	}
	if a < len(c.AD) && c.AD[a] >= 0 {
		var sum int64
		for _, d := range c.AD {
			if d < 0 {
				sum = -1
				break
			}
			sum += int64(d)
		}
		if sum > 0 {
			return float64(c.AD[a]) / float64(sum)
		}
	}
	if len(alt) == 1 {
		if b := baseIndex(alt[0]); b >= 0 && c.Tier1[b] >= 0 {
			var sum int64
			for _, n := range c.Tier1 {
				if n > 0 {
					sum += int64(n)
				}
			}
			if sum > 0 {
				return float64(c.Tier1[b]) / float64(sum)
			}
		}
	}
	if c.TIR >= 0 && c.TAR >= 0 && c.TIR+c.TAR > 0 {
		return float64(c.TIR) / float64(c.TIR+c.TAR)
	}
	return math.NaN()
}

// AltDepth returns the reads supporting ALT allele a (AD, or Strelka's
// tier-1 counts), -1 when unknown.
func (c *Call) AltDepth(a int, alt []byte) int32 {
	if a < len(c.AD) {
		return c.AD[a]
	}
	if len(alt) == 1 {
		if b := baseIndex(alt[0]); b >= 0 {
			return c.Tier1[b]
		}
	}
	if c.TIR >= 0 {
		return c.TIR
	}
	return -1
}

// Depth returns DP, else the sum of AD, else -1.
func (c *Call) Depth() int32 {
	if c.DP >= 0 {
		return c.DP
	}
	if len(c.AD) > 0 {
		var sum int64
		for _, d := range c.AD {
			if d < 0 {
				return -1
			}
			sum += int64(d)
		}
		if sum <= math.MaxInt32 {
			return int32(sum)
		}
	}
	return -1
}

func baseIndex(b byte) int {
	switch b | 0x20 {
	case 'a':
		return 0
	case 'c':
		return 1
	case 'g':
		return 2
	case 't':
		return 3
	}
	return -1
}
