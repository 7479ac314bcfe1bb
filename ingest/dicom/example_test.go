package dicom_test

import (
	"context"
	"fmt"
	"path/filepath"

	"github.com/medtwin/medtwin/ingest/dicom"
)

// Reading a directory's metadata, grouping it into series ordered along
// the slice normal, and decoding one slice in Hounsfield units.
func ExampleNewSeries() {
	paths, _ := filepath.Glob("ct/*")
	var instances []*dicom.Instance
	_ = dicom.Scan(context.Background(), paths, 0, func(r dicom.ReadResult) {
		if r.Err == nil {
			instances = append(instances, r.Instance)
		}
	})
	for _, s := range dicom.GroupSeries(instances) {
		if err := s.Err(); err != nil {
			fmt.Println(s.SeriesInstanceUID, err) // gaps, tilt, mixed geometry
			continue
		}
		sl := s.Slices[0]
		fr, err := dicom.OpenFrames(sl.Instance)
		if err != nil {
			continue
		}
		px, err := fr.Int32(sl.Frame, nil)
		fr.Close()
		if err != nil {
			continue // e.g. ErrUnsupportedTransferSyntax for JPEG
		}
		g := sl.Geometry()
		hu := float64(px[0])*g.RescaleSlope + g.RescaleIntercept
		fmt.Println(len(s.Slices), s.Spacing(), hu)
	}
}

// Masks of a segmentation on the grid of the series it was made on.
func ExampleSegmentation_Masks() {
	seg, err := dicom.ReadSegmentation("seg.dcm")
	if err != nil {
		return
	}
	paths, _ := filepath.Glob("ct/*")
	var instances []*dicom.Instance
	for _, p := range paths {
		if in, err := dicom.ReadInstance(p); err == nil {
			instances = append(instances, in)
		}
	}
	series, err := dicom.NewSeries(instances)
	if err != nil || !seg.ReferencesSeries(series) {
		return
	}
	masks, err := seg.Masks(series) // ErrMissingReference names the frame and (0008,1155)
	if err != nil {
		return
	}
	for _, m := range masks {
		fmt.Println(m.Segment.Label, m.Count(), "voxels")
	}
}
