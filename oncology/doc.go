// Package oncology is the oncology twin: a patient's cancer history, lesions
// followed across imaging studies, tumour response by RECIST 1.1 and
// iRECIST, tumour markers, lines of therapy and somatic variants, computed
// as pure functions of a twin.View (one patient's timeline as of a time).
//
// Compute(view, DefaultOptions()) returns a Twin: JSON-friendly result
// types (camelCase tags) that `medtwin twin --json` prints and the GraphQL
// API serves as oncologyTwin. Every response says which measurements it
// used: each UsedMeasurement carries the lesion, its role, the value it
// contributed and the event reference (source locator and record key) it
// came from.
//
// Inputs, by kind of timeline event:
//   - lesion events with lesions detail rows (DICOM SR TID 1500
//     measurements, FHIR mCODE tumor size): tracking identifier, study UID,
//     site, long and short axis in mm, node, target and "too small" flags,
//     position; the event's text may carry a status in words (absent,
//     decreased, stable, increased, progression, new);
//   - diagnosis events: neoplasms by ICD-10-CM C00–D49, SNOMED CT (a built-in
//     table plus display words) and extra codes;
//   - stage observations (mCODE TNM stage group and categories) and cancer
//     disease status (LOINC 97509-4);
//   - medication events: antineoplastics by ATC L01/L02, RxNorm ingredient or
//     product code, or drug name (see Agent);
//   - tumour markers (CEA, CA 19-9, AFP, PSA, CA-125) by concept;
//   - somatic variants (variants detail rows with origin "somatic").
//
// The view decides what is visible: a response at time T uses only the
// assessments available by T (DESIGN.md §2). Rules and their sources are
// documented where they are implemented: recist.go (RECIST 1.1, Eisenhauer
// EA et al., Eur J Cancer 2009;45:228–247), irecist.go (iRECIST, Seymour L
// et al., Lancet Oncol 2017;18:e143–e152), lesions.go (tracking), therapy.go
// (lines), markers.go (kinetics), variants.go (actionable alterations).
package oncology
