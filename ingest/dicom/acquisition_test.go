package dicom

import "testing"

func TestAcquisitionSettings(t *testing.T) {
	got := acquisitionSettings(&Instance{InstitutionName: " General Hospital ", ManufacturerModel: "SOMATOM X", StationName: "CT2"})
	if want := `{"institution":"General Hospital","model":"SOMATOM X","station":"CT2"}`; got != want {
		t.Errorf("got %s, want %s", got, want)
	}
	if got := acquisitionSettings(&Instance{}); got != "" {
		t.Errorf("nothing named: %q", got)
	}
}
