package flightsvc

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"
	"github.com/apache/arrow/go/v15/arrow/flight"
	"github.com/apache/arrow/go/v15/arrow/memory"

	"github.com/medtwin/medtwin/store"
)

// chunkRecord builds rows of an int64, a nullable string of uneven
// lengths (row i holds i*37 mod 500 bytes, every 7th null) and a 16-byte
// key: an IPC body of 8 + 4 + len + 16 bytes per row, plus validity bits.
func chunkRecord(mem memory.Allocator, n int) (arrow.Record, []int) {
	sc := arrow.NewSchema([]arrow.Field{
		{Name: "id", Type: arrow.PrimitiveTypes.Int64},
		{Name: "text", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "key", Type: &arrow.FixedSizeBinaryType{ByteWidth: 16}},
	}, nil)
	b := array.NewRecordBuilder(mem, sc)
	defer b.Release()
	sizes := make([]int, n)
	for i := range n {
		b.Field(0).(*array.Int64Builder).Append(int64(i))
		l := i * 37 % 500
		if i%7 == 0 {
			b.Field(1).(*array.StringBuilder).AppendNull()
			l = 0
		} else {
			b.Field(1).(*array.StringBuilder).Append(strings.Repeat(string(rune('a'+i%26)), l))
		}
		b.Field(2).(*array.FixedSizeBinaryBuilder).Append([]byte(fmt.Sprintf("%016d", i)))
		sizes[i] = 8 + 4 + l + 16
	}
	return b.NewRecord(), sizes
}

func TestChunks(t *testing.T) {
	for _, tc := range []struct {
		name   string
		rows   int
		limit  int64
		chunks int // expected count; 0: more than one
	}{
		{"no limit", 1000, 0, 1},
		{"fits", 1000, 1 << 20, 1},
		{"split", 1000, 4096, 0},
		{"rows wider than the limit go alone", 300, 100, 0},
		{"one row", 1, 10, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
			defer mem.AssertSize(t, 0)
			rec, sizes := chunkRecord(mem, tc.rows)
			defer rec.Release()
			var got []string
			n, at := 0, 0
			err := chunks(rec, tc.limit, func(part arrow.Record) error {
				n++
				rows := int(part.NumRows())
				if rows == 0 {
					t.Fatalf("chunk %d is empty", n)
				}
				bytes := 0
				for _, s := range sizes[at : at+rows] {
					bytes += s
				}
				if tc.limit > 0 && rows > 1 && int64(bytes) > tc.limit {
					t.Errorf("chunk %d: %d rows of %d bytes, over the limit %d", n, rows, bytes, tc.limit)
				}
				at += rows
				got = append(got, rowsOf(part)...)
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if want := rowsOf(rec); !slices.Equal(got, want) {
				t.Fatalf("the chunks hold %d rows, not the record's %d in order", len(got), len(want))
			}
			if (tc.chunks == 0 && n < 2) || (tc.chunks > 0 && n != tc.chunks) {
				t.Errorf("%d chunks, want %d (0: several)", n, tc.chunks)
			}
		})
	}
}

// recordingStream keeps the sizes of the Flight messages it yields.
type recordingStream struct {
	flight.FlightService_DoGetClient
	bodies *[]int
}

func (s recordingStream) Recv() (*flight.FlightData, error) {
	fd, err := s.FlightService_DoGetClient.Recv()
	if fd != nil {
		*s.bodies = append(*s.bodies, len(fd.DataBody))
	}
	return fd, err
}

// Records wider than Limits.MessageBytes reach the client in slices, each
// message within the bound (gRPC clients refuse messages over 4 MiB by
// default), and the rows are exactly the store's.
func TestFlightMessagesBounded(t *testing.T) {
	const limit = 8 << 10
	e := newEnv(t, envOptions{patients: 12, labs: 60, limits: Limits{BatchRows: 5000, MessageBytes: limit}})
	stream, err := e.client.DoGet(withToken(bg, tokAdmin), &flight.Ticket{Ticket: []byte(`{"dataset":"timeline"}`)})
	if err != nil {
		t.Fatal(err)
	}
	var bodies []int
	rdr, err := flight.NewRecordReader(recordingStream{stream, &bodies})
	if err != nil {
		t.Fatal(err)
	}
	defer rdr.Release()
	rows := readAll(t, rdr)
	if want := e.scanRows(store.Cohort{}, store.Filter{}); !slices.Equal(rows, want) {
		t.Fatalf("%d rows, want the store's %d", len(rows), len(want))
	}
	batches := 0
	for _, b := range bodies {
		// Each of the 14 columns' buffers is padded to 64 bytes.
		if b > limit+14*3*64 {
			t.Errorf("a message body of %d bytes, over the %d-byte bound", b, limit)
		}
		if b > 0 {
			batches++
		}
	}
	if batches < 10 {
		t.Errorf("%d record messages for %d rows: the records were not split", batches, len(rows))
	}
}
