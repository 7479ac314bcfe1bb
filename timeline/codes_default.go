package timeline

// Molar masses (g/mol) used to bridge conventional and SI units.
const (
	molarBilirubin    = 584.66  // C33H36N4O6; 1 mg/dL = 17.10 µmol/L
	molarCreatinine   = 113.12  // C4H7N3O;   1 mg/dL = 88.4 µmol/L
	molarGlucose      = 180.156 // C6H12O6;   1 mmol/L = 18.0 mg/dL
	molarUrea         = 60.06   // CH4N2O
	molarUreaNitrogen = 28.0134 // the two N of one urea: 1 mmol/L urea = 2.8 mg/dL BUN
	molarSodium       = 22.99
)

// defaultConcepts are the analytes and measurements the twins read
// (DESIGN.md §2). Units are those the published formulas use.
var defaultConcepts = []Concept{
	{Name: "alt", Display: "Alanine aminotransferase", Unit: "U/L", Kind: KindLab},
	{Name: "ast", Display: "Aspartate aminotransferase", Unit: "U/L", Kind: KindLab},
	{Name: "ggt", Display: "Gamma-glutamyl transferase", Unit: "U/L", Kind: KindLab},
	{Name: "alp", Display: "Alkaline phosphatase", Unit: "U/L", Kind: KindLab},
	{Name: "platelets", Display: "Platelets", Unit: "10*9/L", Kind: KindLab},
	{Name: "bilirubin", Display: "Bilirubin, total", Unit: "mg/dL", Kind: KindLab, MolarMass: molarBilirubin},
	{Name: "albumin", Display: "Albumin", Unit: "g/dL", Kind: KindLab},
	{Name: "inr", Display: "INR", Unit: "{INR}", Kind: KindLab},
	{Name: "creatinine", Display: "Creatinine", Unit: "mg/dL", Kind: KindLab, MolarMass: molarCreatinine},
	{Name: "sodium", Display: "Sodium", Unit: "mmol/L", Kind: KindLab, MolarMass: molarSodium},
	{Name: "urea", Display: "Urea nitrogen (BUN)", Unit: "mg/dL", Kind: KindLab, MolarMass: molarUreaNitrogen},
	{Name: "glucose", Display: "Glucose", Unit: "mg/dL", Kind: KindLab, MolarMass: molarGlucose},
	{Name: "glucose_fasting", Display: "Glucose, fasting", Unit: "mg/dL", Kind: KindLab, MolarMass: molarGlucose},
	{Name: "hba1c", Display: "Hemoglobin A1c", Unit: "%", Kind: KindLab},
	{Name: "crp", Display: "C-reactive protein", Unit: "mg/L", Kind: KindLab},
	{Name: "wbc", Display: "Leukocytes", Unit: "10*9/L", Kind: KindLab},
	{Name: "procalcitonin", Display: "Procalcitonin", Unit: "ng/mL", Kind: KindLab},
	{Name: "hematocrit", Display: "Hematocrit", Unit: "%", Kind: KindLab},
	{Name: "ph_arterial", Display: "pH, arterial", Unit: "[pH]", Kind: KindLab},
	{Name: "pao2", Display: "Oxygen partial pressure, arterial", Unit: "mm[Hg]", Kind: KindLab},
	{Name: "respiratory_rate", Display: "Respiratory rate", Unit: "/min", Kind: KindVital},
	{Name: "sbp", Display: "Systolic blood pressure", Unit: "mm[Hg]", Kind: KindVital},
	{Name: "dbp", Display: "Diastolic blood pressure", Unit: "mm[Hg]", Kind: KindVital},
	{Name: "spo2", Display: "Oxygen saturation", Unit: "%", Kind: KindVital},
	{Name: "heart_rate", Display: "Heart rate", Unit: "/min", Kind: KindVital},
	{Name: "gcs", Display: "Glasgow coma score total", Unit: "{score}", Kind: KindVital},
	{Name: "temperature", Display: "Body temperature", Unit: "Cel", Kind: KindVital},
	{Name: "bmi", Display: "Body mass index", Unit: "kg/m2", Kind: KindVital},
	{Name: "weight", Display: "Body weight", Unit: "kg", Kind: KindVital},
	{Name: "height", Display: "Body height", Unit: "cm", Kind: KindVital},
	{Name: "cea", Display: "Carcinoembryonic antigen", Unit: "ng/mL", Kind: KindTumorMarker},
	{Name: "afp", Display: "Alpha-fetoprotein", Unit: "ng/mL", Kind: KindTumorMarker},
	{Name: "ca19_9", Display: "Cancer antigen 19-9", Unit: "U/mL", Kind: KindTumorMarker},
	{Name: "psa", Display: "Prostate specific antigen", Unit: "ng/mL", Kind: KindTumorMarker},
	{Name: "ca125", Display: "Cancer antigen 125", Unit: "U/mL", Kind: KindTumorMarker},

	// Imaging features the twins read (see imagingCodes).
	{Name: "liver_hu", Display: "Liver mean attenuation (CT)", Unit: "[hnsf'U]", Kind: KindImagingFeature},
	{Name: "spleen_hu", Display: "Spleen mean attenuation (CT)", Unit: "[hnsf'U]", Kind: KindImagingFeature},
	{Name: "liver_volume", Display: "Liver volume (CT)", Unit: "mL", Kind: KindImagingFeature},
	{Name: "lung_ggo_pct", Display: "Lung volume in the ground-glass range (CT)", Unit: "%", Kind: KindImagingFeature},
	{Name: "lung_consolidation_pct", Display: "Lung volume in the consolidation range (CT)", Unit: "%", Kind: KindImagingFeature},
	{Name: "lung_involvement_pct", Display: "Lung volume involved, ground-glass + consolidation (CT)", Unit: "%", Kind: KindImagingFeature},
	{Name: "lung_left_involvement_pct", Display: "Left lung volume involved (CT)", Unit: "%", Kind: KindImagingFeature},
	{Name: "lung_right_involvement_pct", Display: "Right lung volume involved (CT)", Unit: "%", Kind: KindImagingFeature},
	{Name: "lung_severity_score", Display: "CT severity score (approximate, 0-25)", Unit: "{score}", Kind: KindImagingFeature},
}

