// Package store defines how medtwin keeps timelines: one interface, Store,
// implemented by an embedded backend (store/sqlite, the default) and a
// PostgreSQL backend (store/postgres), both held to the same contract
// (store/storetest).
//
// A store maps patient identifiers to subject ids, appends batches of
// timeline rows atomically and idempotently (on record_key), reads one
// patient's timeline or streams cohort scans as Arrow records, and keeps the
// ingest-run manifest and the audit log of reads.
//
// Reads take two clocks (DESIGN.md §2): AsOf keeps what a clinician could
// have known at T (coalesce(available_at, time) <= T, static rows always);
// KnownBy keeps what the platform held at K (recorded_at <= K and not yet
// superseded at K). Without KnownBy only current rows are read.
//
// Implementations are safe for concurrent use.
package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/apache/arrow/go/v15/arrow/array"

	"github.com/medtwin/medtwin/timeline"
)

// Sentinel errors.
var (
	// ErrNotFound: no such subject, identifier or run.
	ErrNotFound = errors.New("store: not found")
	// ErrClosed: the store was closed.
	ErrClosed = errors.New("store: closed")
	// ErrInvalid: a batch or query that breaks the store's rules (a detail row
	// without its event, an unknown detail table, a bad cursor).
	ErrInvalid = errors.New("store: invalid request")
)

// Store is the persistence interface. See the package documentation.
type Store interface {
	// Resolve returns the subject that any of ids names, creating one when
	// none does. Identifiers not yet known are attached to it. When the ids
	// name several subjects, they are one patient (an identifier they share
	// is an explicit link): the subjects are merged into the lowest id.
	Resolve(ctx context.Context, ids ...timeline.Identifier) (int64, error)
	// Lookup returns the subject an identifier names, or ErrNotFound.
	Lookup(ctx context.Context, id timeline.Identifier) (int64, error)
	// Link attaches identifiers to a subject; a subject they already name is
	// merged into it.
	Link(ctx context.Context, subject int64, ids ...timeline.Identifier) error
	// Merge moves every identifier and event of from into into; from ceases
	// to exist. Events keep their keys, so later re-ingests stay no-ops.
	Merge(ctx context.Context, into, from int64) error
	// Identifiers lists a subject's identifiers; ErrNotFound when there is
	// no such subject.
	Identifiers(ctx context.Context, subject int64) ([]timeline.Identifier, error)
	// Subjects lists subject ids matching q in ascending order.
	Subjects(ctx context.Context, q SubjectQuery) ([]int64, error)

	// Append writes a batch in one transaction: all of it or none. Rows are
	// idempotent on (subject_id, record_key): identical content counts as a
	// duplicate; different content supersedes the current row (which stays
	// for known-by reads) unless its source_version is older than or equal
	// to the current row's, which counts as stale. recorded_at is set to the
	// store's clock. Detail rows replace the detail of their event: a row
	// is identified by its event's (subject_id, record_key), and imaging
	// rows by (subject_id, record_key, series_uid), so an imaging_study
	// event keeps one row per series.
	Append(ctx context.Context, b *timeline.Batch) (AppendResult, error)

	// Timeline reads one patient's events ordered by time (static rows
	// first), then code. The reader yields EventSchema records.
	Timeline(ctx context.Context, subject int64, f Filter) (array.RecordReader, error)
	// Scan streams the events of a cohort in bounded batches, ordered by
	// subject then time (static rows first, as in Timeline), never holding
	// the whole result in memory.
	Scan(ctx context.Context, c Cohort, f Filter) (array.RecordReader, error)
	// Details streams the detail rows of a table whose events pass the
	// cohort and filter, ordered by subject.
	Details(ctx context.Context, t timeline.DetailTable, c Cohort, f Filter) (array.RecordReader, error)
	// Count returns how many events a scan of c and f would yield.
	Count(ctx context.Context, c Cohort, f Filter) (int64, error)
	// SubjectRange returns the lowest and highest subject ids (0, 0 when empty).
	SubjectRange(ctx context.Context) (lo, hi int64, err error)

	// BeginRun records the start of an ingest run and returns its id.
	BeginRun(ctx context.Context, command string) (int64, error)
	// RecordFile records (or updates) files of a run, all in one
	// transaction (ingest runs buffer them: a DICOM run has one per file).
	RecordFile(ctx context.Context, files ...FileRecord) error
	// FinishRun records the end of a run with its status.
	FinishRun(ctx context.Context, run int64, status string) error
	// Runs lists the most recent runs with their files, newest first.
	Runs(ctx context.Context, limit int) ([]Run, error)

	// WriteAudit appends entries to the audit log.
	WriteAudit(ctx context.Context, entries ...AuditEntry) error
	// AuditLog lists audit entries matching q, newest first.
	AuditLog(ctx context.Context, q AuditQuery) ([]AuditEntry, error)

	// SaveCohort stores a named cohort definition, replacing any of the
	// same name; the store sets CreatedAt. ErrInvalid for a bad name (see
	// CheckCohortName).
	SaveCohort(ctx context.Context, c SavedCohort) error
	// LoadCohort returns the saved cohort of a name, or ErrNotFound.
	LoadCohort(ctx context.Context, name string) (SavedCohort, error)
	// Cohorts lists the saved cohorts, ordered by name.
	Cohorts(ctx context.Context) ([]SavedCohort, error)

	// Maintain reorganises storage for read locality and refreshes planner
	// statistics (PostgreSQL: re-cluster by subject; SQLite: optimize).
	Maintain(ctx context.Context) error
	// Close releases the store. Readers still open fail afterwards.
	Close() error
}

