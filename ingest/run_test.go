package ingest_test

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/medtwin/medtwin/ingest"
	"github.com/medtwin/medtwin/store"
	"github.com/medtwin/medtwin/store/sqlite"
	"github.com/medtwin/medtwin/timeline"
)

// csvAdapter is a test format: files starting with "#labs", one
// "mrn,code,value" record per line.
type csvAdapter struct{}

func (csvAdapter) Name() string { return "labs" }
func (csvAdapter) Detect(_ string, head []byte) bool {
	return bytes.HasPrefix(head, []byte("#labs"))
}
func (csvAdapter) Ingest(ctx context.Context, env *ingest.Env, files []*ingest.Input, sink ingest.Sink) error {
	for _, in := range files {
		fs := sink.File(in)
		err := func() error {
			rc, err := in.OpenStream()
			if err != nil {
				return err
			}
			defer rc.Close()
			bb := env.NewBatchBuilder()
			defer bb.Release()
			sc := bufio.NewScanner(rc)
			line := 0
			for sc.Scan() {
				line++
				if line == 1 {
					continue
				}
				parts := strings.Split(sc.Text(), ",")
				loc := fmt.Sprintf("line %d", line)
				if len(parts) != 3 {
					fs.Reject(ingest.Rejectf(in.Name, loc, "", "want 3 fields, got %d", len(parts)))
					continue
				}
				v, err := strconv.ParseFloat(parts[2], 64)
				if err != nil {
					fs.Reject(ingest.Rejectf(in.Name, loc, "value", "not a number"))
					continue
				}
				sid, err := env.Resolver.Resolve(ctx, timeline.Identifier{System: "mrn", Value: parts[0]})
				if err != nil {
					return err
				}
				e := timeline.Event{SubjectID: sid, Time: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC), Code: parts[1],
					Value: v, HasValue: true, Kind: timeline.KindLab, Source: in.Name + "#" + loc, Key: timeline.NewKey(parts[0], parts[1])}
				if err := bb.Append(&e); err != nil {
					fs.Reject(&ingest.ParseError{Source: in.Name, Record: loc, Err: err})
					continue
				}
				if bb.Full() {
					if err := fs.Write(ctx, bb.Flush()); err != nil {
						return err
					}
				}
			}
			if err := sc.Err(); err != nil {
				return err
			}
			if b := bb.Flush(); b != nil {
				return fs.Write(ctx, b)
			}
			return nil
		}()
		fs.Done(err)
	}
	return nil
}

func write(t *testing.T, path, body string, gz bool) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if !gz {
		if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	io.WriteString(zw, body)
	zw.Close()
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestRunner(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, "in", "a.csv"), "#labs\n1,LOINC//1742-6,30\n2,LOINC//1742-6,40\n", false)
	write(t, filepath.Join(dir, "in", "sub", "b.csv.gz"), "#labs\n1,LOINC//1920-8,20\nbad line\n3,LOINC//1920-8,x\n3,,5\n", true)
	write(t, filepath.Join(dir, "in", "README.md"), "not data\n", false)
	write(t, filepath.Join(dir, "in", ".hidden"), "#labs\n9,X,1\n", false)
	// A truncated gzip file: its good records before the cut are kept.
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	io.WriteString(zw, "#labs\n")
	for i := 0; i < 5000; i++ {
		fmt.Fprintf(zw, "4,LOINC//777-3-%d,%d\n", i, i)
	}
	zw.Close()
	cut := buf.Bytes()[:buf.Len()-200]
	if err := os.WriteFile(filepath.Join(dir, "cut.csv.gz"), cut, 0o644); err != nil {
		t.Fatal(err)
	}
	write(t, filepath.Join(dir, "unknown.bin"), "\x00\x01", false)

	s, err := sqlite.Open(context.Background(), filepath.Join(dir, "db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	reg, err := ingest.NewRegistry(csvAdapter{})
	if err != nil {
		t.Fatal(err)
	}
	if err := reg.Register(csvAdapter{}); !errors.Is(err, ingest.ErrDuplicateAdapter) {
		t.Errorf("duplicate adapter: %v", err)
	}
	r := &ingest.Runner{Target: s, Registry: reg, Env: ingest.Env{BatchRows: 1000}, Command: "test"}
	paths := []string{filepath.Join(dir, "in"), filepath.Join(dir, "cut.csv.gz"), filepath.Join(dir, "unknown.bin")}
	rep, err := r.Run(context.Background(), paths)
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string]*ingest.FileReport{}
	for _, f := range rep.Files {
		byName[f.Input.Name] = f
	}
	if f := byName["in/a.csv"]; f == nil || f.Result.Inserted != 2 || f.Rejected != 0 || f.Status() != store.FileOK {
		t.Errorf("a.csv: %+v", f)
	}
	f := byName["in/sub/b.csv.gz"]
	if f == nil || f.Result.Inserted != 1 || f.Rejected != 3 || f.Status() != store.FilePartial {
		t.Fatalf("b.csv.gz: %+v", f)
	}
	wantErrs := []string{"in/sub/b.csv.gz: line 3: want 3 fields", "in/sub/b.csv.gz: line 4: value: not a number", "in/sub/b.csv.gz: line 5: code: missing code"}
	for i, w := range wantErrs {
		if !strings.HasPrefix(f.Errors[i].Error(), w) {
			t.Errorf("error %d = %q, want prefix %q", i, f.Errors[i], w)
		}
	}
	c := byName["cut.csv.gz"]
	if c == nil || c.Err == nil || !errors.Is(c.Err, io.ErrUnexpectedEOF) || c.Result.Inserted == 0 {
		t.Errorf("truncated gzip: %+v", c)
	}
	if u := byName["unknown.bin"]; u == nil || !errors.Is(u.Err, ingest.ErrUnrecognised) {
		t.Errorf("explicit unknown file: %+v", u)
	}
	if len(rep.Unrecognised) != 1 || rep.Unrecognised[0] != "in/README.md" {
		t.Errorf("unrecognised = %v", rep.Unrecognised)
	}
	if _, ok := byName["in/.hidden"]; ok {
		t.Error("hidden file ingested")
	}
	if rep.Clean() {
		t.Error("report with rejections is clean")
	}
	runs, err := s.Runs(context.Background(), 1)
	if err != nil || len(runs) != 1 || runs[0].Status != "partial" || len(runs[0].Files) != 4 {
		t.Fatalf("run record: %+v %v", runs, err)
	}
	for _, rf := range runs[0].Files {
		if rf.Path == "in/a.csv" && (rf.SHA256 == "" || rf.Accepted != 2) {
			t.Errorf("manifest of a.csv: %+v", rf)
		}
	}

	// Re-ingesting the same inputs is a no-op.
	rep2, err := r.Run(context.Background(), paths[:1])
	if err != nil {
		t.Fatal(err)
	}
	res, rej, _ := rep2.Totals()
	if res.Inserted != 0 || res.Duplicate != 3 || rej != 3 {
		t.Errorf("re-ingest: %+v rejected %d", res, rej)
	}
}
