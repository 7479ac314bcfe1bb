package features

import "math"

// Liver attenuation and volume on CT.
//
// The numbers reported are the mean and median attenuation (HU) in the
// liver region, its volume (voxel count × voxel volume), and when a spleen
// region exists the spleen's mean and the liver − spleen difference and
// liver/spleen ratio. They are meant for the steatosis criteria of
// unenhanced CT (REFERENCE.md §6), which twin/liver applies:
//   - liver ≤ 40 HU: moderate–severe steatosis (Boyce CJ et al., AJR
//     2010;194:623; normal liver 58.8 ± 10.8 HU);
//   - liver < 48 HU: 100 % specific for ≥ 30 % histological fat (Pickhardt
//     PJ et al., Eur Radiol 2012;22:1075);
//   - liver − spleen: normal +1 … +18 HU (Park SH et al., Radiology, as
//     REFERENCE.md §6 cites it);
//     < −10 HU or liver/spleen < 1.0: moderate–severe; liver/spleen ≤ 1.1
//     also captures mild steatosis (Boyce 2010).
//
// Contrast-enhanced values do not fit these thresholds (portal-venous
// liver HU follows other cut-offs); the series' contrast phase is stored
// on its imaging detail row by the DICOM adapter, so consumers can tell.
const (
	SteatosisSevereHU  = 40.0  // Boyce 2010: liver ≤ 40 HU
	SteatosisLiverHU   = 48.0  // Pickhardt 2012: liver < 48 HU
	SteatosisLSDiffHU  = -10.0 // liver − spleen < −10 HU
	SteatosisLSRatio   = 1.0   // liver/spleen < 1.0
	SteatosisMildRatio = 1.1   // liver/spleen ≤ 1.1 (Boyce 2010)
)

// Liver is the liver (and spleen) summary of one CT.
type Liver struct {
	MeanHU, MedianHU float64
	VolumeML         float64
	HasSpleen        bool
	SpleenMeanHU     float64
	SpleenMedianHU   float64
	SpleenVolumeML   float64
	// LiverMinusSpleenHU and LiverSpleenRatio use the means; NaN without a
	// spleen region (or with a zero spleen mean for the ratio).
	LiverMinusSpleenHU float64
	LiverSpleenRatio   float64
}

// ComputeLiver summarises the liver region (and the spleen region when
// spleen is non-nil) of a CT volume.
func ComputeLiver(v *Volume, liver, spleen *Mask) (Liver, error) {
	out := Liver{LiverMinusSpleenHU: math.NaN(), LiverSpleenRatio: math.NaN()}
	fl, err := ComputeFirstOrder(v, liver, DefaultSettings())
	if err != nil {
		return out, err
	}
	out.MeanHU, out.MedianHU = fl.Mean, fl.Median
	out.VolumeML = float64(fl.N) * v.VoxelVolume() / 1000
	if spleen == nil {
		return out, nil
	}
	fs, err := ComputeFirstOrder(v, spleen, DefaultSettings())
	if err != nil {
		return out, err
	}
	out.HasSpleen = true
	out.SpleenMeanHU, out.SpleenMedianHU = fs.Mean, fs.Median
	out.SpleenVolumeML = float64(fs.N) * v.VoxelVolume() / 1000
	out.LiverMinusSpleenHU = fl.Mean - fs.Mean
	if fs.Mean != 0 {
		out.LiverSpleenRatio = fl.Mean / fs.Mean
	}
	return out, nil
}
