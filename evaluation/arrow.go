package evaluation

import (
	"fmt"
	"math"
	"time"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"
	"github.com/apache/arrow/go/v15/arrow/memory"

	"github.com/medtwin/medtwin/agreement"
	"github.com/medtwin/medtwin/timeline"
)

// Arrow tables of a report, for data scientists (Flight datasets, IPC).
const (
	// TablePairs: one row per output of the tool and per radiologist value
	// left unpaired, with both values, the pairing rule, version, site,
	// scanner and the two record keys.
	TablePairs = "ai_evaluation_pairs"
	// TableAgreement: one row per quantity and stratum (dimension "all",
	// version, site, scanner, month) with the pairing counts, Bland–Altman,
	// ICC and error figures.
	TableAgreement = "ai_evaluation_agreement"
	// TableChangePoints: one row per version or scanner change compared.
	TableChangePoints = "ai_evaluation_change_points"
	// TableCategories: reference × tool category counts per scheme and
	// version ("" = all versions).
	TableCategories = "ai_evaluation_categories"
	// TableLabels: one row per label, reference standard and version (""
	// = all) with the 2×2 counts and accuracy with Wilson intervals.
	TableLabels = "ai_evaluation_labels"
)

// Tables lists the report's Arrow tables.
func Tables() []string {
	return []string{TablePairs, TableAgreement, TableChangePoints, TableCategories, TableLabels}
}

func fstr(name string) arrow.Field {
	return arrow.Field{Name: name, Type: arrow.BinaryTypes.String, Nullable: true}
}
func ff64(name string) arrow.Field {
	return arrow.Field{Name: name, Type: arrow.PrimitiveTypes.Float64, Nullable: true}
}
func fi64(name string) arrow.Field { return arrow.Field{Name: name, Type: arrow.PrimitiveTypes.Int64} }
func fts(name string) arrow.Field {
	return arrow.Field{Name: name, Type: timeline.TimestampType, Nullable: true}
}

var schemas = map[string]*arrow.Schema{
	TablePairs: arrow.NewSchema([]arrow.Field{
		fi64("subject_id"), fstr("study_uid"), fts("time"), fstr("quantity"), fstr("unit"), fstr("algorithm"),
		fstr("version"), fstr("site"), fstr("scanner"), fstr("contrast"), fstr("status"), fstr("rule"), fstr("finding"),
		ff64("ai_value"), ff64("reference_value"), ff64("difference"), ff64("mean"), fi64("references"),
		{Name: "ai_record_key", Type: timeline.KeyType, Nullable: true},
		{Name: "reference_record_key", Type: timeline.KeyType, Nullable: true},
	}, nil),
	TableAgreement: arrow.NewSchema(append([]arrow.Field{
		fstr("algorithm"), fstr("quantity"), fstr("unit"), fstr("dimension"), fstr("stratum"), fts("first"), fts("last"),
		fi64("outputs"), fi64("paired"), fi64("ai_only"), fi64("reference_only"), fi64("n"),
		ff64("bias"), ff64("sd"), ff64("loa_lower"), ff64("loa_upper"), ff64("bias_ci_lower"), ff64("bias_ci_upper"),
		ff64("loa_lower_ci_lower"), ff64("loa_lower_ci_upper"), ff64("loa_upper_ci_lower"), ff64("loa_upper_ci_upper"),
		ff64("icc21"), ff64("icc21_ci_lower"), ff64("icc21_ci_upper"), ff64("icc31"), ff64("icc31_ci_lower"), ff64("icc31_ci_upper"),
		ff64("mae"), ff64("rmse"), ff64("mre")}, fstr("not_computable")), nil),
	TableChangePoints: arrow.NewSchema([]arrow.Field{
		fstr("algorithm"), fstr("quantity"), fstr("dimension"), fstr("from"), fstr("to"), fts("at"),
		fi64("n_before"), fi64("n_after"), ff64("bias_before"), ff64("bias_after"), ff64("bias_change"),
		ff64("bias_change_ci_lower"), ff64("bias_change_ci_upper"), ff64("p_bias"), ff64("variance_ratio"), ff64("p_variance"),
		{Name: "flagged", Type: arrow.FixedWidthTypes.Boolean}, fstr("reason"),
	}, nil),
	TableCategories: arrow.NewSchema([]arrow.Field{
		fstr("algorithm"), fstr("scheme"), fstr("version"), fstr("reference_category"), fstr("ai_category"), fi64("n"),
	}, nil),
	TableLabels: arrow.NewSchema([]arrow.Field{
		fstr("algorithm"), fstr("label"), fstr("reference"), fstr("level"), fstr("quantity"), fstr("version"),
		fi64("tp"), fi64("fp"), fi64("fn"), fi64("tn"),
		ff64("sensitivity"), ff64("sensitivity_ci_lower"), ff64("sensitivity_ci_upper"),
		ff64("specificity"), ff64("specificity_ci_lower"), ff64("specificity_ci_upper"),
		ff64("ppv"), ff64("ppv_ci_lower"), ff64("ppv_ci_upper"),
		ff64("npv"), ff64("npv_ci_lower"), ff64("npv_ci_upper"),
	}, nil),
}

