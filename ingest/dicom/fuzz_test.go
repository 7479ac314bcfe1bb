package dicom

import (
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/medtwin/medtwin/internal/testdata"
)

// FuzzDICOMMeta fuzzes the metadata path: header parsing, fragment walking,
// instance extraction, report and segmentation parsing. It calls the
// unguarded internals, so a panic the guard would turn into an error still
// fails the fuzzer. Seeded from the shared test files (their first 32 KiB)
// and from files built here.
func FuzzDICOMMeta(f *testing.F) {
	if root := testdata.Root(); root != "" {
		filepath.WalkDir(filepath.Join(root, "dicom"), func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || filepath.Ext(p) == ".md" {
				return nil
			}
			b, err := os.ReadFile(p)
			if err == nil {
				f.Add(b[:min(len(b), 32<<10)])
			}
			return nil
		})
	}
	f.Add(dicomdir([]string{"A", "B"}))
	f.Add(fileWith("1.2.840.10008.5.1.4.1.1.2", "1.2.3", element(TagPatientID, "LO", []byte("P")),
		element(TagStudyInstanceUID, "UI", []byte("1.2")), element(TagSeriesInstanceUID, "UI", []byte("1.2.1")),
		element(TagSOPInstanceUID, "UI", []byte("1.2.3"))))
	f.Fuzz(func(t *testing.T, b []byte) {
		var r Reader
		file, err := r.read(bytes.NewReader(b), int64(len(b)), "fuzz")
		if err != nil {
			return
		}
		if file.pixel.undefined {
			fragmentsOf(bytes.NewReader(b), file)
		}
		for _, e := range file.Dataset.Elements {
			file.Dataset.String(e.Tag)
			file.Dataset.Floats(e.Tag)
		}
		in, err := NewInstance(file, "fuzz")
		if err != nil {
			return
		}
		in.StudyTime()
		if rep, err := ParseReport(file, in); err == nil {
			rep.Lesions()
			for i := range rep.Measurements {
				rep.Measurements[i].TimelineCode()
			}
		}
		if seg, err := NewSegmentation(file, in); err == nil {
			seg.References()
		}
		GroupSeries([]*Instance{in})
	})
}
