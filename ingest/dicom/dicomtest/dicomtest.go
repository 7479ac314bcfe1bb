// Package dicomtest makes DICOM fixtures for tests and benchmarks: copies
// of real files with new identities (UIDs, PatientID) rewritten in place,
// byte for byte the same length, so the copies stay valid files.
package dicomtest

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"

	"github.com/medtwin/medtwin/ingest/dicom"
)

// Identity names what a clone changes.
type Identity struct {
	Patient  int // patient number
	Study    int // study number (unique across patients)
	Series   int
	Instance int
}

// Cloner rewrites copies of a source file.
type Cloner struct {
	src    []byte
	fields [][]byte // PatientID, StudyUID, SeriesUID, SOPInstanceUID values as stored
}

// NewCloner reads a source file and locates the values a clone rewrites.
func NewCloner(path string) (*Cloner, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	f, err := dicom.Parse(b, path)
	if err != nil {
		return nil, err
	}
	c := &Cloner{src: b}
	for _, t := range []dicom.Tag{dicom.TagPatientID, dicom.TagStudyInstanceUID, dicom.TagSeriesInstanceUID, dicom.TagSOPInstanceUID} {
		e := f.Dataset.Find(t)
		if e == nil || len(e.Value) < 4 {
			return nil, fmt.Errorf("dicomtest: %s: %s missing or shorter than 4 bytes", path, t)
		}
		c.fields = append(c.fields, append([]byte(nil), e.Value...))
	}
	return c, nil
}

// stamp overwrites the tail of v with n in decimal, keeping its length and
// any trailing padding byte.
func stamp(v []byte, prefix string, n int) []byte {
	out := append([]byte(nil), v...)
	end := len(out)
	for end > 0 && (out[end-1] == 0 || out[end-1] == ' ') {
		end--
	}
	digits := []byte(fmt.Sprintf("%s%0*d", prefix, 7, n))
	if len(digits) > end {
		digits = digits[len(digits)-end:]
	}
	copy(out[end-len(digits):end], digits)
	// A UID component must not start with 0 after a dot: keep the first digit non-zero.
	if i := end - len(digits); i > 0 && out[i-1] == '.' && out[i] == '0' {
		out[i] = '9'
	}
	return out
}

// Clone returns a copy of the source with the given identity. Every
// occurrence of a value (file meta and data set) is rewritten.
func (c *Cloner) Clone(id Identity) []byte {
	out := append([]byte(nil), c.src...)
	repl := [][]byte{
		stamp(c.fields[0], "P", id.Patient),
		stamp(c.fields[1], "1", id.Study),
		stamp(c.fields[2], "2", id.Study*1000+id.Series),
		stamp(c.fields[3], "3", id.Instance),
	}
	for i, old := range c.fields {
		for off := 0; ; {
			j := bytes.Index(out[off:], old)
			if j < 0 {
				break
			}
			copy(out[off+j:], repl[i])
			off += j + len(old)
		}
	}
	return out
}

// WriteSeries writes n clones into dir, cycling through the sources, as
// patients of studyEvery slices each (one study and series per patient).
// It returns the paths written.
func WriteSeries(dir string, sources []string, n, studyEvery int) ([]string, error) {
	var cl []*Cloner
	for _, s := range sources {
		c, err := NewCloner(s)
		if err != nil {
			return nil, err
		}
		cl = append(cl, c)
	}
	if len(cl) == 0 {
		return nil, fmt.Errorf("dicomtest: no source files")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	paths := make([]string, n)
	for i := 0; i < n; i++ {
		p := i / studyEvery
		b := cl[i%len(cl)].Clone(Identity{Patient: p + 1, Study: p + 1, Series: 1, Instance: i + 1})
		paths[i] = filepath.Join(dir, fmt.Sprintf("ct%06d.dcm", i))
		if err := os.WriteFile(paths[i], b, 0o644); err != nil {
			return nil, err
		}
	}
	return paths, nil
}