// Schema returns a table's Arrow schema.
func Schema(table string) (*arrow.Schema, bool) {
	s, ok := schemas[table]
	return s, ok
}

// row appends one row cell by cell.
type row struct {
	b *array.RecordBuilder
	i int
}

func (r *row) next() array.Builder { f := r.b.Field(r.i); r.i++; return f }
func (r *row) str(s string) {
	b := r.next().(*array.StringBuilder)
	if s == "" {
		b.AppendNull()
	} else {
		b.Append(s)
	}
}
func (r *row) f64(v float64) {
	b := r.next().(*array.Float64Builder)
	if math.IsNaN(v) || math.IsInf(v, 0) {
		b.AppendNull()
	} else {
		b.Append(v)
	}
}
func (r *row) i64(v int64) { r.next().(*array.Int64Builder).Append(v) }
func (r *row) ts(t time.Time) {
	b := r.next().(*array.TimestampBuilder)
	if t.IsZero() {
		b.AppendNull()
	} else {
		b.Append(arrow.Timestamp(t.UnixMicro()))
	}
}
func (r *row) key(k timeline.Key) {
	b := r.next().(*array.FixedSizeBinaryBuilder)
	if k.IsZero() {
		b.AppendNull()
	} else {
		b.Append(k[:])
	}
}
func (r *row) flag(v bool) { r.next().(*array.BooleanBuilder).Append(v) }
func (r *row) interval(i agreement.Interval) {
	r.f64(i.Lower)
	r.f64(i.Upper)
}
func (r *row) prop(p agreement.Proportion) {
	r.f64(p.Estimate)
	r.interval(p.CI)
}

