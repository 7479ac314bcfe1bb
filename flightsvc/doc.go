// Package flightsvc serves medtwin's datasets to data scientists as Arrow:
// Arrow Flight (gRPC, `medtwin serve --flight-addr`) and the same streams as
// Arrow IPC over HTTP (GET /arrow/{dataset} on the GraphQL port), with the
// GraphQL endpoint's tokens, roles, pseudonymisation and audit log.
//
// # Requests
//
// A Descriptor (JSON: a Flight command descriptor, a raw DoGet ticket, or
// the HTTP query parameters) names a dataset — timeline, variants,
// imaging_features, lesions, a feature matrix (features with a FeatureSpec,
// or a built-in one: liver_features, pneumonia_features) — a cohort
// (subject ids or pseudonyms, has_codes, or a saved cohort's name), columns,
// a time range, as_of and known_by (DESIGN.md §2). The AI-evaluation
// datasets (ai_evaluation_pairs, _agreement, _change_points, _categories,
// _labels: package evaluation's tables) take an algorithm and version
// instead of a cohort (aieval.go).
//
// GetFlightInfo (Service.Plan) answers the schema the caller will see, a
// row estimate (store.Count) and up to Limits.Endpoints endpoints, each a
// contiguous subject range of the cohort (store.Cohort.MinSubject/
// MaxSubject), so that a client reads them in parallel. Endpoint tickets
// are sealed (AES-GCM under the server's key): a client can neither read
// them (a researcher's hold real subject ids) nor alter them, and a ticket
// works only for the caller it was issued to, for TicketTTL. DoGet streams
// record batches as the store's scan yields them: the scan runs one batch
// ahead of the network in a goroutine of its own; nothing holds a whole
// cohort. A client that goes away cancels the scan and every batch is
// released.
//
// # Who sees what
//
// Every read is checked against the caller's role: the cohort may hold at
// most Limits.MaxSubjects[role] subjects (PermissionDenied / 403 beyond).
// Clinicians and admins see identified rows. Researchers see, as in GraphQL
// (package pseudo): subject_id as the subject's pseudonym (utf8, "ps_…"),
// every time of a subject moved by its own date shift, source, sample
// names, descriptions and observers withheld (null), and DICOM UIDs and
// lesion ids as keyed tokens. Researchers name subjects by pseudonym and
// give times in each subject's shifted calendar: a time-bounded read is
// made per group of subjects sharing a shift, so each subject is filtered
// exactly in its own calendar (rows then come grouped by shift, each
// subject's rows together and in order). Every subject of a stream's cohort
// (within its endpoint's range) gets one audit entry (action flight or
// http-arrow, the dataset's columns as fields) written before any row is
// read; a failed audit write ends the stream before any data. A subject
// whose rows the filters exclude is recorded too: the log errs on the side
// of recording, and no audit write ever waits on a store connection that an
// open scan holds.
//
// # Store connections
//
// A stream holds at most one store connection at a time: the timeline is
// one scan; the detail datasets and feature matrices read chunks of 64
// subjects, each query drained before the next. So streams never wait on
// each other's connections, whatever the pool size.
//
// # Feature matrices
//
// A FeatureSpec gives one row per subject and index time (fixed times, the
// first/last/every event of a code, or as_of) and one column per feature:
// a code's or concept's values in a window before the index time,
// aggregated (last, first, min, max, mean, count, slope per year), age and
// sex, or a twin output at the index time (liver scores from twin/liver;
// CURB-65, PSI and CT lung involvement from twin/pneumonia). Each row is
// computed on a twin.View as of its index time, so no value that became
// available after it (FHIR issued, report sign-off) is used, even when it
// was measured before.
//
// Errors map to one gRPC code and one HTTP status at the edges: bad
// descriptor or parameters InvalidArgument/400, unknown dataset, cohort or
// pseudonym NotFound/404, cohort over the role's limit PermissionDenied/403,
// missing or bad token Unauthenticated/401.
package flightsvc
