// Package synth generates a deterministic synthetic multimodal cohort in the
// real formats medtwin ingests, so that the demo, the tests and the
// benchmarks all go through the real ingest path:
//
//   - fhir/: FHIR R4 Bulk Data NDJSON (optionally gzip), one file per
//     resource type and shard of patients: Patient (MRN and a second
//     identifier), Encounter, Condition (mCODE primary and secondary cancer
//     conditions among them), Observation (labs with effective and issued
//     times and UCUM units — bilirubin, creatinine, albumin, urea and
//     glucose in SI units at one site and conventional units at the
//     other —, vital signs, mCODE TNM stage groups and categories, tumour
//     markers, cancer disease status), MedicationRequest and
//     MedicationAdministration (RxNorm and ATC);
//   - genomics/: germline VCF.gz (BGZF) in batches of samples, genotyping
//     the four liver-disease variants of REFERENCE.md §9 at realistic allele
//     frequencies; somatic calls of oncology patients (KRAS, EGFR, BRAF,
//     TP53 hotspots) as single-tumour VCF.gz with a VEP CSQ header, or as
//     rows of one MAF, depending on the patient's sequencing lab;
//   - manifest.csv: the sample manifest (sample,system,value,collected,
//     tissue,tumor_normal) linking every genomic sample to its patient's
//     MRN;
//   - dicom/: CT series (default 64×64×32, --ct-size) with consistent
//     geometry, whose liver attenuation follows the patient's steatosis,
//     whose lungs carry ground-glass during pneumonia and whose lesions grow
//     or shrink with treatment response; a DICOM SR (TID 1500) measurement
//     report per oncology or liver CT, as a radiologist would write it;
//   - imaging-ai/: outputs of three imaging AI tools in the generic long CSV
//     format, with a known bias against the truth and a version change at a
//     known date;
//   - truth.json: what the generator put in (diagnoses, genotypes, lesion
//     sizes per study, AI biases) for tests only. The platform never reads
//     it.
//
// Every patient is generated from its own random stream (seed, patient
// index), so the same seed gives the same bytes whatever the number of
// workers, and patients are written as they are generated: memory does not
// grow with the cohort.
package synth
