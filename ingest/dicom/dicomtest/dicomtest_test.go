package dicomtest

import (
	"testing"

	"github.com/medtwin/medtwin/ingest/dicom"
	"github.com/medtwin/medtwin/internal/testdata"
)

func TestClone(t *testing.T) {
	src := testdata.Path(t, "dicom", "basic", "CT_small.dcm")
	paths, err := WriteSeries(t.TempDir(), []string{src}, 3, 2)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	var studies []string
	for _, p := range paths {
		in, err := dicom.ReadInstance(p)
		if err != nil {
			t.Fatal(err)
		}
		if seen[in.SOPInstanceUID] {
			t.Errorf("SOP Instance UID repeated")
		}
		seen[in.SOPInstanceUID] = true
		studies = append(studies, in.StudyInstanceUID+"|"+in.Patient.ID)
	}
	if studies[0] != studies[1] || studies[1] == studies[2] {
		t.Errorf("studies: %v", studies)
	}
}
