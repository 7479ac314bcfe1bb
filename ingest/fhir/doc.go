// Package fhir ingests FHIR R4 JSON into patient timelines: Bundles of any
// type (transaction, collection, searchset, … — one JSON document, streamed
// entry by entry), single resources, and Bulk Data NDJSON (one resource per
// line, plain or gzip, of any size, parsed by several goroutines). The
// layout is detected from content, not from file names.
//
// # What becomes what
//
//	Patient            the subject: Patient.id in its namespace, every identifier
//	                   with a system, Patient.link replaced-by/replaces/refer;
//	                   demographic events MEDS_BIRTH (birthDate, or the
//	                   patient-birthTime extension), GENDER//F|M|O|UNK (static),
//	                   MEDS_DEATH (deceasedDateTime)
//	Observation        lab | vital | observation (category laboratory / vital-signs /
//	                   other; without a category, the code table's kind);
//	                   tumor_marker (mCODE tumor-marker profiles, or a code the
//	                   table calls a tumour marker); stage (TNM stage group and
//	                   T/N/M category codes or profiles). time = effective[x]
//	                   (Period: start, end_time = end), available_at = issued
//	                   (as-of reads do not see a result before it was issued);
//	                   valueQuantity normalised to the code's unit
//	                   (timeline.CodeTable.Normalize), valueCodeableConcept as
//	                   text "VOCAB//CODE display", valueString/Boolean/DateTime as
//	                   text, valueInteger and valueRatio as numbers; each
//	                   component with a value is an event of its own (part
//	                   component/N); status entered-in-error and cancelled are
//	                   dropped and counted
//	  tumour size      LOINC 21889-1: a lesion event (value = longest dimension,
//	                   mm) and a lesions detail row: long axis 33728-7, short axis
//	                   33729-5 (cm or mm → mm), lesion id = the focus reference
//	                   (the BodyStructure is the lesion's identity across time),
//	                   site from bodySite or the BodyStructure's location
//	Condition          diagnosis: onset[x] (else recordedDate, else the
//	                   condition-assertedDate extension), end_time = abatement;
//	                   every coding an event; mCODE histology-morphology-behavior
//	                   an event (part histology); verificationStatus
//	                   entered-in-error and refuted dropped and counted
//	Procedure          procedure: performed[x], period end as end_time
//	Immunization       procedure: occurrenceDateTime, vaccineCode (CVX first)
//	Medication{Request,Statement,Administration}
//	                   medication: RxNorm/ATC code (inline, contained, or a
//	                   Medication resource in the Bundle or in the run's NDJSON),
//	                   time = boundsPeriod.start or authoredOn (requests),
//	                   effective[x] (statements, administrations), end_time =
//	                   period end; dose (doseQuantity, dosage.dose) as value+unit
//	Encounter          encounter: ENCOUNTER//<class code> (AMB, IMP, EMER, …),
//	                   period as time/end_time, text = the type "VOCAB//CODE display"
//	DiagnosticReport   lab (category LAB) or observation: its code at effective[x],
//	                   available_at = issued, text = its results and imaging
//	                   studies as canonical references ("Observation/123"),
//	                   which RecordKey turns into their events' keys. Results in
//	                   the same Bundle without their own subject or time inherit
//	                   the report's.
//	ImagingStudy       imaging_study: IMAGING//<modality> at started, text = the
//	                   Study Instance UID (urn:oid: stripped), one imaging detail
//	                   row per series (series UID, modality, body part, instance
//	                   count): imaging ingest joins on the Study UID
//	Medication, BodyStructure
//	                   no event: kept for the references that need them
//	anything else      counted per type in the run report (fs.Skip), not mapped
//
// # Identity, references and namespaces
//
// A resource's logical id belongs to a namespace: the server base of an
// absolute fullUrl or reference (https://server/fhir), else
// ingest.Options.Namespace (the --namespace flag), else DefaultNamespace
// ("fhir"). A Patient is the identifier PatientSystem(namespace)|id
// ("fhir/Patient|123") plus every identifier it carries, so a reference
// "Patient/123" in Observation.ndjson resolves to the same subject as the
// Patient in Patient.ndjson, in whichever order the files come (Patient
// files are read first anyway), and a VCF or DICOM file linked by MRN joins
// the same subject. Inside a Bundle, "urn:uuid:X" resolves to the entry
// whose fullUrl it is; a urn:uuid the Bundle does not hold (or holds later)
// means the resource with id X — the convention of Synthea and most
// exporters — and a Patient whose fullUrl uuid differs from its id is also
// known by the uuid, so references before it join it.
//
// # Record keys and versions
//
// Every event's key is RecordKey(namespace, type, id, part): re-ingesting a
// file, or the same resource from another export, is a no-op. A resource
// without an id (and without a urn:uuid fullUrl) is keyed by a hash of its
// JSON. SourceVersion orders versions of one resource: meta.lastUpdated (µs),
// else a numeric meta.versionId, else — for Observation and DiagnosticReport
// — the rank of the status (registered < preliminary/partial < final <
// amended/corrected/appended). A newer version with different content
// supersedes the events of the earlier one (their superseded_at is set); an
// older or equal one changes nothing (counted stale). Known limit: a newer
// version with fewer components than the earlier one leaves the earlier
// extra component events current.
//
// # Several codings
//
// The primary coding of a concept is the first coding, in source order, of
// the best vocabulary present: LOINC then SNOMED CT for observations and
// reports; ICD-10-CM, SNOMED CT, ICD-10, ICD-9-CM for conditions; SNOMED CT,
// CPT, ICD-10-PCS for procedures; RxNorm, ATC, SNOMED CT, NDC for drugs; CVX
// for vaccines; any other vocabulary after these, in source order. The
// others are kept: for conditions, procedures, immunizations and
// medications each other coding is an event of its own (part coding/N, same
// time, same kind); for a numeric observation they are listed in text_value
// ("LOINC//59408-5 MDC//150456"), so that a measurement coded twice is not
// counted twice. Code systems without a short vocabulary name (LOINC,
// SNOMED, ICD10CM, RXNORM, ATC, CVX, …) keep their URI minus the scheme:
// acme.org/lab//K123.
//
// # Bad input
//
// A record that is not JSON, has no patient subject, an unparseable date, a
// quantity whose unit cannot be converted to its code's unit (codes of the
// code table; other codes keep the unit they come with), no code or no
// clinical time is rejected with its file and locator ("line 12" in NDJSON,
// "entry 3" in a Bundle) and the reason; the rest of the file goes on. A
// truncated gzip stream or a broken Bundle document ends that file with an
// error, keeping the batches already written. Error messages carry
// locators, never values.
//
// # Performance
//
// NDJSON is cut into chunks of whole lines; Workers goroutines parse them
// with github.com/valyala/fastjson (no reflection, no per-field allocation:
// a parsed value is a reusable tree over the line's bytes and only mapped
// fields are read) and map them into events whose strings live in one arena
// per chunk; the calling goroutine appends the chunks' events to Arrow
// builders in file order. Memory is bounded by the batch size and the
// chunks in flight, whatever the file size.
package fhir
