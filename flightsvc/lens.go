package flightsvc

import (
	"fmt"
	"slices"
	"strings"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"
	"github.com/apache/arrow/go/v15/arrow/memory"

	"github.com/medtwin/medtwin/pseudo"
)

// policy says how a column looks to a pseudonymised caller. Identified
// callers see every column as stored.
type policy int

const (
	plain    policy = iota // shown as is
	subject                // subject_id: the subject's pseudonym (utf8)
	shifted                // a time of the subject: moved by its date shift
	withheld               // identifying text: null
	token                  // identifying UID: a keyed token in a namespace
)

// column is one column of a dataset with its pseudonymisation policy.
type column struct {
	field  arrow.Field
	policy policy
	ns     string // token namespace
}

// columns is a dataset's internal layout: subject_id (int64) first.
type columns []column

func (cs columns) names() []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = c.field.Name
	}
	return out
}

func (cs columns) index(name string) int {
	return slices.IndexFunc(cs, func(c column) bool { return c.field.Name == name })
}

// project returns the indices of the named columns (all when names is
// empty), refusing unknown and repeated names.
func (cs columns) project(dataset string, names []string) ([]int, error) {
	if len(names) == 0 {
		idx := make([]int, len(cs))
		for i := range idx {
			idx[i] = i
		}
		return idx, nil
	}
	idx := make([]int, 0, len(names))
	for _, n := range names {
		i := cs.index(n)
		if i < 0 {
			return nil, fmt.Errorf("%w: dataset %s has no column %q (columns: %s)", ErrBadRequest, dataset, n, strings.Join(cs.names(), ", "))
		}
		if slices.Contains(idx, i) {
			return nil, fmt.Errorf("%w: column %q named twice", ErrBadRequest, n)
		}
		idx = append(idx, i)
	}
	return idx, nil
}

// lens turns a dataset's internal records into what one caller may see:
// the projected columns, pseudonymised for researchers.
type lens struct {
	cols   columns
	idx    []int // projected columns, in output order
	schema *arrow.Schema
	p      *pseudo.Pseudonymizer // nil: identified caller
	mem    memory.Allocator
}

func newLens(cols columns, idx []int, p *pseudo.Pseudonymizer, mem memory.Allocator) *lens {
	fields := make([]arrow.Field, len(idx))
	for i, j := range idx {
		f := cols[j].field
		if p != nil && cols[j].policy == subject {
			f.Type = arrow.BinaryTypes.String
		}
		if p != nil && cols[j].policy == withheld {
			f.Nullable = true
		}
		fields[i] = f
	}
	return &lens{cols: cols, idx: idx, schema: arrow.NewSchema(fields, nil), p: p, mem: mem}
}

// apply returns the record the caller sees (a new reference: release it).
// rec's first column is subject_id (int64), sorted so that one subject's
// rows are contiguous.
func (l *lens) apply(rec arrow.Record) (arrow.Record, error) {
	if rec.NumCols() != int64(len(l.cols)) {
		return nil, fmt.Errorf("flightsvc: record of %d columns, want %d", rec.NumCols(), len(l.cols))
	}
	n := int(rec.NumRows())
	out := make([]arrow.Array, len(l.idx))
	defer func() {
		for _, a := range out {
			if a != nil {
				a.Release()
			}
		}
	}()
	var subj *array.Int64
	if l.p != nil {
		subj = rec.Column(0).(*array.Int64)
	}
	for i, j := range l.idx {
		a := rec.Column(j)
		if l.p == nil {
			a.Retain()
			out[i] = a
			continue
		}
		switch c := l.cols[j]; c.policy {
		case plain:
			a.Retain()
			out[i] = a
		case subject:
			out[i] = l.pseudonyms(subj)
		case shifted:
			out[i] = l.shift(subj, a.(*array.Timestamp))
		case withheld:
			out[i] = array.MakeArrayOfNull(l.mem, c.field.Type, n)
		case token:
			out[i] = l.tokens(c.ns, a.(*array.String))
		}
	}
	return array.NewRecord(l.schema, out, int64(n)), nil
}

// runs calls fn for each run of rows of one subject.
func runs(subj *array.Int64, fn func(from, to int, s int64)) {
	n := subj.Len()
	for i := 0; i < n; {
		s := subj.Value(i)
		j := i + 1
		for j < n && subj.Value(j) == s {
			j++
		}
		fn(i, j, s)
		i = j
	}
}

func (l *lens) pseudonyms(subj *array.Int64) arrow.Array {
	b := array.NewStringBuilder(l.mem)
	defer b.Release()
	b.Reserve(subj.Len())
	b.ReserveData(subj.Len() * (len(pseudo.Prefix) + 24))
	runs(subj, func(from, to int, s int64) {
		ps := l.p.Subject(s)
		for i := from; i < to; i++ {
			b.Append(ps)
		}
	})
	return b.NewArray()
}

func (l *lens) shift(subj *array.Int64, a *array.Timestamp) arrow.Array {
	b := array.NewTimestampBuilder(l.mem, a.DataType().(*arrow.TimestampType))
	defer b.Release()
	b.Reserve(a.Len())
	vals := a.TimestampValues()
	runs(subj, func(from, to int, s int64) {
		d := arrow.Timestamp(l.p.Shift(s).Microseconds())
		for i := from; i < to; i++ {
			if a.IsNull(i) {
				b.AppendNull()
			} else {
				b.UnsafeAppend(vals[i] + d)
			}
		}
	})
	return b.NewArray()
}

func (l *lens) tokens(ns string, a *array.String) arrow.Array {
	b := array.NewStringBuilder(l.mem)
	defer b.Release()
	b.Reserve(a.Len())
	last, lastTok := "", ""
	for i := 0; i < a.Len(); i++ {
		if a.IsNull(i) || a.Value(i) == "" {
			b.AppendNull()
			continue
		}
		if v := a.Value(i); v != last {
			last, lastTok = strings.Clone(v), l.p.Token(ns, v)
		}
		b.Append(lastTok)
	}
	return b.NewArray()
}
