package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/apache/arrow/go/v15/arrow/memory"

	"github.com/medtwin/medtwin/store"
	"github.com/medtwin/medtwin/store/backend"
	"github.com/medtwin/medtwin/timeline"
	"github.com/medtwin/medtwin/twin/twintest"
)

// ingestScenario appends a scenario's events and details to the store for
// a patient named by ident and returns its subject id.
func ingestScenario(t *testing.T, s store.Store, sc *twintest.Scenario, events []timeline.Event, ident timeline.Identifier) int64 {
	t.Helper()
	ctx := context.Background()
	sid, err := s.Resolve(ctx, ident)
	if err != nil {
		t.Fatal(err)
	}
	bb := timeline.NewBatchBuilder(memory.DefaultAllocator, 0)
	defer bb.Release()
	for _, e := range events {
		e.SubjectID = sid
		if err := bb.Append(&e); err != nil {
			t.Fatalf("event %s: %v", e.Source, err)
		}
	}
	for _, v := range sc.Details.Variants {
		v.SubjectID = sid
		if err := bb.Detail(timeline.Variants).AppendVariant(&v); err != nil {
			t.Fatal(err)
		}
	}
	for _, d := range sc.Details.Imaging {
		d.SubjectID = sid
		if err := bb.Detail(timeline.Imaging).AppendImaging(&d); err != nil {
			t.Fatal(err)
		}
	}
	b := bb.Flush()
	defer b.Release()
	if _, err := s.Append(ctx, b); err != nil {
		t.Fatal(err)
	}
	return sid
}

func runCLI(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(context.Background(), args, strings.NewReader(""), &out, &errb)
	return code, out.String(), errb.String()
}

// scores collects name|time → value/category/notComputable of every score
// object in a JSON document.
func scores(t *testing.T, doc string) map[string]string {
	t.Helper()
	var v any
	if err := json.Unmarshal([]byte(doc), &v); err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	var walk func(any, string)
	walk = func(x any, path string) {
		switch m := x.(type) {
		case map[string]any:
			if _, ok := m["formulaVersion"]; ok {
				out[fmt.Sprint(path, "|", m["name"], "|", m["time"])] = fmt.Sprint(m["value"], "|", m["category"], "|", m["notComputable"], "|", m["range"])
			}
			for k, c := range m {
				if k != "inputs" {
					walk(c, path+"."+k)
				}
			}
		case []any:
			for i, c := range x.([]any) {
				walk(c, fmt.Sprintf("%s[%d]", path, i))
			}
		}
	}
	walk(v, "")
	return out
}

