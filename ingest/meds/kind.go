package meds

import (
	"strings"

	"github.com/medtwin/medtwin/timeline"
)

// prefixKinds maps a code's first "//"-separated part to the kind of event
// it reports, for MEDS data without a kind column. The vocabulary names are
// ours (DESIGN.md §2) and those of the common MEDS ETLs (MIMIC-IV MEDS,
// eICU MEDS, MEDS_transforms examples: LAB//, DIAGNOSIS//, PROCEDURE//,
// MEDICATION//, HOSPITAL_ADMISSION//, TRANSFER_TO//, …).
var prefixKinds = map[string]timeline.Kind{
	// demographics (MEDS reserved codes and static facts)
	timeline.CodeBirth: timeline.KindDemographic,
	timeline.CodeDeath: timeline.KindDemographic,
	"GENDER":           timeline.KindDemographic,
	"SEX":              timeline.KindDemographic,
	"RACE":             timeline.KindDemographic,
	"ETHNICITY":        timeline.KindDemographic,
	"MARITAL_STATUS":   timeline.KindDemographic,
	"LANGUAGE":         timeline.KindDemographic,
	"INSURANCE":        timeline.KindDemographic,
	"DOD":              timeline.KindDemographic,
	// labs
	timeline.VocabLOINC: timeline.KindLab,
	"LAB":               timeline.KindLab,
	// vitals
	"VITAL":  timeline.KindVital,
	"VITALS": timeline.KindVital,
	// diagnoses
	timeline.VocabICD10CM: timeline.KindDiagnosis,
	"ICD10":               timeline.KindDiagnosis,
	"ICD9CM":              timeline.KindDiagnosis,
	"ICD9":                timeline.KindDiagnosis,
	"DIAGNOSIS":           timeline.KindDiagnosis,
	timeline.VocabSNOMED:  timeline.KindDiagnosis, // SNOMED CT codes in event streams are mostly findings/disorders
	// procedures
	"ICD10PCS":  timeline.KindProcedure,
	"ICD9PROC":  timeline.KindProcedure,
	"CPT":       timeline.KindProcedure,
	"CPT4":      timeline.KindProcedure,
	"HCPCS":     timeline.KindProcedure,
	"PROCEDURE": timeline.KindProcedure,
	// medications
	timeline.VocabRxNorm: timeline.KindMedication,
	timeline.VocabATC:    timeline.KindMedication,
	"NDC":                timeline.KindMedication,
	"MEDICATION":         timeline.KindMedication,
	"INFUSION_START":     timeline.KindMedication,
	"INFUSION_END":       timeline.KindMedication,
	// encounters
	"HOSPITAL_ADMISSION": timeline.KindEncounter,
	"HOSPITAL_DISCHARGE": timeline.KindEncounter,
	"ED_REGISTRATION":    timeline.KindEncounter,
	"ED_OUT":             timeline.KindEncounter,
	"ICU_ADMISSION":      timeline.KindEncounter,
	"ICU_DISCHARGE":      timeline.KindEncounter,
	"TRANSFER_TO":        timeline.KindEncounter,
	"VISIT":              timeline.KindEncounter,
	"ENCOUNTER":          timeline.KindEncounter,
	// genomics, imaging, oncology
	timeline.VocabGene:    timeline.KindVariant,
	timeline.VocabImaging: timeline.KindImagingFeature,
	"STAGE":               timeline.KindStage,
	"TNM":                 timeline.KindStage,
}

// KindOf derives the kind of a MEDS event from its code, for data without a
// kind column:
//
//  1. a code of the built-in code table takes its concept's kind (so LOINC
//     vital signs are vitals and LOINC tumour markers are tumour markers);
//  2. MEDS_BIRTH and MEDS_DEATH (alone or as a MEDS_DEATH//… prefix) are
//     demographic;
//  3. otherwise the first "//"-separated part of the code decides, by the
//     table above (case-insensitive);
//  4. anything else is an observation.
func KindOf(code string, codes *timeline.CodeTable) timeline.Kind {
	if codes != nil {
		if c, ok := codes.ConceptOf(code); ok && c.Kind.Valid() {
			return c.Kind
		}
	}
	head := code
	if i := strings.Index(code, "//"); i >= 0 {
		head = code[:i]
	}
	if k, ok := prefixKinds[head]; ok {
		return k
	}
	if k, ok := prefixKinds[strings.ToUpper(head)]; ok {
		return k
	}
	return timeline.KindObservation
}
