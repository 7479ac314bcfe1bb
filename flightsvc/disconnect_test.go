package flightsvc

import (
	"context"
	"errors"
	"io"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/apache/arrow/go/v15/arrow/array"
	"github.com/apache/arrow/go/v15/arrow/flight"
	"go.uber.org/goleak"

	"github.com/medtwin/medtwin/store"
	"github.com/medtwin/medtwin/timeline"
)

// countingStore counts the store readers open.
type countingStore struct {
	store.Store
	open atomic.Int64
}

type countedReader struct {
	array.RecordReader
	s    *countingStore
	done atomic.Bool
}

func (r *countedReader) Release() {
	if r.done.CompareAndSwap(false, true) {
		r.s.open.Add(-1)
	}
	r.RecordReader.Release()
}

func (s *countingStore) count(rr array.RecordReader, err error) (array.RecordReader, error) {
	if err != nil {
		return nil, err
	}
	s.open.Add(1)
	return &countedReader{RecordReader: rr, s: s}, nil
}

func (s *countingStore) Scan(ctx context.Context, c store.Cohort, f store.Filter) (array.RecordReader, error) {
	return s.count(s.Store.Scan(ctx, c, f))
}

func (s *countingStore) Details(ctx context.Context, t timeline.DetailTable, c store.Cohort, f store.Filter) (array.RecordReader, error) {
	return s.count(s.Store.Details(ctx, t, c, f))
}

// waitIdle waits until no stream runs and no store reader is open.
func waitIdle(t *testing.T, e *env, cs *countingStore) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for e.svc.Active() != 0 || cs.open.Load() != 0 {
		if time.Now().After(deadline) {
			t.Fatalf("after the client left: %d streams, %d store readers still open", e.svc.Active(), cs.open.Load())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// A client that goes away mid-stream: the server cancels the scan and
// releases every resource (streams, store readers, goroutines), over
// Flight and over HTTP, for a row dataset and a joined one.
func TestClientDisconnect(t *testing.T) {
	cs := &countingStore{}
	e := newEnv(t, envOptions{patients: 30, labs: 300, limits: Limits{BatchRows: 16, Endpoints: 1},
		wrap: func(s store.Store) store.Store { cs.Store = s; return cs }})
	// Warm up the client connection, so its goroutines are in the baseline.
	if _, err := e.client.GetFlightInfo(withToken(bg, tokAdmin), cmd(`{"dataset":"timeline"}`)); err != nil {
		t.Fatal(err)
	}
	base := goleak.IgnoreCurrent()

	for _, ds := range []string{"timeline", "lesions"} {
		ctx, cancel := context.WithCancel(withToken(bg, tokAdmin))
		stream, err := e.client.DoGet(ctx, &flight.Ticket{Ticket: []byte(`{"dataset":"` + ds + `"}`)})
		if err != nil {
			t.Fatal(err)
		}
		rdr, err := flight.NewRecordReader(stream)
		if err != nil {
			t.Fatal(err)
		}
		if !rdr.Next() {
			t.Fatalf("%s: no first batch: %v", ds, rdr.Err())
		}
		// The timeline (9,000 rows) outgrows gRPC's flow-control window:
		// its stream is still running. The 30 lesion rows may be sent whole.
		if ds == "timeline" && e.svc.Active() != 1 {
			t.Fatalf("%s: %d active streams", ds, e.svc.Active())
		}
		cancel()
		rdr.Release()
		waitIdle(t, e, cs)
	}

	// HTTP: read a little, then hang up.
	ctx, cancel := context.WithCancel(bg)
	req, _ := http.NewRequestWithContext(ctx, "GET", e.http.URL+"/arrow/timeline", nil)
	req.Header.Set("Authorization", "Bearer "+tokAdmin)
	resp, err := e.http.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 4096)
	if _, err := io.ReadFull(resp.Body, buf); err != nil {
		t.Fatal(err)
	}
	cancel()
	resp.Body.Close()
	waitIdle(t, e, cs)
	e.http.CloseClientConnections()
	goleak.VerifyNone(t, base)

	// The server still serves afterwards.
	if _, rows, _ := e.pull(tokAdmin, `{"dataset":"lesions"}`); len(rows) != 30 {
		t.Fatalf("after disconnects: %d lesion rows", len(rows))
	}
	if cs.open.Load() != 0 {
		t.Fatalf("%d readers open after a complete read", cs.open.Load())
	}
}

// A failed audit write withholds the data: the stream ends with an error
// before the batch is sent.
func TestAuditFailureWithholdsData(t *testing.T) {
	fs := &failingAudit{}
	e := newEnv(t, envOptions{patients: 3, wrap: func(s store.Store) store.Store { fs.Store = s; return fs }})
	rows, _, err := e.doGet(withToken(bg, tokAdmin), []byte(`{"dataset":"timeline"}`))
	if err == nil || len(rows) != 0 {
		t.Fatalf("got %d rows, err %v; want none and an error", len(rows), err)
	}
	code, _, _, _ := e.get(tokAdmin, "/arrow/timeline")
	if code != http.StatusInternalServerError {
		t.Fatalf("HTTP: %d", code)
	}
}

type failingAudit struct{ store.Store }

func (failingAudit) WriteAudit(context.Context, ...store.AuditEntry) error {
	return errors.New("disk full")
}

// Many concurrent streams on PostgreSQL's default pool (4 connections on a
// 2-core machine): each stream holds at most one connection at a time and
// writes its audit entries before reading, so none waits on another's
// connection and all complete.
func TestConcurrentStreamsSmallPool(t *testing.T) {
	e := newEnv(t, envOptions{backend: "postgres", patients: 20, labs: 30, limits: Limits{BatchRows: 32, Endpoints: 4}})
	descs := []string{`{"dataset":"timeline"}`, `{"dataset":"lesions"}`, `{"dataset":"imaging_features"}`,
		`{"dataset":"liver_features","as_of":"2020-03-01"}`, `{"dataset":"pneumonia_features","as_of":"2020-03-01"}`}
	done := make(chan error, 3*len(descs))
	for i := 0; i < 3; i++ {
		for _, d := range descs {
			go func(d string) {
				ctx, cancel := context.WithTimeout(withToken(bg, tokAdmin), 60*time.Second)
				defer cancel()
				info, err := e.client.GetFlightInfo(ctx, cmd(d))
				if err != nil {
					done <- err
					return
				}
				errs := make(chan error, len(info.Endpoint))
				for _, ep := range info.Endpoint {
					go func(tk []byte) { _, _, err := e.doGet(ctx, tk); errs <- err }(ep.Ticket.Ticket)
				}
				for range info.Endpoint {
					if err := <-errs; err != nil {
						done <- err
						return
					}
				}
				done <- nil
			}(d)
		}
	}
	for i := 0; i < cap(done); i++ {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
}