// TestTwinCommand is the end-to-end test of `medtwin twin --json`: a
// patient appended to an embedded store through the timeline builders, the
// command run as of a time, its JSON checked against the scenario's
// expectations, the same patient with SI-unit labs giving the same scores,
// and every read audited.
func TestTwinCommand(t *testing.T) {
	sc, err := twintest.ParseFile("testdata/twin_patient.scen", nil)
	if err != nil {
		t.Fatal(err)
	}
	dsn := "sqlite:" + filepath.Join(t.TempDir(), "medtwin.db")
	ctx := context.Background()
	s, err := backend.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	conv := timeline.Identifier{System: "urn:oid:1.2.250.1.999.1", Value: "12345"}
	si := timeline.Identifier{System: "urn:oid:1.2.250.1.999.1", Value: "67890"}
	sid := ingestScenario(t, s, sc, sc.Events, conv)
	siEvents, n := twintest.ToSI(sc.Events, nil)
	if n < 5 {
		t.Fatalf("only %d events re-expressed in SI units", n)
	}
	siSubject := ingestScenario(t, s, sc, siEvents, si)
	s.Close()

	code, out, stderr := runCLI(t, "--db", dsn, "twin", "--patient", conv.String(), "--as-of", "2024-06-01", "--json")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	// The scenario's expectations, with the subject id filled in.
	for i, e := range sc.Expects {
		for j, a := range e.Args {
			if a == "SUBJECT" {
				sc.Expects[i].Args[j] = strconv.FormatInt(sid, 10)
			}
		}
	}
	var doc any
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("output is not JSON: %v\n%s", err, out)
	}
	fails, err := sc.Check(doc)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range fails {
		t.Error(f)
	}
	if strings.Contains(out, `"value": 9`) {
		t.Error("a result issued after the as-of time appears in the output")
	}

	// The same patient with SI-unit labs: the same scores.
	code, siOut, stderr := runCLI(t, "--db", dsn, "twin", "--patient", si.String(), "--as-of", "2024-06-01", "--json")
	if code != exitOK {
		t.Fatalf("SI patient: exit %d: %s", code, stderr)
	}
	a, b := scores(t, out), scores(t, siOut)
	if len(a) < 10 {
		t.Fatalf("only %d scores in the output", len(a))
	}
	for k, v := range a {
		if b[k] != v {
			t.Errorf("SI patient: %s = %s, conventional %s", k, b[k], v)
		}
	}
	if len(a) != len(b) {
		t.Errorf("SI patient has %d scores, conventional %d", len(b), len(a))
	}

	// By subject id, in text form.
	code, text, stderr := runCLI(t, "--db", dsn, "twin", "--patient", strconv.FormatInt(siSubject, 10), "--as-of", "2024-06-01")
	if code != exitOK || !strings.Contains(text, "MELD-Na") || !strings.Contains(text, "CURB-65 2 (intermediate)") {
		t.Errorf("text output (exit %d, %s):\n%s", code, stderr, text)
	}

	// Every read was audited, naming the twins, never the identifier.
	s, err = backend.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	log, err := s.AuditLog(ctx, store.AuditQuery{SubjectID: sid})
	if err != nil {
		t.Fatal(err)
	}
	if len(log) != 1 || log[0].Action != "cli-twin" || strings.Join(log[0].Fields, ",") != "liver,pneumonia,oncology" ||
		strings.Contains(log[0].Detail, conv.Value) {
		t.Errorf("audit log = %+v", log)
	}
	if log, _ := s.AuditLog(ctx, store.AuditQuery{SubjectID: siSubject}); len(log) != 2 {
		t.Errorf("SI patient audit entries = %d, want 2", len(log))
	}
}

func TestTwinCommandErrors(t *testing.T) {
	dsn := "sqlite:" + filepath.Join(t.TempDir(), "medtwin.db")
	for _, c := range []struct {
		name string
		args []string
		code int
		msg  string
	}{
		{"no patient flag", []string{"twin", "--json"}, exitUsage, "--patient is required"},
		{"bad as-of", []string{"twin", "--patient", "1", "--as-of", "yesterday"}, exitUsage, "--as-of"},
		{"bad identifier", []string{"twin", "--patient", "nobar"}, exitUsage, "SYSTEM|VALUE"},
		{"unknown subject", []string{"twin", "--patient", "42", "--json"}, exitFailure, "patient not found"},
		{"unknown identifier", []string{"twin", "--patient", "urn:x|secret-mrn-777"}, exitFailure, "patient not found"},
		{"negative trend window", []string{"twin", "--patient", "1", "--trend-days", "-1"}, exitUsage, "trend-days"},
	} {
		t.Run(c.name, func(t *testing.T) {
			code, out, stderr := runCLI(t, append([]string{"--db", dsn}, c.args...)...)
			if code != c.code || !strings.Contains(stderr, c.msg) {
				t.Errorf("exit %d, stderr %q; want exit %d mentioning %q", code, stderr, c.code, c.msg)
			}
			if out != "" {
				t.Errorf("stdout not empty: %q", out)
			}
			if strings.Contains(stderr, "secret-mrn-777") {
				t.Error("the identifier appears in the error message")
			}
		})
	}
}
