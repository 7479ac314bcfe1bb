package timeline

import (
	"github.com/apache/arrow/go/v15/arrow"
)

// Arrow types shared by the schemas.
var (
	// TimestampType is timestamp[us, UTC], the type of every time column.
	TimestampType = &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}
	// KindType is dictionary<int8, utf8>. Every record built here uses the
	// same fixed dictionary (the kinds in order), so IPC streams never need
	// a dictionary replacement between batches.
	KindType = &arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Int8, ValueType: arrow.BinaryTypes.String}
	// KeyType is fixed_size_binary(16), the record key.
	KeyType = &arrow.FixedSizeBinaryType{ByteWidth: KeySize}
)

// Column indices of the event schema.
const (
	ColSubjectID = iota
	ColTime
	ColCode
	ColNumericValue
	ColTextValue
	ColUnit
	ColKind
	ColEndTime
	ColSource
	ColRecordKey
	ColSupersededAt
	ColAvailableAt
	ColRecordedAt
	ColSourceVersion
	numEventCols
)

// EventSchema is the timeline schema (DESIGN.md §2). Its first five columns
// are the MEDS core; source_version (an addition to the design) orders
// versions of one source record so that an older version arriving late never
// supersedes a newer one.
var EventSchema = arrow.NewSchema([]arrow.Field{
	{Name: "subject_id", Type: arrow.PrimitiveTypes.Int64},
	{Name: "time", Type: TimestampType, Nullable: true},
	{Name: "code", Type: arrow.BinaryTypes.String},
	{Name: "numeric_value", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
	{Name: "text_value", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: "unit", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: "kind", Type: KindType},
	{Name: "end_time", Type: TimestampType, Nullable: true},
	{Name: "source", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: "record_key", Type: KeyType},
	{Name: "superseded_at", Type: TimestampType, Nullable: true},
	{Name: "available_at", Type: TimestampType, Nullable: true},
	{Name: "recorded_at", Type: TimestampType},
	{Name: "source_version", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
}, nil)

// DetailTable names a typed detail table that hangs off events.
type DetailTable string

// The detail tables.
const (
	Variants DetailTable = "variants"
	Imaging  DetailTable = "imaging"
	Lesions  DetailTable = "lesions"
)

// DetailTables lists the detail tables in a stable order.
func DetailTables() []DetailTable { return []DetailTable{Variants, Imaging, Lesions} }

// Schema returns the Arrow schema of a detail table. Every detail schema
// starts with subject_id and record_key, the key of the event it belongs to.
func (t DetailTable) Schema() *arrow.Schema {
	switch t {
	case Variants:
		return VariantSchema
	case Imaging:
		return ImagingSchema
	case Lesions:
		return LesionSchema
	}
	return nil
}

func str(name string) arrow.Field {
	return arrow.Field{Name: name, Type: arrow.BinaryTypes.String, Nullable: true}
}
func f64(name string) arrow.Field {
	return arrow.Field{Name: name, Type: arrow.PrimitiveTypes.Float64, Nullable: true}
}
func i32(name string) arrow.Field {
	return arrow.Field{Name: name, Type: arrow.PrimitiveTypes.Int32, Nullable: true}
}
func i64(name string) arrow.Field {
	return arrow.Field{Name: name, Type: arrow.PrimitiveTypes.Int64, Nullable: true}
}
func boolean(name string) arrow.Field {
	return arrow.Field{Name: name, Type: arrow.FixedWidthTypes.Boolean, Nullable: true}
}

var detailKey = []arrow.Field{
	{Name: "subject_id", Type: arrow.PrimitiveTypes.Int64},
	{Name: "record_key", Type: KeyType},
}

// VariantSchema is the variants detail table: one row per (sample, allele).
var VariantSchema = arrow.NewSchema(append(append([]arrow.Field{}, detailKey...),
	str("sample"), str("assembly"), str("chrom"), i64("pos"), str("ref"), str("alt"),
	str("rsid"), f64("qual"), str("filter"), str("genotype"), str("zygosity"),
	i32("depth"), i32("alt_depth"), f64("allele_fraction"), str("origin"),
	str("gene"), str("consequence"), str("impact"), str("hgvs_c"), str("hgvs_p"),
	str("transcript"), str("clinical_significance"), str("annotations"),
), nil)

// ImagingSchema is the imaging detail table: one row per series (for
// imaging_study events) or per feature (for imaging_feature events).
var ImagingSchema = arrow.NewSchema(append(append([]arrow.Field{}, detailKey...),
	str("study_uid"), str("series_uid"), str("instance_uid"), str("modality"),
	str("body_part"), str("series_description"), str("manufacturer"),
	i32("instances"), i32("rows"), i32("columns"),
	f64("pixel_spacing_row"), f64("pixel_spacing_col"), f64("slice_thickness"),
	f64("slice_spacing"), str("orientation"), str("contrast"),
	f64("rescale_slope"), f64("rescale_intercept"),
	str("algorithm"), str("algorithm_version"), str("roi"), str("finding_site"),
	str("tracking_uid"), str("settings"),
), nil)

// LesionSchema is the lesions detail table: one row per lesion measurement.
var LesionSchema = arrow.NewSchema(append(append([]arrow.Field{}, detailKey...),
	str("lesion_id"), str("study_uid"), str("site"), str("site_code"),
	f64("long_axis_mm"), f64("short_axis_mm"), boolean("is_node"),
	boolean("target"), boolean("too_small"),
	f64("x_mm"), f64("y_mm"), f64("z_mm"),
	str("observer"), str("algorithm"), str("algorithm_version"),
), nil)
