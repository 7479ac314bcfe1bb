package meds

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/parquet/file"
	"github.com/apache/arrow/go/v15/parquet/schema"
)

// Version is the MEDS version this package reads and writes.
const Version = "0.4.0"

// Layout of a MEDS dataset root.
const (
	DataDir       = "data"
	MetadataDir   = "metadata"
	DatasetFile   = "dataset.json"           // in MetadataDir
	CodesFile     = "codes.parquet"          // in MetadataDir
	SplitsFile    = "subject_splits.parquet" // in MetadataDir
	SplitTrain    = "train"
	SplitTuning   = "tuning"
	SplitHeldOut  = "held_out"
	SubjectColumn = "subject_id"
)

// MEDS core column names.
const (
	ColSubjectID    = "subject_id"
	ColTime         = "time"
	ColCode         = "code"
	ColNumericValue = "numeric_value"
	ColTextValue    = "text_value"
)

// Sentinel errors.
var (
	// ErrColumnType: a column of a known name has a type that cannot be
	// read as what MEDS (or medtwin's extension) says it holds. Fatal for
	// the file.
	ErrColumnType = errors.New("meds: wrong column type")
	// ErrMissingColumn: a data file lacks a required MEDS column.
	ErrMissingColumn = errors.New("meds: missing required column")
	// ErrNullSubject: a row whose subject_id is null.
	ErrNullSubject = errors.New("null subject_id")
	// ErrNullCode: a row whose code is null or empty.
	ErrNullCode = errors.New("null or empty code")
	// ErrCorrupt: a file that is not readable Parquet (bad footer, bad
	// page); wraps the Parquet library's error.
	ErrCorrupt = errors.New("meds: corrupt Parquet")
	// ErrBadValue: a value the row cannot carry (bad kind name, record key
	// of the wrong length, a unit that cannot be converted).
	ErrBadValue = errors.New("bad value")
)

// DataSchema is the MEDS 0.4 DataSchema as written by medtwin's export:
// subject_id int64 not null, time timestamp[us] (no time zone: MEDS times
// are naive; medtwin writes UTC wall-clock times), code utf8 not null,
// numeric_value float32, text_value large_utf8. Extension columns follow
// when requested.
var DataSchema = arrow.NewSchema([]arrow.Field{
	{Name: ColSubjectID, Type: arrow.PrimitiveTypes.Int64},
	{Name: ColTime, Type: NaiveTimestamp, Nullable: true},
	{Name: ColCode, Type: arrow.BinaryTypes.String},
	{Name: ColNumericValue, Type: arrow.PrimitiveTypes.Float32, Nullable: true},
	{Name: ColTextValue, Type: arrow.BinaryTypes.LargeString, Nullable: true},
}, nil)

// NaiveTimestamp is MEDS's time type: timestamp[us] without a time zone.
var NaiveTimestamp = &arrow.TimestampType{Unit: arrow.Microsecond}

// CodesSchema is metadata/codes.parquet (CodeMetadataSchema).
var CodesSchema = arrow.NewSchema([]arrow.Field{
	{Name: "code", Type: arrow.BinaryTypes.String},
	{Name: "description", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: "parent_codes", Type: arrow.ListOf(arrow.BinaryTypes.String), Nullable: true},
}, nil)

// SplitsSchema is metadata/subject_splits.parquet (SubjectSplitSchema).
var SplitsSchema = arrow.NewSchema([]arrow.Field{
	{Name: ColSubjectID, Type: arrow.PrimitiveTypes.Int64},
	{Name: "split", Type: arrow.BinaryTypes.String},
}, nil)

// DatasetMetadata is metadata/dataset.json (DatasetMetadataSchema: every
// field optional, extra keys allowed). Medtwin adds a "medtwin" object
// describing the export (selection, clocks, counts; never patient data).
type DatasetMetadata struct {
	DatasetName                    string          `json:"dataset_name,omitempty"`
	DatasetVersion                 string          `json:"dataset_version,omitempty"`
	ETLName                        string          `json:"etl_name,omitempty"`
	ETLVersion                     string          `json:"etl_version,omitempty"`
	MEDSVersion                    string          `json:"meds_version,omitempty"`
	CreatedAt                      string          `json:"created_at,omitempty"`
	License                        string          `json:"license,omitempty"`
	LocationURI                    string          `json:"location_uri,omitempty"`
	DescriptionURI                 string          `json:"description_uri,omitempty"`
	RawSourceIDColumns             []string        `json:"raw_source_id_columns,omitempty"`
	CodeModifierColumns            []string        `json:"code_modifier_columns,omitempty"`
	AdditionalValueModalityColumns []string        `json:"additional_value_modality_columns,omitempty"`
	SiteIDColumns                  []string        `json:"site_id_columns,omitempty"`
	OtherExtensionColumns          []string        `json:"other_extension_columns,omitempty"`
	Medtwin                        json.RawMessage `json:"medtwin,omitempty"`
}

