// Package samples links the sample names of genomic files (VCF sample
// columns, MAF Tumor_Sample_Barcode) to patients.
//
// Linking is explicit (DESIGN.md §1), in this order:
//
//  1. the sample manifest (`medtwin ingest --samples manifest.csv`), a CSV
//     file with a header naming the columns sample, system, value and
//     optionally collected, tissue, tumor_normal, in any order. Each row
//     gives one identifier (system, value) of the patient the sample comes
//     from; several rows for one sample give several identifiers of that
//     patient (and link them: they are one patient). collected is the
//     sample's collection date or time (RFC 3339 or YYYY-MM-DD, UTC): it
//     becomes the time of the sample's variant events, which are static
//     (null time) without it. tumor_normal (tumor, tumour, t, somatic /
//     normal, n, germline) says whether the sample's variants are somatic or
//     germline. Lines starting with # are comments. A malformed manifest
//     stops the run with the manifest line at fault.
//  2. without a manifest row, --sample-system SYSTEM: the sample name is
//     the value of an identifier of that system (e.g. the VCF sample name
//     is the MRN).
//  3. otherwise the sample is unlinked. Its variants are not dropped: they
//     go to a patient of their own, identified by the sample name in the
//     system "<format>-sample:<file name>" (vcf-sample:tumor.vcf.gz), so
//     that the same sample name in two files is never taken for one
//     patient. The file's report counts unlinked samples under
//     "samples-unlinked", and a later explicit link (medtwin's identifier
//     linking, or re-ingesting with a manifest) merges that patient into
//     the right one without losing anything.
//
// Manifest entries apply to every file of the run whose sample has that
// name.
package samples

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/medtwin/medtwin/ingest"
	"github.com/medtwin/medtwin/timeline"
)

// ErrManifest: the sample manifest breaks a rule (the error says which, and
// where).
var ErrManifest = errors.New("samples: bad manifest")

// Origins of a sample's variants.
const (
	Germline = "germline"
	Somatic  = "somatic"
)

// Entry is what the manifest says about one sample.
type Entry struct {
	Sample    string
	IDs       []timeline.Identifier
	Collected time.Time
	Tissue    string
	Origin    string // Somatic, Germline or "" (not stated)
}

// Manifest maps sample names to entries.
type Manifest struct {
	entries map[string]*Entry
}

// Lookup returns the entry of a sample.
func (m *Manifest) Lookup(sample string) (*Entry, bool) {
	if m == nil {
		return nil, false
	}
	e, ok := m.entries[sample]
	return e, ok
}

// Len returns the number of samples.
func (m *Manifest) Len() int {
	if m == nil {
		return 0
	}
	return len(m.entries)
}

// LoadManifest reads a manifest file.
func LoadManifest(path string) (*Manifest, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("samples: %w", err)
	}
	defer f.Close()
	return ParseManifest(f, filepath.Base(path))
}

var manifestColumns = map[string]bool{"sample": true, "system": true, "value": true, "collected": true, "tissue": true, "tumor_normal": true}

// ParseManifest reads a manifest; name locates errors.
func ParseManifest(r io.Reader, name string) (*Manifest, error) {
	cr := csv.NewReader(r)
	cr.Comment = '#'
	cr.TrimLeadingSpace = true
	cr.ReuseRecord = true
	bad := func(line int, format string, args ...any) error {
		return fmt.Errorf("%w: %s: line %d: %s", ErrManifest, name, line, fmt.Sprintf(format, args...))
	}
	header, err := cr.Read()
	if err == io.EOF {
		return nil, fmt.Errorf("%w: %s: empty (want a header sample,system,value[,collected,tissue,tumor_normal])", ErrManifest, name)
	}
	if err != nil {
		return nil, manifestCSVError(name, err)
	}
	col := map[string]int{}
	for i, h := range header {
		h = strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))
		if !manifestColumns[h] {
			return nil, bad(1, "unknown column %q (want sample, system, value, collected, tissue, tumor_normal)", h)
		}
		if _, dup := col[h]; dup {
			return nil, bad(1, "column %q twice", h)
		}
		col[h] = i
	}
	for _, c := range []string{"sample", "system", "value"} {
		if _, ok := col[c]; !ok {
			return nil, bad(1, "no %q column", c)
		}
	}
	get := func(rec []string, c string) string {
		if i, ok := col[c]; ok {
			return strings.TrimSpace(rec[i])
		}
		return ""
	}
	m := &Manifest{entries: map[string]*Entry{}}
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, manifestCSVError(name, err)
		}
		line, _ := cr.FieldPos(0)
		if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
			continue
		}
		sample, system, value := get(rec, "sample"), get(rec, "system"), get(rec, "value")
		for c, v := range map[string]string{"sample": sample, "system": system, "value": value} {
			if v == "" {
				return nil, bad(line, "column %s: empty", c)
			}
		}
		e := m.entries[sample]
		if e == nil {
			e = &Entry{Sample: sample}
			m.entries[sample] = e
		}
		id := timeline.Identifier{System: system, Value: value}
		known := false
		for _, x := range e.IDs {
			known = known || x == id
		}
		if !known {
			e.IDs = append(e.IDs, id)
		}
		if s := get(rec, "collected"); s != "" {
			t, err := ParseTime(s)
			if err != nil {
				return nil, bad(line, "column collected: %v", err)
			}
			if !e.Collected.IsZero() && !e.Collected.Equal(t) {
				return nil, bad(line, "column collected: differs from an earlier row of the same sample")
			}
			e.Collected = t
		}
		if s := get(rec, "tissue"); s != "" {
			if e.Tissue != "" && e.Tissue != s {
				return nil, bad(line, "column tissue: differs from an earlier row of the same sample")
			}
			e.Tissue = s
		}
		if s := get(rec, "tumor_normal"); s != "" {
			o, err := ParseOrigin(s)
			if err != nil {
				return nil, bad(line, "column tumor_normal: %v", err)
			}
			if e.Origin != "" && e.Origin != o {
				return nil, bad(line, "column tumor_normal: differs from an earlier row of the same sample")
			}
			e.Origin = o
		}
	}
	return m, nil
}

