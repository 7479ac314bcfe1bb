package timeline

import (
	"fmt"
	"sort"
	"strings"
)

// CodeSet is a named group of codes that report one condition, finding,
// procedure, medication class or encounter type: what the twins recognise
// by code rather than by value (ascites, dialysis, pneumonia, nursing-home
// residence, ...). A pattern matches a code exactly or, when it ends in "*",
// by prefix. ICD-10 codes (vocabularies ICD10CM, ICD10 and ICD10PCS) match
// with or without their dot, so ICD10CM//K76.0 and ICD10CM//K760 are one
// code.
type CodeSet struct {
	Name     string // stable identifier, e.g. "ascites"
	Display  string
	Patterns []string
	// Source says where the list comes from (classification chapter, value
	// set, paper), so a reviewer can check and extend it.
	Source string
}

type codeSet struct {
	CodeSet
	exact    map[string]bool
	prefixes []string
}

// normCode folds the spellings of one code onto one key: the dot of ICD-10
// codes is dropped.
func normCode(code string) string {
	vocab, rest, ok := strings.Cut(code, "//")
	if !ok {
		return code
	}
	switch vocab {
	case "ICD10CM", "ICD10", "ICD10PCS":
		return vocab + "//" + strings.ReplaceAll(rest, ".", "")
	}
	return code
}

func compileSet(s CodeSet) (*codeSet, error) {
	if s.Name == "" {
		return nil, fmt.Errorf("timeline: code set without a name")
	}
	if len(s.Patterns) == 0 {
		return nil, fmt.Errorf("timeline: code set %q has no pattern", s.Name)
	}
	c := &codeSet{CodeSet: s, exact: map[string]bool{}}
	for _, p := range s.Patterns {
		if pre, ok := strings.CutSuffix(p, "*"); ok {
			c.prefixes = append(c.prefixes, normCode(pre))
		} else {
			c.exact[normCode(p)] = true
		}
	}
	return c, nil
}

func (c *codeSet) match(code string) bool {
	n := normCode(code)
	if c.exact[n] {
		return true
	}
	for _, p := range c.prefixes {
		if strings.HasPrefix(n, p) {
			return true
		}
	}
	return false
}

// WithSets returns a copy of the table with code sets added. A set whose
// name the table already has is an error.
func (t *CodeTable) WithSets(sets ...CodeSet) (*CodeTable, error) {
	out := *t
	out.sets = make(map[string]*codeSet, len(t.sets)+len(sets))
	for n, s := range t.sets {
		out.sets[n] = s
	}
	for _, s := range sets {
		if _, dup := out.sets[s.Name]; dup {
			return nil, fmt.Errorf("timeline: code set %q defined twice", s.Name)
		}
		c, err := compileSet(s)
		if err != nil {
			return nil, err
		}
		out.sets[s.Name] = c
	}
	return &out, nil
}

// Set returns a code set by name.
func (t *CodeTable) Set(name string) (CodeSet, bool) {
	s, ok := t.sets[name]
	if !ok {
		return CodeSet{}, false
	}
	return s.CodeSet, true
}

// Sets returns every code set name, sorted.
func (t *CodeTable) Sets() []string {
	out := make([]string, 0, len(t.sets))
	for n := range t.sets {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// InSet reports whether code belongs to the named set (false for an
// unknown set).
func (t *CodeTable) InSet(set, code string) bool {
	s, ok := t.sets[set]
	return ok && s.match(code)
}
