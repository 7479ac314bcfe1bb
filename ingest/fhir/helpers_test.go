package fhir_test

import (
	"context"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/apache/arrow/go/v15/arrow/memory"

	"github.com/medtwin/medtwin/ingest"
	"github.com/medtwin/medtwin/ingest/fhir"
	"github.com/medtwin/medtwin/store/sqlite"
	"github.com/medtwin/medtwin/timeline"
)

// mapResolver is an in-memory identifier → subject map with the store's
// semantics (several subjects named at once are merged into the lowest).
type mapResolver struct {
	mu   sync.Mutex
	ids  map[timeline.Identifier]int64
	next int64
}

func newMapResolver() *mapResolver { return &mapResolver{ids: map[timeline.Identifier]int64{}} }

func (r *mapResolver) Resolve(_ context.Context, ids ...timeline.Identifier) (int64, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	var s int64
	for _, id := range ids {
		if x, ok := r.ids[id]; ok && (s == 0 || x < s) {
			s = x
		}
	}
	if s == 0 {
		r.next++
		s = r.next
	}
	for _, id := range ids {
		if old, ok := r.ids[id]; ok && old != s {
			for k, v := range r.ids { // merge
				if v == old {
					r.ids[k] = s
				}
			}
		}
		r.ids[id] = s
	}
	return s, nil
}

func (r *mapResolver) subject(id timeline.Identifier) int64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.ids[id]
}

// captured is what the adapter handed one file's sink.
type captured struct {
	mu       sync.Mutex
	events   []timeline.Event
	lesions  []timeline.LesionDetail
	imaging  []timeline.ImagingDetail
	rejects  []*ingest.ParseError
	skips    map[string]int64
	batches  int
	done     bool
	err      error
	rejected int64
}

func (c *captured) Write(_ context.Context, b *timeline.Batch) error {
	defer b.Release()
	c.mu.Lock()
	defer c.mu.Unlock()
	c.batches++
	evs, err := timeline.Events(b.Events)
	if err != nil {
		return err
	}
	c.events = append(c.events, evs...)
	if b.Lesions != nil {
		ls, err := timeline.LesionsOf(b.Lesions)
		if err != nil {
			return err
		}
		c.lesions = append(c.lesions, ls...)
	}
	if b.Imaging != nil {
		im, err := timeline.ImagingOf(b.Imaging)
		if err != nil {
			return err
		}
		c.imaging = append(c.imaging, im...)
	}
	return nil
}

func (c *captured) Reject(err *ingest.ParseError) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.rejected++
	c.rejects = append(c.rejects, err)
}

func (c *captured) Skip(cat string, n int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.skips[cat] += n
}

func (c *captured) Done(err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.done, c.err = true, err
}

type captureSink struct {
	mu    sync.Mutex
	files map[string]*captured // by Input.Name
}

func (s *captureSink) File(in *ingest.Input) ingest.FileSink {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.files == nil {
		s.files = map[string]*captured{}
	}
	c, ok := s.files[in.Name]
	if !ok {
		c = &captured{skips: map[string]int64{}}
		s.files[in.Name] = c
	}
	return c
}

// testNow is the clock of tests: after every date in the shared files.
var testNow = time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)

func testEnv(t testing.TB, res ingest.Resolver) *ingest.Env {
	return &ingest.Env{
		Mem: memory.DefaultAllocator, Resolver: res, Codes: timeline.DefaultCodes(),
		Now: func() time.Time { return testNow },
	}
}

// runAdapter runs the adapter over files (paths) with an in-memory resolver
// and returns what each file's sink got, by base name.
func runAdapter(t testing.TB, env *ingest.Env, paths ...string) map[string]*captured {
	t.Helper()
	return runWith(t, fhir.New(), env, paths...)
}

func runWith(t testing.TB, a *fhir.Adapter, env *ingest.Env, paths ...string) map[string]*captured {
	t.Helper()
	var ins []*ingest.Input
	for _, p := range paths {
		in, err := ingest.NewInput(p, filepath.Base(p), nil)
		if err != nil {
			t.Fatal(err)
		}
		ins = append(ins, in)
	}
	sink := &captureSink{}
	if err := a.Ingest(context.Background(), env, ins, sink); err != nil {
		t.Fatalf("Ingest: %v", err)
	}
	for name, c := range sink.files {
		if !c.done {
			t.Errorf("%s: Done not called", name)
		}
	}
	return sink.files
}

// writeFile writes content to a file in dir and returns its path.
func writeFile(t testing.TB, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// openStore opens an SQLite store in a temporary directory.
func openStore(t testing.TB) *sqlite.Store {
	t.Helper()
	s, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "t.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}