func loinc(code, concept, unit, display string, molar float64) CodeInfo {
	return CodeInfo{Code: VocabLOINC + "//" + code, Concept: concept, Unit: unit, Display: display, MolarMass: molar}
}

// defaultCodes lists the LOINC codes that report each concept and the unit
// values under each code are stored in (the code's own property: mass codes
// in mass units, molar codes in molar units).
var defaultCodeInfos = []CodeInfo{
	loinc("1742-6", "alt", "U/L", "ALT [Enzymatic activity/volume] in Serum or Plasma", 0),
	loinc("1743-4", "alt", "U/L", "ALT [Enzymatic activity/volume] in Serum or Plasma by With P-5'-P", 0),
	loinc("1920-8", "ast", "U/L", "AST [Enzymatic activity/volume] in Serum or Plasma", 0),
	loinc("30239-8", "ast", "U/L", "AST [Enzymatic activity/volume] in Serum or Plasma by With P-5'-P", 0),
	loinc("2324-2", "ggt", "U/L", "GGT [Enzymatic activity/volume] in Serum or Plasma", 0),
	loinc("6768-6", "alp", "U/L", "ALP [Enzymatic activity/volume] in Serum or Plasma", 0),
	loinc("777-3", "platelets", "10*9/L", "Platelets [#/volume] in Blood by Automated count", 0),
	loinc("26515-7", "platelets", "10*9/L", "Platelets [#/volume] in Blood", 0),
	loinc("1975-2", "bilirubin", "mg/dL", "Bilirubin.total [Mass/volume] in Serum or Plasma", molarBilirubin),
	loinc("14631-6", "bilirubin", "umol/L", "Bilirubin.total [Moles/volume] in Serum or Plasma", molarBilirubin),
	loinc("1751-7", "albumin", "g/dL", "Albumin [Mass/volume] in Serum or Plasma", 0),
	loinc("61151-7", "albumin", "g/dL", "Albumin [Mass/volume] in Serum or Plasma by Bromocresol green (BCG) dye binding method", 0),
	loinc("6301-6", "inr", "{INR}", "INR in Platelet poor plasma by Coagulation assay", 0),
	loinc("34714-6", "inr", "{INR}", "INR in Blood by Coagulation assay", 0),
	loinc("2160-0", "creatinine", "mg/dL", "Creatinine [Mass/volume] in Serum or Plasma", molarCreatinine),
	loinc("38483-4", "creatinine", "mg/dL", "Creatinine [Mass/volume] in Blood", molarCreatinine),
	loinc("14682-9", "creatinine", "umol/L", "Creatinine [Moles/volume] in Serum or Plasma", molarCreatinine),
	loinc("2951-2", "sodium", "mmol/L", "Sodium [Moles/volume] in Serum or Plasma", molarSodium),
	loinc("2947-0", "sodium", "mmol/L", "Sodium [Moles/volume] in Blood", molarSodium),
	loinc("3094-0", "urea", "mg/dL", "Urea nitrogen [Mass/volume] in Serum or Plasma", molarUreaNitrogen),
	loinc("6299-2", "urea", "mg/dL", "Urea nitrogen [Mass/volume] in Blood", molarUreaNitrogen),
	loinc("22664-7", "urea", "mmol/L", "Urea [Moles/volume] in Serum or Plasma", molarUrea),
	loinc("3091-6", "urea", "mg/dL", "Urea [Mass/volume] in Serum or Plasma", molarUrea),
	loinc("2345-7", "glucose", "mg/dL", "Glucose [Mass/volume] in Serum or Plasma", molarGlucose),
	loinc("2339-0", "glucose", "mg/dL", "Glucose [Mass/volume] in Blood", molarGlucose),
	loinc("15074-8", "glucose", "mmol/L", "Glucose [Moles/volume] in Blood", molarGlucose),
	loinc("14749-6", "glucose", "mmol/L", "Glucose [Moles/volume] in Serum or Plasma", molarGlucose),
	loinc("1558-6", "glucose_fasting", "mg/dL", "Fasting glucose [Mass/volume] in Serum or Plasma", molarGlucose),
	loinc("14771-0", "glucose_fasting", "mmol/L", "Fasting glucose [Moles/volume] in Serum or Plasma", molarGlucose),
	loinc("4548-4", "hba1c", "%", "Hemoglobin A1c/Hemoglobin.total in Blood", 0),
	loinc("17856-6", "hba1c", "%", "Hemoglobin A1c/Hemoglobin.total in Blood by HPLC", 0),
	loinc("59261-8", "hba1c", "mmol/mol", "Hemoglobin A1c/Hemoglobin.total in Blood by IFCC protocol", 0),
	loinc("1988-5", "crp", "mg/L", "C reactive protein [Mass/volume] in Serum or Plasma", 0),
	loinc("30522-7", "crp", "mg/L", "C reactive protein [Mass/volume] in Serum or Plasma by High sensitivity method", 0),
	loinc("6690-2", "wbc", "10*9/L", "Leukocytes [#/volume] in Blood by Automated count", 0),
	loinc("26464-8", "wbc", "10*9/L", "Leukocytes [#/volume] in Blood", 0),
	loinc("33959-8", "procalcitonin", "ng/mL", "Procalcitonin [Mass/volume] in Serum or Plasma", 0),
	loinc("4544-3", "hematocrit", "%", "Hematocrit [Volume Fraction] of Blood by Automated count", 0),
	loinc("2744-1", "ph_arterial", "[pH]", "pH of Arterial blood", 0),
	loinc("2703-7", "pao2", "mm[Hg]", "Oxygen [Partial pressure] in Arterial blood", 0),
	loinc("9279-1", "respiratory_rate", "/min", "Respiratory rate", 0),
	loinc("8480-6", "sbp", "mm[Hg]", "Systolic blood pressure", 0),
	loinc("8462-4", "dbp", "mm[Hg]", "Diastolic blood pressure", 0),
	loinc("59408-5", "spo2", "%", "Oxygen saturation in Arterial blood by Pulse oximetry", 0),
	loinc("2708-6", "spo2", "%", "Oxygen saturation in Arterial blood", 0),
	loinc("8867-4", "heart_rate", "/min", "Heart rate", 0),
	loinc("9269-2", "gcs", "{score}", "Glasgow coma score total", 0),
	loinc("8310-5", "temperature", "Cel", "Body temperature", 0),
	loinc("8331-1", "temperature", "Cel", "Oral temperature", 0),
	loinc("39156-5", "bmi", "kg/m2", "Body mass index (BMI) [Ratio]", 0),
	loinc("29463-7", "weight", "kg", "Body weight", 0),
	loinc("3141-9", "weight", "kg", "Body weight Measured", 0),
	loinc("8302-2", "height", "cm", "Body height", 0),
	loinc("2039-6", "cea", "ng/mL", "Carcinoembryonic Ag [Mass/volume] in Serum or Plasma", 0),
	loinc("1834-1", "afp", "ng/mL", "Alpha-1-Fetoprotein [Mass/volume] in Serum or Plasma", 0),
	loinc("24108-3", "ca19_9", "U/mL", "Cancer Ag 19-9 [Units/volume] in Serum or Plasma", 0),
	loinc("2857-1", "psa", "ng/mL", "Prostate specific Ag [Mass/volume] in Serum or Plasma", 0),
	loinc("10334-1", "ca125", "U/mL", "Cancer Ag 125 [Units/volume] in Serum or Plasma", 0),

	// Imaging features: the names the imaging-feature producers (DICOM SR and
	// AI-table ingest, pixel-data features) write and the twins read.
	// IMAGING//CT//<roi>_<feature>; HU features are means over the ROI;
	// lung percentages are shares of the segmented lung volume (0-100)
	// whose voxels fall in the ground-glass (-750..-400 HU) or consolidation
	// (-400..0 HU) ranges of REFERENCE.md §6; involvement = ground-glass +
	// consolidation. The contrast phase of a CT feature is read from its
	// imaging detail row (ImagingDetail.Contrast: none, arterial,
	// portal_venous, delayed, unknown) or, failing that, from a "contrast"
	// key in the detail's Settings JSON.
	imaging("CT", "liver_mean_hu", "liver_hu", "[hnsf'U]", "Liver mean attenuation"),
	imaging("CT", "spleen_mean_hu", "spleen_hu", "[hnsf'U]", "Spleen mean attenuation"),
	imaging("CT", "liver_volume_ml", "liver_volume", "mL", "Liver volume"),
	imaging("CT", "lung_ggo_pct", "lung_ggo_pct", "%", "Lung ground-glass volume share"),
	imaging("CT", "lung_consolidation_pct", "lung_consolidation_pct", "%", "Lung consolidation volume share"),
	imaging("CT", "lung_involvement_pct", "lung_involvement_pct", "%", "Lung involvement (ground-glass + consolidation)"),
	imaging("CT", "lung_left_involvement_pct", "lung_left_involvement_pct", "%", "Left lung involvement"),
	imaging("CT", "lung_right_involvement_pct", "lung_right_involvement_pct", "%", "Right lung involvement"),
	imaging("CT", "lung_severity_score", "lung_severity_score", "{score}", "CT severity score, approximate"),
}

func imaging(modality, feature, concept, unit, display string) CodeInfo {
	return CodeInfo{Code: Code(VocabImaging, modality, feature), Concept: concept, Unit: unit, Display: display}
}

var defaultTable = mustSets(mustTable(defaultConcepts, defaultCodeInfos), defaultSets)

func mustSets(t *CodeTable, sets []CodeSet) *CodeTable {
	t, err := t.WithSets(sets...)
	if err != nil {
		panic(err)
	}
	return t
}

func mustTable(concepts []Concept, codes []CodeInfo) *CodeTable {
	t, err := NewCodeTable(concepts, codes)
	if err != nil {
		panic(err)
	}
	return t
}

// DefaultCodes returns the built-in code table. It is immutable and shared.
func DefaultCodes() *CodeTable { return defaultTable }
