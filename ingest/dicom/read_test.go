package dicom

import (
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/medtwin/medtwin/internal/testdata"
)

func td(t testing.TB, elem ...string) string {
	t.Helper()
	return testdata.Path(t, append([]string{"dicom"}, elem...)...)
}

// TestTagsMatchDcmdump checks attribute values read by this package against
// DCMTK 3.6.7, recorded with:
//
//	dcmdump -q +P 0010,0020 +P 0020,000d +P 0020,000e +P 0008,0018 +P 0020,0032 \
//	  +P 0020,0037 +P 0028,0030 +P 0028,1052 +P 0028,1053 +P 0008,0060 +P 0008,0070 \
//	  +P 0018,0050 +P 0008,0020 +P 0008,0030 +P 0028,0010 +P 0018,0015 FILE
func TestTagsMatchDcmdump(t *testing.T) {
	type want struct {
		tag Tag
		str string    // expected String() when set
		num []float64 // expected Floats() when set
	}
	cases := []struct {
		file  string
		wants []want
	}{
		{"series/dcm_qa_ct_philips_std_brain_5mm/I10", []want{
			{tag: TagPatientID, str: "PLASTIC"},
			{tag: TagStudyInstanceUID, str: "1.3.46.670589.33.1.27492712521914879309.27169771283235650014"},
			{tag: TagSeriesInstanceUID, str: "1.3.46.670589.33.1.6002432791750815306.26862469513794233732"},
			{tag: TagSOPInstanceUID, str: "1.3.46.670589.33.1.1945709553237662531.30446478581090029189"},
			{tag: TagImagePosition, num: []float64{-115.5, -1.85, 696.21}},
			{tag: TagImageOrientation, num: []float64{1, 0, 0, 0, 1, 0}},
			{tag: TagPixelSpacing, num: []float64{0.451171875, 0.451171875}},
			{tag: TagRescaleIntercept, num: []float64{-1024}},
			{tag: TagRescaleSlope, num: []float64{1}},
			{tag: TagModality, str: "CT"},
			{tag: TagManufacturer, str: "Philips"},
			{tag: TagSliceThickness, num: []float64{5}},
			{tag: TagStudyDate, str: "20150206"},
			{tag: TagStudyTime, str: "092815.672"},
			{tag: TagRows, num: []float64{512}},
			{tag: TagBodyPartExamined, str: "BRAIN"},
		}},
		{"transfer_syntax/MR_small_bigendian.dcm", []want{ // Explicit VR Big Endian
			{tag: TagPatientID, str: "4MR1"},
			{tag: TagSOPInstanceUID, str: "1.3.6.1.4.1.5962.1.1.4.1.1.20040826185059.5457"},
			{tag: TagImagePosition, num: []float64{-83.9063, -91.2, 6.6406}},
			{tag: TagPixelSpacing, num: []float64{0.3125, 0.3125}},
			{tag: TagManufacturer, str: "TOSHIBA_MEC"},
			{tag: TagSliceThickness, num: []float64{0.8}},
			{tag: TagRows, num: []float64{64}},
		}},
		{"series/dcmqi_ct_3slice/01.dcm", []want{ // Implicit VR Little Endian
			{tag: TagPatientID, str: "99000"},
			{tag: TagStudyInstanceUID, str: "1.2.392.200103.20080913.113635.0.2009.6.22.21.43.10.22941.1"},
			{tag: TagImagePosition, num: []float64{-235.199997, -226.800003, -126.690002}},
			{tag: TagPixelSpacing, num: []float64{0.810547, 0.810547}},
			{tag: TagManufacturer, str: "GE MEDICAL SYSTEMS"},
			{tag: TagSliceThickness, num: []float64{1.25}},
			{tag: TagStudyTime, str: "104607"},
		}},
		{"basic/suyashkumar_1_PT.dcm", []want{ // nested icon pixel data; the top-level Rows is 168
			{tag: TagPatientID, str: "ACRIN-FLT-Breast_029"},
			{tag: TagRescaleSlope, num: []float64{9.12329}},
			{tag: TagPixelSpacing, num: []float64{4.07283, 4.07283}},
			{tag: TagManufacturer, str: ""},
			{tag: TagRows, num: []float64{168}},
			{tag: TagStudyTime, str: "145225.546000"},
			{tag: TagBodyPartExamined, str: "BREAST"},
		}},
	}
	for _, c := range cases {
		t.Run(c.file, func(t *testing.T) {
			f, err := ReadFile(td(t, c.file))
			if err != nil {
				t.Fatal(err)
			}
			for _, w := range c.wants {
				if w.num != nil {
					got, ok := f.Dataset.Floats(w.tag)
					if !ok || len(got) != len(w.num) {
						t.Errorf("%s: got %v (ok %v), want %v", w.tag.Locator(), got, ok, w.num)
						continue
					}
					for i := range got {
						if math.Abs(got[i]-w.num[i]) > 1e-9 {
							t.Errorf("%s[%d] = %v, want %v", w.tag.Locator(), i, got[i], w.num[i])
						}
					}
					continue
				}
				if got := f.Dataset.String(w.tag); got != w.str {
					t.Errorf("%s = %q, want %q", w.tag.Locator(), got, w.str)
				}
			}
		})
	}
}

