package export

import (
	"context"
	"encoding/base64"
	"fmt"
	"io"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/flight"
	"github.com/apache/arrow/go/v15/arrow/memory"
	"github.com/apache/arrow/go/v15/parquet"
	"github.com/apache/arrow/go/v15/parquet/file"
	"github.com/apache/arrow/go/v15/parquet/metadata"
	"github.com/apache/arrow/go/v15/parquet/pqarrow"
	"github.com/apache/arrow/go/v15/parquet/schema"
)

// recordWriter writes records to one Parquet file, cutting row groups at
// the writer properties' maximum length.
type recordWriter interface {
	Write(rec arrow.Record) error
	Close() error
}

// pqWriter adapts pqarrow's FileWriter: a record of at least half a row
// group becomes row groups of its own (cheaper: no growing in-memory row
// group to copy), smaller ones accumulate into a buffered row group.
type pqWriter struct {
	*pqarrow.FileWriter
	half     int64
	buffered bool // the open row group is a buffered one
}

func (w *pqWriter) Write(rec arrow.Record) error {
	if rec.NumRows() >= w.half {
		w.buffered = false
		return w.FileWriter.Write(rec)
	}
	if !w.buffered {
		// WriteBuffered would append to a serial row group left by Write.
		w.NewBufferedRowGroup()
		w.buffered = true
	}
	return w.WriteBuffered(rec)
}

// flatWriter writes records of a flat schema (no nested columns) through
// Parquet's column writers, with the Parquet schema pqarrow derives except
// for time-zone-naive timestamps: pqarrow v15 marks every timestamp
// isAdjustedToUTC=true, so readers would see MEDS's naive timestamp[us] as
// timestamp[us, UTC]; here they are written isAdjustedToUTC=false, as
// Arrow C++ (pyarrow, polars, DuckDB) writes and expects them.
type flatWriter struct {
	ctx    context.Context
	fw     *file.Writer
	schema *arrow.Schema
	rgw    file.BufferedRowGroupWriter
	rgRows int64
	maxRG  int64
	def    []int16
}

func newFlatWriter(w io.Writer, sc *arrow.Schema, props *parquet.WriterProperties, aprops pqarrow.ArrowWriterProperties) (*flatWriter, error) {
	pqs, err := pqarrow.ToParquet(sc, props, aprops)
	if err != nil {
		return nil, err
	}
	root := pqs.Root()
	fields := make([]schema.Node, root.NumFields())
	for i := range fields {
		n := root.Field(i)
		if ts, ok := sc.Field(i).Type.(*arrow.TimestampType); ok && ts.TimeZone == "" {
			p, ok := n.(*schema.PrimitiveNode)
			if !ok {
				return nil, fmt.Errorf("column %s: not a primitive node", sc.Field(i).Name)
			}
			unit := map[arrow.TimeUnit]schema.TimeUnitType{arrow.Millisecond: schema.TimeUnitMillis,
				arrow.Microsecond: schema.TimeUnitMicros, arrow.Nanosecond: schema.TimeUnitNanos}[ts.Unit]
			if n, err = schema.NewPrimitiveNodeLogical(p.Name(), p.RepetitionType(), schema.NewTimestampLogicalTypeForce(false, unit),
				parquet.Types.Int64, -1, p.FieldID()); err != nil {
				return nil, err
			}
		}
		if _, ok := n.(*schema.PrimitiveNode); !ok {
			return nil, fmt.Errorf("column %s: nested columns are not supported here", sc.Field(i).Name)
		}
		fields[i] = n
	}
	group, err := schema.NewGroupNode(root.Name(), root.RepetitionType(), fields, root.FieldID())
	if err != nil {
		return nil, err
	}
	meta := metadata.KeyValueMetadata{}
	meta.Append("ARROW:schema", base64.StdEncoding.EncodeToString(flight.SerializeSchema(sc, memory.DefaultAllocator)))
	return &flatWriter{
		ctx:    pqarrow.NewArrowWriteContext(context.Background(), &aprops),
		fw:     file.NewParquetWriter(w, group, file.WithWriterProps(props), file.WithWriteMetadata(meta)),
		schema: sc,
		maxRG:  props.MaxRowGroupLength(),
	}, nil
}

func (f *flatWriter) Write(rec arrow.Record) error {
	if !rec.Schema().Equal(f.schema) {
		return fmt.Errorf("record schema does not match the writer's")
	}
	n := rec.NumRows()
	for off := int64(0); off < n; {
		if f.rgw == nil {
			f.rgw, f.rgRows = f.fw.AppendBufferedRowGroup(), 0
		}
		take := min(n-off, f.maxRG-f.rgRows)
		if err := f.writeSlice(rec, off, off+take); err != nil {
			return err
		}
		off += take
		f.rgRows += take
		if f.rgRows >= f.maxRG {
			if err := f.rgw.Close(); err != nil {
				return err
			}
			f.rgw = nil
		}
	}
	return nil
}

func (f *flatWriter) writeSlice(rec arrow.Record, from, to int64) error {
	part := rec
	if from != 0 || to != rec.NumRows() {
		part = rec.NewSlice(from, to)
		defer part.Release()
	}
	for i, col := range part.Columns() {
		cw, err := f.rgw.Column(i)
		if err != nil {
			return err
		}
		var def []int16
		nullable := f.schema.Field(i).Nullable
		if nullable {
			def = f.defLevels(col)
		}
		if err := pqarrow.WriteArrowToColumn(f.ctx, cw, col, def, nil, nullable); err != nil {
			return fmt.Errorf("column %s: %w", f.schema.Field(i).Name, err)
		}
	}
	return nil
}

// defLevels are 1 for a value, 0 for a null.
func (f *flatWriter) defLevels(a arrow.Array) []int16 {
	n := a.Len()
	if cap(f.def) < n {
		f.def = make([]int16, n)
	}
	def := f.def[:n]
	nulls := a.NullN() > 0
	for i := range def {
		if nulls && a.IsNull(i) {
			def[i] = 0
		} else {
			def[i] = 1
		}
	}
	return def
}

func (f *flatWriter) Close() error {
	if f.rgw != nil {
		if err := f.rgw.Close(); err != nil {
			f.fw.Close()
			return err
		}
		f.rgw = nil
	}
	return f.fw.Close()
}