// AppendResult counts what an Append did with each event row.
type AppendResult struct {
	Inserted   int64 // new records
	Duplicate  int64 // known key, same content
	Superseded int64 // known key, new content: the old row was superseded
	Stale      int64 // known key, older or equal source_version: ignored
	Details    int64 // detail rows written
}

// Add accumulates r into a.
func (a *AppendResult) Add(r AppendResult) {
	a.Inserted += r.Inserted
	a.Duplicate += r.Duplicate
	a.Superseded += r.Superseded
	a.Stale += r.Stale
	a.Details += r.Details
}

// Filter selects events. The zero Filter selects every current event.
type Filter struct {
	// From (inclusive) and To (exclusive) bound time; static rows (null
	// time) pass unless ExcludeStatic.
	From, To      time.Time
	ExcludeStatic bool
	Kinds         []timeline.Kind
	// Codes match exactly; a code ending in "*" matches by prefix.
	Codes   []string
	AsOf    time.Time
	KnownBy time.Time
	// Columns, when not empty, is a projection for event reads (Timeline,
	// Scan): the EventSchema columns the caller will look at. The reader
	// still yields EventSchema records, but a store may leave the other
	// nullable columns null instead of fetching them. The columns that
	// order and identify rows (subject_id, time, code, kind, record_key)
	// and recorded_at are always filled. Unknown names are ignored.
	Columns []string
	// BatchRows bounds the records a reader yields (a default when 0).
	BatchRows int
}

// OptionalColumns are the EventSchema columns a projection may leave out.
var OptionalColumns = []string{"numeric_value", "text_value", "unit", "end_time", "source", "superseded_at", "available_at", "source_version"}

// Wants reports whether a read with f must fill the EventSchema column
// col: always when f has no projection or col is not optional.
func (f Filter) Wants(col string) bool {
	if len(f.Columns) == 0 || !slices.Contains(OptionalColumns, col) {
		return true
	}
	return slices.Contains(f.Columns, col)
}

// Cohort selects subjects. The zero Cohort selects every subject.
type Cohort struct {
	SubjectIDs []int64
	// HasCodes keeps subjects with at least one current event of any of
	// these codes (a trailing "*" matches by prefix).
	HasCodes []string
	// MinSubject and MaxSubject bound subject ids inclusively (0: unbounded);
	// Flight endpoints use them to shard a cohort.
	MinSubject, MaxSubject int64
}

// SavedCohort is a named cohort definition, so that an analysis names its
// cohort instead of repeating it (the Arrow services' save_cohort action).
// A cohort frozen to a subject list keeps its membership; one defined by
// codes is evaluated at each read. Saved cohorts are reference data (no
// subject_id column): the definition holds the ids.
type SavedCohort struct {
	Name        string
	Description string
	Cohort      Cohort
	CreatedBy   string
	CreatedAt   time.Time
}

// MaxCohortName is the longest saved cohort name, in bytes.
const MaxCohortName = 128

// CheckCohortName accepts 1 to MaxCohortName bytes of valid UTF-8 without
// control characters.
func CheckCohortName(name string) error {
	if name == "" || len(name) > MaxCohortName || !utf8.ValidString(name) {
		return fmt.Errorf("%w: a cohort name is 1 to %d bytes of UTF-8", ErrInvalid, MaxCohortName)
	}
	for _, r := range name {
		if unicode.IsControl(r) {
			return fmt.Errorf("%w: a cohort name has no control characters", ErrInvalid)
		}
	}
	return nil
}

// SubjectQuery filters and pages the subject list.
type SubjectQuery struct {
	HasCodes []string
	HasKinds []timeline.Kind
	// Sex is one of the GENDER// codes' suffixes: F, M, O, UNK.
	Sex string
	// BornFrom (inclusive) and BornTo (exclusive) bound the MEDS_BIRTH time.
	BornFrom, BornTo time.Time
	// SourcePrefix keeps subjects with an event whose source starts with it.
	SourcePrefix string
	After        int64 // cursor: ids greater than After
	Limit        int   // 0: no limit
}

// Run is one ingest run.
type Run struct {
	ID       int64
	Command  string
	Started  time.Time
	Finished time.Time
	Status   string
	Files    []FileRecord
}

// File statuses.
const (
	FileOK      = "ok"      // every record accepted
	FilePartial = "partial" // some records rejected
	FileFailed  = "failed"  // a fatal error; whole batches written before it stay
	FileRunning = "running"
)

// FileRecord is one file of an ingest run: the manifest an interrupted run
// resumes from.
type FileRecord struct {
	RunID      int64
	Path       string
	Format     string
	Size       int64
	SHA256     string
	Accepted   int64
	Rejected   int64
	Duplicate  int64
	Superseded int64
	Stale      int64
	Status     string
	Error      string
	Started    time.Time
	Finished   time.Time
}

// AuditEntry records one read of one patient's data.
type AuditEntry struct {
	Time      time.Time
	Actor     string // who: token name or OIDC subject
	Role      string
	SubjectID int64
	Action    string   // e.g. graphql, flight, http-arrow, cli-twin, export
	Fields    []string // which fields or datasets were read
	Detail    string   // request id or query name; never patient data
}

// AuditQuery filters the audit log.
type AuditQuery struct {
	SubjectID    int64
	Actor        string
	Since, Until time.Time
	Limit        int
}