// Record builds one of the report's tables (see Tables). The caller
// releases it.
func (r *Report) Record(mem memory.Allocator, table string) (arrow.Record, error) {
	schema, ok := schemas[table]
	if !ok {
		return nil, fmt.Errorf("%w: no table %q", ErrOptions, table)
	}
	if mem == nil {
		mem = memory.DefaultAllocator
	}
	b := array.NewRecordBuilder(mem, schema)
	defer b.Release()
	switch table {
	case TablePairs:
		for i := range r.Pairs {
			p := &r.Pairs[i]
			w := row{b: b}
			w.i64(p.Subject)
			w.str(p.Study)
			w.ts(p.Time)
			w.str(p.Quantity)
			w.str(p.Unit)
			w.str(r.Algorithm)
			w.str(p.Version)
			w.str(p.Site)
			w.str(p.Scanner)
			w.str(p.Contrast)
			w.str(p.Status)
			w.str(p.Rule)
			w.str(p.Finding)
			w.f64(p.AI)
			w.f64(p.Reference)
			w.f64(p.AI - p.Reference)
			w.f64((p.AI + p.Reference) / 2)
			w.i64(int64(p.References))
			w.key(p.AIKey)
			w.key(p.ReferenceKey)
		}
	case TableAgreement:
		for _, q := range r.Quantities {
			all := Stratum{Dimension: "all", Value: "all", Pairing: q.Pairing, Agreement: q.Overall}
			if len(q.ByMonth) > 0 {
				all.First, all.Last = q.ByMonth[0].First, q.ByMonth[len(q.ByMonth)-1].Last
			}
			strata := append([]Stratum{all}, q.ByVersion...)
			strata = append(append(append(strata, q.BySite...), q.ByScanner...), q.ByMonth...)
			for _, s := range strata {
				w := row{b: b}
				w.str(r.Algorithm)
				w.str(q.Quantity)
				w.str(q.Unit)
				w.str(s.Dimension)
				w.str(s.Value)
				w.ts(s.First)
				w.ts(s.Last)
				w.i64(int64(s.Pairing.Outputs))
				w.i64(int64(s.Pairing.Paired))
				w.i64(int64(s.Pairing.AIOnly))
				w.i64(int64(s.Pairing.ReferenceOnly))
				w.i64(int64(s.N))
				ba := s.BlandAltman
				if ba == nil {
					nan := math.NaN()
					ba = &agreement.BA{Bias: nan, SD: nan, Lower: nan, Upper: nan, BiasCI: agreement.Interval{Lower: nan, Upper: nan},
						LowerCI: agreement.Interval{Lower: nan, Upper: nan}, UpperCI: agreement.Interval{Lower: nan, Upper: nan}}
				}
				w.f64(ba.Bias)
				w.f64(ba.SD)
				w.f64(ba.Lower)
				w.f64(ba.Upper)
				w.interval(ba.BiasCI)
				w.interval(ba.LowerCI)
				w.interval(ba.UpperCI)
				for _, icc := range []*agreement.ICC{s.ICC21, s.ICC31} {
					if icc == nil {
						w.f64(math.NaN())
						w.interval(agreement.Interval{Lower: math.NaN(), Upper: math.NaN()})
						continue
					}
					w.f64(icc.Value)
					w.interval(icc.CI)
				}
				e := s.Errors
				if e == nil {
					e = &agreement.ErrorSummary{MAE: math.NaN(), RMSE: math.NaN(), MRE: math.NaN()}
				}
				w.f64(e.MAE)
				w.f64(e.RMSE)
				w.f64(e.MRE)
				w.str(s.NotComputable)
			}
		}
	case TableChangePoints:
		for _, q := range r.Quantities {
			for _, c := range q.ChangePoints {
				w := row{b: b}
				w.str(r.Algorithm)
				w.str(q.Quantity)
				w.str(c.Dimension)
				w.str(c.From)
				w.str(c.To)
				w.ts(c.At)
				w.i64(int64(c.Bias.NA))
				w.i64(int64(c.Bias.NB))
				w.f64(c.Bias.MeanA)
				w.f64(c.Bias.MeanB)
				w.f64(c.Bias.Diff)
				w.interval(c.Bias.CI)
				w.f64(c.Bias.P)
				w.f64(c.Spread.Ratio)
				w.f64(c.Spread.P)
				w.flag(c.Flagged)
				w.str(c.Reason)
			}
		}
	case TableCategories:
		for _, c := range r.Categories {
			for _, cell := range c.Confusion {
				w := row{b: b}
				w.str(r.Algorithm)
				w.str(c.Scheme)
				w.str("")
				w.str(cell.Reference)
				w.str(cell.AI)
				w.i64(int64(cell.N))
			}
		}
		// Per version: counted from the cases.
		type k struct{ scheme, version, ref, ai string }
		counts := map[k]int{}
		var order []k
		for _, cc := range r.CategoryCases {
			key := k{cc.Scheme, cc.Version, cc.Reference, cc.AI}
			if _, ok := counts[key]; !ok {
				order = append(order, key)
			}
			counts[key]++
		}
		for _, key := range order {
			w := row{b: b}
			w.str(r.Algorithm)
			w.str(key.scheme)
			w.str(key.version)
			w.str(key.ref)
			w.str(key.ai)
			w.i64(int64(counts[key]))
		}
	case TableLabels:
		emit := func(l *LabelReport, version string, c agreement.Confusion, a agreement.Accuracy) {
			w := row{b: b}
			w.str(r.Algorithm)
			w.str(l.Label)
			w.str(l.Reference)
			w.str(l.Level)
			w.str(l.Quantity)
			w.str(version)
			w.i64(int64(c.TP))
			w.i64(int64(c.FP))
			w.i64(int64(c.FN))
			w.i64(int64(c.TN))
			w.prop(a.Sensitivity)
			w.prop(a.Specificity)
			w.prop(a.PPV)
			w.prop(a.NPV)
		}
		for i := range r.Labels {
			l := &r.Labels[i]
			emit(l, "", l.Confusion, l.Accuracy)
			for _, v := range l.ByVersion {
				emit(l, v.Version, v.Confusion, v.Accuracy)
			}
		}
	}
	return b.NewRecord(), nil
}