// expectedFailures lists the shared test files that are rejected, with the
// error and tag that say why. Every other file must read.
var expectedFailures = map[string]struct {
	err error
	tag Tag
}{
	"malformed/MR_truncated.dcm":                          {ErrTruncated, TagPixelData},
	"malformed/rtplan_truncated.dcm":                      {ErrTruncated, NewTag(0x300A, 0x00B0)},
	"malformed/emri_small_jpeg_2k_lossless_too_short.dcm": {ErrTruncated, TagPixelData},
	"malformed/no_meta.dcm":                               {ErrNotDICOM, 0},
	"malformed/badVR.dcm":                                 {ErrMalformed, TagNumberOfFrames},
	// Valid encodings without the identity a timeline needs.
	"malformed/ExplVR_BigEndNoMeta.dcm":    {ErrMissingAttribute, TagPatientID},
	"malformed/ExplVR_LitEndNoMeta.dcm":    {ErrMissingAttribute, TagPatientID},
	"malformed/UN_sequence.dcm":            {ErrMissingAttribute, TagStudyInstanceUID},
	"malformed/empty_charset_LEI.dcm":      {ErrMissingAttribute, TagSOPInstanceUID},
	"malformed/meta_missing_tsyntax.dcm":   {ErrMissingAttribute, TagSOPInstanceUID},
	"malformed/nested_priv_SQ.dcm":         {ErrMissingAttribute, TagSOPInstanceUID},
	"malformed/no_meta_group_length.dcm":   {ErrMissingAttribute, TagStudyInstanceUID},
	"malformed/priv_SQ.dcm":                {ErrMissingAttribute, TagStudyInstanceUID},
	"multiframe/emri_small.dcm":            {ErrMissingAttribute, TagPatientID},
	"multiframe/emri_small_RLE.dcm":        {ErrMissingAttribute, TagPatientID},
	"multiframe/emri_small_big_endian.dcm": {ErrMissingAttribute, TagPatientID},
	"sr/report_dfl.dcm":                    {ErrMissingAttribute, TagPatientID},
	"sr/reportsi.dcm":                      {ErrMissingAttribute, TagPatientID},
	"sr/test-SR.dcm":                       {ErrMissingAttribute, TagPatientID},
	"transfer_syntax/ExplVR_BigEnd.dcm":    {ErrMissingAttribute, TagPatientID},
	"transfer_syntax/image_dfl.dcm":        {ErrMissingAttribute, TagPatientID},
}

// TestEveryTestFile reads every shared DICOM file: each reads or fails with
// its expected reason naming the tag.
func TestEveryTestFile(t *testing.T) {
	root := td(t)
	n := 0
	err := filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || strings.HasSuffix(p, ".md") {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		rel = filepath.ToSlash(rel)
		n++
		in, err := ReadInstance(p)
		want, bad := expectedFailures[rel]
		switch {
		case bad && err == nil:
			t.Errorf("%s: read, want %v at %s", rel, want.err, want.tag)
		case bad:
			if !errors.Is(err, want.err) {
				t.Errorf("%s: err = %v, want %v", rel, err, want.err)
			}
			var te *TagError
			if want.tag != 0 && (!errors.As(err, &te) || te.Tag != want.tag) {
				t.Errorf("%s: err = %v, want it at tag %s", rel, err, want.tag)
			}
		case err != nil:
			t.Errorf("%s: %v", rel, err)
		case in.SOPInstanceUID == "" || in.Patient.ID == "":
			t.Errorf("%s: read without identity", rel)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n < 120 {
		t.Errorf("walked %d files, SOURCES.md lists 124", n)
	}
}

func TestTransferSyntaxes(t *testing.T) {
	cases := []struct {
		file      string
		big, impl bool
		encaps    bool
		deflated  bool
		inferred  bool
	}{
		{file: "basic/MR_small.dcm"},
		{file: "transfer_syntax/MR_small_implicit.dcm", impl: true},
		{file: "transfer_syntax/MR_small_bigendian.dcm", big: true},
		{file: "transfer_syntax/MR_small_RLE.dcm", encaps: true},
		{file: "seg/liver_deflate.dcm", encaps: true},
		{file: "sr/report_dfl.dcm", deflated: true},
		{file: "rt/rtstruct.dcm", impl: true, inferred: true},
		{file: "malformed/ExplVR_BigEndNoMeta.dcm", big: true, inferred: true},
		{file: "malformed/ExplVR_LitEndNoMeta.dcm", inferred: true},
	}
	for _, c := range cases {
		f, err := ReadFile(td(t, c.file))
		if err != nil {
			t.Errorf("%s: %v", c.file, err)
			continue
		}
		ts := f.TransferSyntax
		if ts.BigEndian != c.big || ts.Implicit != c.impl || ts.Encapsulated != c.encaps || ts.Deflated != c.deflated || ts.Inferred != c.inferred {
			t.Errorf("%s: %+v", c.file, ts)
		}
	}
	// A deflated data set reads like any other.
	f, err := ReadFile(td(t, "transfer_syntax/image_dfl.dcm"))
	if err != nil {
		t.Fatal(err)
	}
	if r, _ := f.Dataset.Int(TagRows); r != 512 {
		t.Errorf("image_dfl Rows = %d, want 512", r)
	}
}

func TestDateTimes(t *testing.T) {
	in, err := ReadInstance(td(t, "series/dcm_qa_ct_philips_std_brain_5mm/I10"))
	if err != nil {
		t.Fatal(err)
	}
	st, ok := in.StudyTime()
	if !ok || st.Format("2006-01-02T15:04:05.000Z07:00") != "2015-02-06T09:28:15.672Z" {
		t.Errorf("study time %v %v", st, ok)
	}
	// TimezoneOffsetFromUTC shifts local DICOM times to UTC.
	got, ok := combineDateTime("20240301", "083000", "+0100")
	if !ok || got.Format("15:04") != "07:30" {
		t.Errorf("tz offset: %v %v", got, ok)
	}
}