func manifestCSVError(name string, err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return fmt.Errorf("%w: %s: line %d: %v", ErrManifest, name, pe.Line, pe.Err)
	}
	return fmt.Errorf("%w: %s: %v", ErrManifest, name, err)
}

// ParseTime reads a collection date or time: RFC 3339, or a date
// (YYYY-MM-DD) or date and time without zone, taken as UTC.
func ParseTime(s string) (time.Time, error) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02", "2006-01-02T15:04:05", "2006-01-02 15:04:05"} {
		if t, err := time.ParseInLocation(layout, s, time.UTC); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, errors.New("not a date (want YYYY-MM-DD or RFC 3339)")
}

// ParseOrigin reads a tumor_normal value.
func ParseOrigin(s string) (string, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "tumor", "tumour", "t", "somatic":
		return Somatic, nil
	case "normal", "n", "germline":
		return Germline, nil
	}
	return "", errors.New("want tumor or normal")
}

// UnlinkedSystem is the identifier system of an unlinked sample of a file
// of the given format ("vcf", "maf"): "<format>-sample:<file name>".
func UnlinkedSystem(format, path string) string {
	return format + "-sample:" + filepath.Base(path)
}

// Link is where a sample's variants go.
type Link struct {
	Subject   int64
	Collected time.Time
	Tissue    string
	Origin    string // from the manifest; "" when not stated
	// Linked is false for a sample placed under its file's unlinked
	// namespace.
	Linked bool
}

// Linker resolves sample names to subjects. Not safe for concurrent use.
type Linker struct {
	manifest *Manifest
	system   string
	resolver ingest.Resolver
	cache    map[[2]string]Link
}

// NewLinker returns a linker for a run: it loads the manifest named by
// env.Options.Samples, if any, and uses env.Options.SampleSystem.
func NewLinker(env *ingest.Env) (*Linker, error) {
	l := &Linker{system: env.Options.SampleSystem, resolver: env.Resolver, cache: map[[2]string]Link{}}
	if env.Options.Samples != "" {
		m, err := LoadManifest(env.Options.Samples)
		if err != nil {
			return nil, err
		}
		l.manifest = m
	}
	return l, nil
}

// NewLinkerFrom returns a linker over a parsed manifest (nil for none).
func NewLinkerFrom(m *Manifest, sampleSystem string, r ingest.Resolver) *Linker {
	return &Linker{manifest: m, system: sampleSystem, resolver: r, cache: map[[2]string]Link{}}
}

// Link resolves a sample of a file; unlinked is the system used when
// neither the manifest nor the sample system names it (see UnlinkedSystem).
func (l *Linker) Link(ctx context.Context, sample, unlinked string) (Link, error) {
	ck := [2]string{sample, unlinked}
	if k, ok := l.cache[ck]; ok {
		return k, nil
	}
	var k Link
	var ids []timeline.Identifier
	switch e, ok := l.manifest.Lookup(sample); {
	case ok:
		ids = e.IDs
		k = Link{Collected: e.Collected, Tissue: e.Tissue, Origin: e.Origin, Linked: true}
	case l.system != "":
		ids = []timeline.Identifier{{System: l.system, Value: sample}}
		k.Linked = true
	default:
		ids = []timeline.Identifier{{System: unlinked, Value: sample}}
	}
	s, err := l.resolver.Resolve(ctx, ids...)
	if err != nil {
		return Link{}, fmt.Errorf("samples: resolving a sample's patient: %w", err)
	}
	k.Subject = s
	l.cache[ck] = k
	return k, nil
}
