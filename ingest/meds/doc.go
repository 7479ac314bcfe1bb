// Package meds reads MEDS datasets (Medical Event Data Standard, version
// 0.4) into medtwin timelines, and defines the MEDS schemas and metadata
// that medtwin's export writes (package export).
//
// # Input
//
// A MEDS dataset is a directory with data/**/*.parquet and metadata/
// (dataset.json, codes.parquet, subject_splits.parquet); a single Parquet
// file with the MEDS core columns is read the same way. Files are detected
// by content: the Parquet magic, then the footer's column names (subject_id,
// time and code for data; code with description/parent_codes for codes;
// subject_id with split for splits; subject_id with prediction_time for
// task labels). Metadata files and labels are recognised and counted as
// skipped ("metadata:codes", "metadata:subject_splits", "metadata:dataset",
// "labels"), not errors. A Parquet file whose footer cannot be read is
// claimed too, so that the run reports it instead of passing over it.
//
// Reading streams one row group at a time in record batches of the run's
// batch size, through a buffered column-chunk stream, so memory stays
// bounded whatever the file or row group size. Each batch is written to the
// store in one transaction.
//
// # Subjects
//
// A MEDS subject_id is the dataset's own identifier, never a medtwin
// subject id: it is resolved through the run's resolver as the identifier
// (system, decimal subject_id) where system is, in order of precedence:
//
//   - the run's namespace option (medtwin ingest --namespace), verbatim;
//   - "meds:" + dataset_name of the dataset's metadata/dataset.json;
//   - "meds:" + the dataset root directory's name (the directory holding
//     metadata/, or the parent of the nearest "data" directory);
//   - "meds:" + the file name without extension for a file outside any
//     dataset.
//
// So re-ingesting a dataset maps its subjects to the same patients, and two
// datasets never share patients unless they share a namespace. A medtwin
// export ingested into a fresh store gets new subject ids in the order its
// subjects first appear: they coincide with the exported ids only when
// those were dense from 1 (the identifier value is always the exported id,
// which is how tests map them).
//
// # Columns
//
// Core columns are read with lenient but lossless typing: subject_id any
// signed integer (or uint8..uint32); time any timestamp unit (naive times
// are UTC; ns truncates towards the past) or date; code and text_value utf8,
// large_utf8 or dictionary; numeric_value float32, float64 or integer.
// float32 values are widened to the float64 with the same shortest decimal
// form (1.1f becomes 1.1), so values print as written and cast back to the
// same float32 on export. Any other type of a known column is a fatal
// ErrColumnType for the file, naming the column.
//
// The extension columns of medtwin's full schema are honoured when present:
// unit (values are normalised to the code's unit through the code table),
// kind, end_time, source, record_key, available_at and source_version;
// superseded_at and recorded_at describe the exporting store's history and
// are ignored (the receiving store keeps its own clock). So a medtwin
// --format parquet export ingests back to the same rows.
//
// Without a kind column the kind is derived from the code (KindOf): codes
// of the built-in code table take their concept's kind; MEDS_BIRTH,
// MEDS_DEATH, GENDER//, RACE//, ETHNICITY// … are demographic; LOINC// and
// LAB// labs; ICD10CM//, ICD9CM//, SNOMED//, DIAGNOSIS// diagnoses;
// ICD10PCS//, CPT4//, HCPCS//, PROCEDURE// procedures; RXNORM//, ATC//,
// NDC//, MEDICATION// medications; HOSPITAL_ADMISSION//, TRANSFER_TO//,
// VISIT// … encounters; VITALS// vitals; GENE// variants; IMAGING// imaging
// features; STAGE//, TNM// stages; anything else an observation.
//
// Without a record_key column the key is a hash of what the row says
// (time, code, numeric value, text value); the n-th repeat of an identical
// row of one subject at one time adds its occurrence number, so true
// repeats are kept and re-ingest is still a no-op. Without a source column
// the source is "FILE#row-group=G,row=R".
//
// # Errors
//
// Locators are zero-based, as in pyarrow: "row group 2 row 17". A row with
// a null subject_id or code, an unknown kind name, a record key of the
// wrong length, an inconvertible unit or a value the timeline rejects
// (non-finite number, time far in the future) is rejected with its locator
// and the rest of the file goes on. An unreadable footer, a corrupt page
// ("row group 2 from row 65536", also caught when a damaged page ends a
// column early: the footer's row count must be met) or a known column of
// the wrong type stops the file, keeping the rows read before it; the
// other files of the run go on. The footer's ARROW:schema entry is never
// trusted and single allocations are bounded, so a corrupt file is an
// error, never an out-of-memory crash. Messages never include values.
package meds