// ReadDatasetMetadata reads a dataset.json file.
func ReadDatasetMetadata(path string) (*DatasetMetadata, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var m DatasetMetadata
	if err := json.NewDecoder(io.LimitReader(f, 1<<20)).Decode(&m); err != nil {
		return nil, fmt.Errorf("meds: %s: %w", filepath.Base(path), err)
	}
	return &m, nil
}

// isDatasetJSON reports whether head is a MEDS dataset.json (a JSON object
// with at least one of the schema's identifying keys).
func isDatasetJSON(head []byte) bool {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(head, &m); err != nil {
		return false
	}
	for _, k := range []string{"meds_version", "etl_name", "dataset_name", "created_at"} {
		if _, ok := m[k]; ok {
			return true
		}
	}
	return false
}

// Role is what a Parquet file of a MEDS dataset holds.
type Role int

// Roles of Parquet files.
const (
	RoleUnknown Role = iota
	RoleData         // events: subject_id, time, code (+ values, extensions)
	RoleCodes        // metadata/codes.parquet
	RoleSplits       // metadata/subject_splits.parquet
	RoleLabels       // a task's labels: subject_id, prediction_time
)

func (r Role) String() string {
	switch r {
	case RoleData:
		return "data"
	case RoleCodes:
		return "codes"
	case RoleSplits:
		return "subject_splits"
	case RoleLabels:
		return "labels"
	}
	return "unknown"
}

// RoleOf classifies a Parquet file by its column names (types are checked
// when the file is read, so that a data file with a wrong column type is
// claimed and reported rather than silently skipped).
func RoleOf(sc *schema.Schema) Role {
	has := make(map[string]bool, sc.Root().NumFields())
	for i := 0; i < sc.Root().NumFields(); i++ {
		has[sc.Root().Field(i).Name()] = true
	}
	switch {
	case has[ColSubjectID] && has[ColCode] && has[ColTime]:
		return RoleData
	case has[ColSubjectID] && has["split"]:
		return RoleSplits
	case has[ColSubjectID] && has["prediction_time"]:
		return RoleLabels
	case has[ColCode] && !has[ColSubjectID] && (has["description"] || has["parent_codes"]):
		return RoleCodes
	}
	return RoleUnknown
}

// parquetMagic starts (and ends) every Parquet file.
var parquetMagic = []byte("PAR1")

// probe opens a Parquet file's footer and classifies it. A file whose
// footer cannot be read returns ErrCorrupt.
func probe(path string) (role Role, err error) {
	defer func() {
		if r := recover(); r != nil {
			role, err = RoleUnknown, fmt.Errorf("%w: footer: %v", ErrCorrupt, r)
		}
	}()
	pf, err := file.OpenParquetFile(path, false)
	if err != nil {
		return RoleUnknown, fmt.Errorf("%w: %v", ErrCorrupt, err)
	}
	defer pf.Close()
	return RoleOf(pf.MetaData().Schema), nil
}

// datasetRoot returns the MEDS dataset root a file belongs to: the nearest
// ancestor directory holding metadata/dataset.json, or else the parent of
// the nearest ancestor directory named "data"; "" when the file is in
// neither.
func datasetRoot(path string) string {
	abs, err := filepath.Abs(path)
	if err != nil {
		return ""
	}
	dir := filepath.Dir(abs)
	dataParent := ""
	for i := 0; i < 16; i++ {
		if st, err := os.Stat(filepath.Join(dir, MetadataDir, DatasetFile)); err == nil && st.Mode().IsRegular() {
			return dir
		}
		if dir == dataParent {
			return dataParent
		}
		parent := filepath.Dir(dir)
		if dataParent == "" && filepath.Base(dir) == DataDir && parent != dir {
			dataParent = parent
		}
		if parent == dir {
			break
		}
		dir = parent
	}
	return dataParent
}

// SystemPrefix starts every identifier system this adapter derives.
const SystemPrefix = "meds:"

// systemFor derives the identifier system of a file's subject ids (see the
// package documentation): the namespace option when set; else "meds:" +
// dataset_name from the dataset's metadata/dataset.json; else "meds:" +
// the dataset root directory's name; else, for a file outside any dataset,
// "meds:" + the file name without its extension.
func systemFor(path, namespace string) string {
	if namespace != "" {
		return namespace
	}
	if root := datasetRoot(path); root != "" {
		if m, err := ReadDatasetMetadata(filepath.Join(root, MetadataDir, DatasetFile)); err == nil && strings.TrimSpace(m.DatasetName) != "" {
			return SystemPrefix + strings.TrimSpace(m.DatasetName)
		}
		return SystemPrefix + filepath.Base(root)
	}
	base := filepath.Base(path)
	return SystemPrefix + strings.TrimSuffix(base, filepath.Ext(base))
}

// FormatTime writes created_at as MEDS wants it (ISO 8601).
func FormatTime(t time.Time) string { return t.UTC().Format(time.RFC3339) }
