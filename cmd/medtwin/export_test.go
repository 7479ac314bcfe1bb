package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/apache/arrow/go/v15/arrow/ipc"

	"github.com/medtwin/medtwin/ingest/meds/medstest"
	"github.com/medtwin/medtwin/store"
	"github.com/medtwin/medtwin/store/sqlite"
)

// medtwin runs the CLI in-process.
func medtwin(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(context.Background(), args, strings.NewReader(""), &out, &errb)
	return code, out.String(), errb.String()
}

func synthFile(t *testing.T, path string, rows int64) int64 {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	n, err := medstest.Synth(f, rows, 50, 7, medstest.Options{RowGroupRows: 10_000})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestExportCommand(t *testing.T) {
	dir := t.TempDir()
	db := "sqlite:" + filepath.Join(dir, "medtwin.db")
	src := filepath.Join(dir, "cohort.parquet")
	n := synthFile(t, src, 2000)
	if code, _, stderr := medtwin(t, "--db", db, "ingest", src); code != exitOK {
		t.Fatalf("ingest: exit %d: %s", code, stderr)
	}

	out := filepath.Join(dir, "meds")
	code, stdout, stderr := medtwin(t, "--db", db, "export", "--format", "meds", "--out", out, "--json", "--rows-per-file", "500", "--meds-extensions", "unit,kind")
	if code != exitOK {
		t.Fatalf("export: exit %d: %s", code, stderr)
	}
	var sum struct {
		Rows, Subjects int64
		Files          []string
	}
	if err := json.Unmarshal([]byte(stdout), &sum); err != nil {
		t.Fatalf("summary %q: %v", stdout, err)
	}
	if sum.Rows != n || sum.Subjects != n/50 || len(sum.Files) < 4+3 {
		t.Errorf("summary %+v", sum)
	}
	for _, f := range []string{"data/0.parquet", "metadata/codes.parquet", "metadata/subject_splits.parquet", "metadata/dataset.json"} {
		if _, err := os.Stat(filepath.Join(out, f)); err != nil {
			t.Error(err)
		}
	}
	// The export ingests back as a new dataset: n inserted, then n duplicates.
	db2 := "sqlite:" + filepath.Join(dir, "second.db")
	for i, want := range []string{itoa(n) + " inserted, 0 duplicate", "0 inserted, " + itoa(n) + " duplicate"} {
		code, _, stderr := medtwin(t, "--db", db2, "ingest", out)
		if code != exitOK || !strings.Contains(stderr, want) {
			t.Errorf("ingest %d of the export: exit %d, want %q in:\n%s", i+1, code, want, stderr)
		}
	}

	// Arrow IPC on stdout.
	code, stdout, stderr = medtwin(t, "--db", db, "export", "--format", "arrow", "--out", "-", "--has-code", "ICD10CM//K76*", "--kinds", "lab", "--quiet")
	if code != exitOK {
		t.Fatalf("arrow export: exit %d: %s", code, stderr)
	}
	rd, err := ipc.NewReader(strings.NewReader(stdout))
	if err != nil {
		t.Fatal(err)
	}
	var rows int64
	for rd.Next() {
		rows += rd.Record().NumRows()
	}
	rd.Release()
	if rows == 0 || rows >= n {
		t.Errorf("cohort export: %d rows of %d", rows, n)
	}

	// Usage errors exit 2 and leave nothing behind.
	for _, args := range [][]string{
		{"export", "--format", "meds", "--out", filepath.Join(dir, "v"), "--dataset", "variants"},
		{"export", "--format", "csv", "--out", filepath.Join(dir, "c")},
		{"export", "--format", "meds"},
		{"export", "--format", "meds", "--out", out},
		{"export", "--format", "parquet", "--out", filepath.Join(dir, "p"), "--as-of", "yesterday"},
		{"export", "--format", "parquet", "--out", filepath.Join(dir, "p"), "--subjects", "urn:mrn|404"},
	} {
		if code, _, stderr := medtwin(t, append([]string{"--db", db}, args...)...); code != exitUsage {
			t.Errorf("%v: exit %d, want %d (%s)", args, code, exitUsage, stderr)
		}
	}
	for _, p := range []string{"v", "c", "p"} {
		if _, err := os.Stat(filepath.Join(dir, p)); !os.IsNotExist(err) {
			t.Errorf("%s created by a failed export", p)
		}
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// TestIngestKilled kills `medtwin ingest` with SIGKILL mid-run: the store
// holds whole batches only, and the next run completes the file, counting
// what the killed run had written as duplicates.
func TestIngestKilled(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "medtwin")
	build := exec.Command("go", "build", "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	src := filepath.Join(dir, "big.parquet")
	n := synthFile(t, src, 30_000)
	dbPath := filepath.Join(dir, "medtwin.db")
	const batch = 1000

	// Create the store first, so that polling it never races the migration.
	s, err := sqlite.Open(context.Background(), dbPath)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	count := func() int64 {
		c, err := s.Count(context.Background(), store.Cohort{}, store.Filter{})
		if err != nil {
			t.Fatal(err)
		}
		return c
	}

	cmd := exec.Command(bin, "--db", "sqlite:"+dbPath, "ingest", "--batch-rows", itoa(batch), "--quiet", src)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(2 * time.Minute)
	for count() < 2*batch {
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatal("ingest wrote nothing in 2 minutes")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	killed := count()
	if killed%batch != 0 {
		t.Fatalf("%d rows after kill -9: not whole batches of %d", killed, batch)
	}
	if killed >= n {
		t.Skipf("the ingest finished (%d rows) before it was killed", killed)
	}

	code, _, stderr := medtwin(t, "--db", "sqlite:"+dbPath, "ingest", "--batch-rows", itoa(batch), src)
	if code != exitOK {
		t.Fatalf("second run: exit %d: %s", code, stderr)
	}
	want := itoa(n-killed) + " inserted, " + itoa(killed) + " duplicate"
	if !strings.Contains(stderr, want) {
		t.Errorf("second run: want %q in\n%s", want, stderr)
	}
	if got := count(); got != n {
		t.Errorf("%d rows after the second run, want %d", got, n)
	}
	runs, err := s.Runs(context.Background(), 2)
	if err != nil || len(runs) != 2 || runs[0].Status != "ok" || runs[1].Status == "ok" {
		t.Errorf("runs after a kill and a rerun: %+v, %v", runs, err)
	}
}
