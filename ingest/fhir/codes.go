package fhir

import (
	"strings"

	"github.com/medtwin/medtwin/timeline"
)

// Vocabulary names for code systems the timeline knows by a short name.
// Systems not listed keep their URI, minus its scheme's "//" so that the
// code still splits on "//" (http://acme.org/lab → acme.org/lab//K123).
var systemVocab = map[string]string{
	"http://loinc.org":                                 timeline.VocabLOINC,
	"urn:oid:2.16.840.1.113883.6.1":                    timeline.VocabLOINC,
	"http://snomed.info/sct":                           timeline.VocabSNOMED,
	"urn:oid:2.16.840.1.113883.6.96":                   timeline.VocabSNOMED,
	"http://hl7.org/fhir/sid/icd-10-cm":                timeline.VocabICD10CM,
	"urn:oid:2.16.840.1.113883.6.90":                   timeline.VocabICD10CM,
	"http://hl7.org/fhir/sid/icd-10":                   "ICD10",
	"urn:oid:2.16.840.1.113883.6.3":                    "ICD10",
	"http://hl7.org/fhir/sid/icd-9-cm":                 "ICD9CM",
	"http://www.cms.gov/Medicare/Coding/ICD10":         "ICD10PCS",
	"http://www.nlm.nih.gov/research/umls/rxnorm":      timeline.VocabRxNorm,
	"urn:oid:2.16.840.1.113883.6.88":                   timeline.VocabRxNorm,
	"http://www.whocc.no/atc":                          timeline.VocabATC,
	"urn:oid:2.16.840.1.113883.6.73":                   timeline.VocabATC,
	"http://hl7.org/fhir/sid/cvx":                      "CVX",
	"urn:oid:2.16.840.1.113883.12.292":                 "CVX",
	"http://hl7.org/fhir/sid/ndc":                      "NDC",
	"http://www.ama-assn.org/go/cpt":                   "CPT",
	"http://cancerstaging.org":                         "AJCC",
	"urn:iso:std:iso:11073:10101":                      "MDC",
	"http://www.genenames.org":                         "HGNC",
	"http://www.genenames.org/geneId":                  "HGNC",
	"http://dicom.nema.org/resources/ontology/DCM":     "DCM",
	"http://www.radlex.org":                            "RADLEX",
	"http://unitsofmeasure.org":                        "UCUM",
	"http://ncimeta.nci.nih.gov":                       "NCIT",
	"http://terminology.hl7.org/CodeSystem/v3-ActCode": "ActCode",
	encounterSystem:                                    "ENCOUNTER",
	imagingSystem:                                      timeline.VocabImaging,
}

// vocabOf returns the vocabulary name of a code system URI.
func vocabOf(system string) string {
	if v, ok := systemVocab[system]; ok {
		return v
	}
	if system == "" {
		return "LOCAL"
	}
	s := system
	if i := strings.Index(s, "://"); i >= 0 {
		s = s[i+3:]
	}
	for strings.Contains(s, "//") {
		s = strings.ReplaceAll(s, "//", "/")
	}
	return strings.TrimSuffix(s, "/")
}

// Preferred vocabularies per domain, best first: the primary coding of a
// concept is the first coding (in source order) of the best vocabulary
// present; codings of vocabularies not listed rank after all listed ones,
// in source order. The lists follow what the twins and the code table read
// (LOINC for results, ICD-10-CM then SNOMED CT for problems, RxNorm then ATC
// for drugs, CVX for vaccines).
var (
	prefObservation = []string{timeline.VocabLOINC, timeline.VocabSNOMED}
	prefCondition   = []string{timeline.VocabICD10CM, timeline.VocabSNOMED, "ICD10", "ICD9CM"}
	prefProcedure   = []string{timeline.VocabSNOMED, "CPT", "ICD10PCS", timeline.VocabLOINC}
	prefMedication  = []string{timeline.VocabRxNorm, timeline.VocabATC, timeline.VocabSNOMED, "NDC"}
	prefVaccine     = []string{"CVX", timeline.VocabSNOMED, timeline.VocabRxNorm}
	prefValue       = []string{timeline.VocabSNOMED, timeline.VocabLOINC, "AJCC"}
)

// coding is one Coding of a CodeableConcept, with strings valid for the
// current record only.
type coding struct {
	system, code, display []byte
}

// rank orders codings by preference: lower is better.
func rank(system []byte, pref []string) int {
	v := vocabOfBytes(system)
	for i, p := range pref {
		if v == p {
			return i
		}
	}
	return len(pref)
}

func vocabOfBytes(system []byte) string {
	if v, ok := systemVocab[string(system)]; ok { // no allocation for the lookup
		return v
	}
	return vocabOf(string(system))
}

// primary returns the index of the primary coding, or -1 when no coding has
// a code.
func primary(cs []coding, pref []string) int {
	best, bestRank := -1, 0
	for i := range cs {
		if len(cs[i].code) == 0 {
			continue
		}
		r := rank(cs[i].system, pref)
		if best < 0 || r < bestRank {
			best, bestRank = i, r
		}
	}
	return best
}
