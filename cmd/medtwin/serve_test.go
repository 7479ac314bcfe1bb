package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/medtwin/medtwin/internal/fixture"
	"github.com/medtwin/medtwin/pseudo"
	"github.com/medtwin/medtwin/store/sqlite"
)

const (
	e2eClin  = "e2e-clinician-token-000000001"
	e2eRes   = "e2e-researcher-token-00000001"
	e2eAdmin = "e2e-admin-token-0000000000001"
	e2eKey   = "6d656474776e2d65326521212121212121212121212121212121212121212121"
)

// startServe runs `medtwin serve` in-process on a random port and returns
// its base URL; the server stops when the test ends.
func startServe(t *testing.T, args ...string) string {
	t.Helper()
	return startServeUntil(t, `serving GraphQL at (http://\S+)/graphql`, args...)
}

// startServeUntil runs `medtwin serve` in-process and returns the first
// submatch of the first output line matching pattern.
func startServeUntil(t *testing.T, pattern string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	done := make(chan int, 1)
	var stderr bytes.Buffer
	go func() {
		done <- run(ctx, args, strings.NewReader(""), pw, &stderr)
		pw.Close()
	}()
	addr := make(chan string, 1)
	go func() {
		re := regexp.MustCompile(pattern)
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			if m := re.FindStringSubmatch(sc.Text()); m != nil {
				addr <- m[1]
			}
		}
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case code := <-done:
			if code != 0 {
				t.Errorf("serve exited %d: %s", code, stderr.String())
			}
		case <-time.After(15 * time.Second):
			t.Error("serve did not stop")
		}
	})
	select {
	case u := <-addr:
		return u
	case code := <-done:
		t.Fatalf("serve exited %d: %s", code, stderr.String())
	case <-time.After(20 * time.Second):
		t.Fatal("serve did not start")
	}
	return ""
}

type e2eResp struct {
	status int
	Data   map[string]any `json:"data"`
	Errors []struct {
		Message    string         `json:"message"`
		Extensions map[string]any `json:"extensions"`
	} `json:"errors"`
	raw string
}

func gqlPost(t *testing.T, url, token, query string, vars map[string]any) e2eResp {
	t.Helper()
	b, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	req, _ := http.NewRequest("POST", url+"/graphql", bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	r := e2eResp{status: resp.StatusCode, raw: string(body)}
	if err := json.Unmarshal(body, &r); err != nil {
		t.Fatalf("not JSON: %s", body)
	}
	return r
}

func dig(v any, path ...any) any {
	for _, p := range path {
		switch k := p.(type) {
		case string:
			m, _ := v.(map[string]any)
			v = m[k]
		case int:
			l, _ := v.([]any)
			if k >= len(l) {
				return nil
			}
			v = l[k]
		}
	}
	return v
}

func TestServeEndToEnd(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "medtwin.db")
	ctx := context.Background()
	s, err := sqlite.Open(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	const labs = 12
	ids, err := fixture.Build(ctx, s, fixture.Options{Patients: 5, Labs: labs})
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	// And a FHIR patient through the real adapter (medtwin ingest).
	fhirFile := filepath.Join(dir, "fhir.ndjson")
	os.WriteFile(fhirFile, []byte(`{"resourceType":"Patient","id":"fhirp1","identifier":[{"system":"urn:oid:1.2.3.4","value":"FH-0001"}],"gender":"female","birthDate":"1961-07-14"}
{"resourceType":"Observation","id":"cr1","status":"final","category":[{"coding":[{"code":"laboratory"}]}],"code":{"coding":[{"system":"http://loinc.org","code":"2160-0"}]},"subject":{"reference":"Patient/fhirp1"},"effectiveDateTime":"2020-01-01T10:00:00Z","issued":"2020-01-02T08:00:00Z","valueQuantity":{"value":1.3,"unit":"mg/dL","system":"http://unitsofmeasure.org","code":"mg/dL"}}
`), 0o600)
	var ingOut, ingErr bytes.Buffer
	if c := run(ctx, []string{"--db", "sqlite:" + db, "--quiet", "ingest", fhirFile}, nil, &ingOut, &ingErr); c != 0 {
		t.Fatalf("ingest: exit %d: %s", c, ingErr.String())
	}
	tokens := filepath.Join(dir, "tokens.csv")
	os.WriteFile(tokens, []byte("token,role,name\n"+e2eClin+",clinician,dr.quinn\n"+e2eRes+",researcher,r.fisher\n"+e2eAdmin+",admin,ops\n"), 0o600)
	keyFile := filepath.Join(dir, "pseudonym.key")
	os.WriteFile(keyFile, []byte(e2eKey+"\n"), 0o600)
	url := startServe(t, "--db", "sqlite:"+db, "serve", "--addr", "127.0.0.1:0", "--flight-addr", "off", "--tokens", tokens, "--pseudonym-key", keyFile, "--dev")

	// No token: 401 and no data.
	r := gqlPost(t, url, "", `{ patients { edges { node { id } } } }`, nil)
	if r.status != 401 || r.Data != nil || r.Errors[0].Extensions["code"] != "UNAUTHENTICATED" {
		t.Errorf("no token: %d %s", r.status, r.raw)
	}

	// Clinician: identified values.
	q := `query($id: ID!) { patient(id: $id) { id birthDate sex identifiers { edges { node { system value } } }
	  timeline(kinds: [LAB], last: 1) { totalCount edges { node { time code value unit provenance { source } } } }
	  labs(concepts: ["alt"]) { edges { node { code count latest { value } } } } } }`
	r = gqlPost(t, url, e2eClin, q, map[string]any{"id": fmt.Sprint(ids[2])})
	if r.status != 200 || len(r.Errors) > 0 {
		t.Fatalf("clinician: %s", r.raw)
	}
	p := dig(r.Data, "patient")
	if dig(p, "birthDate") != fixture.Birth(3).Format(time.DateOnly) || dig(p, "sex") != "FEMALE" ||
		dig(p, "timeline", "totalCount") != float64(labs) || dig(p, "timeline", "edges", 0, "node", "value") != fixture.LabValue(3, labs-1) ||
		dig(p, "timeline", "edges", 0, "node", "provenance", "source") != fmt.Sprintf("fixture/patient3.ndjson#line%d", labs) ||
		dig(p, "labs", "edges", 0, "node", "count") != float64(labs/3) {
		t.Errorf("clinician values: %s", r.raw)
	}
	if !strings.Contains(r.raw, fixture.MRN(3)) {
		t.Errorf("clinician should see the MRN: %s", r.raw)
	}

	// The FHIR patient, by its identifier.
	r = gqlPost(t, url, e2eClin, `{ patientByIdentifier(system: "urn:oid:1.2.3.4", value: "FH-0001") { birthDate sex
	  timeline(codes: ["LOINC//2160-0"]) { edges { node { time value unit availableAt } } } } }`, nil)
	p = dig(r.Data, "patientByIdentifier")
	if len(r.Errors) > 0 || dig(p, "birthDate") != "1961-07-14" || dig(p, "sex") != "FEMALE" ||
		dig(p, "timeline", "edges", 0, "node", "value") != 1.3 || dig(p, "timeline", "edges", 0, "node", "unit") != "mg/dL" ||
		dig(p, "timeline", "edges", 0, "node", "availableAt") != "2020-01-02T08:00:00Z" {
		t.Errorf("FHIR patient: %s", r.raw)
	}

	// Researcher: pseudonymised, with the configured key.
	key, _ := pseudo.ParseKey(e2eKey)
	ps, _ := pseudo.New(key)
	pid := ps.Subject(ids[2])
	r = gqlPost(t, url, e2eRes, `query($id: ID!) { patient(id: $id) { id birthDate timeline(kinds: [LAB], last: 1) { edges { node { time value provenance { source } } } } } }`,
		map[string]any{"id": pid})
	if r.status != 200 || len(r.Errors) > 0 {
		t.Fatalf("researcher: %s", r.raw)
	}
	p = dig(r.Data, "patient")
	wantTime := fixture.LabTime(labs - 1).Add(ps.Shift(ids[2])).Format(time.RFC3339)
	if dig(p, "id") != pid || dig(p, "birthDate") != fixture.Birth(3).Add(ps.Shift(ids[2])).Format(time.DateOnly) ||
		dig(p, "timeline", "edges", 0, "node", "time") != wantTime || dig(p, "timeline", "edges", 0, "node", "provenance", "source") != nil ||
		dig(p, "timeline", "edges", 0, "node", "value") != fixture.LabValue(3, labs-1) {
		t.Errorf("researcher values: %s (want time %s)", r.raw, wantTime)
	}
	if strings.Contains(r.raw, fixture.MRN(3)) || strings.Contains(r.raw, fixture.Birth(3).Format(time.DateOnly)) {
		t.Errorf("researcher sees identifying data: %s", r.raw)
	}
	// Refusals for the researcher.
	for _, q := range []string{
		fmt.Sprintf(`{ patient(id: "%d") { id } }`, ids[2]),
		fmt.Sprintf(`{ patient(id: %q) { identifiers { edges { node { value } } } } }`, pid),
		fmt.Sprintf(`{ patientByIdentifier(system: %q, value: %q) { id } }`, fixture.MRNSystem, fixture.MRN(3)),
	} {
		r = gqlPost(t, url, e2eRes, q, nil)
		if len(r.Errors) == 0 || r.Errors[0].Extensions["code"] != "FORBIDDEN" || strings.Contains(r.raw, fixture.MRN(3)) {
			t.Errorf("researcher refusal for %s: %s", q, r.raw)
		}
	}
	// Admin: identified, and sees itself.
	r = gqlPost(t, url, e2eAdmin, `{ viewer { name role } patients(first: 2) { totalCount edges { node { id } } } }`, nil)
	if dig(r.Data, "viewer", "role") != "ADMIN" || dig(r.Data, "patients", "totalCount") != float64(6) || dig(r.Data, "patients", "edges", 1, "node", "id") != fmt.Sprint(ids[1]) {
		t.Errorf("admin: %s", r.raw)
	}

	// Health, metrics, GraphiQL.
	get := func(path string) (int, string) {
		resp, err := http.Get(url + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, body := get("/healthz"); code != 200 || body != "ok\n" {
		t.Errorf("healthz: %d %q", code, body)
	}
	if code, body := get("/"); code != 200 || !strings.Contains(body, "graphiql") {
		t.Errorf("GraphiQL: %d", code)
	}
	code, metrics := get("/metrics")
	for _, want := range []string{
		`medtwin_http_requests_total{code="200",method="POST",route="graphql"}`,
		`medtwin_http_requests_total{code="401",method="POST",route="graphql"} 1`,
		`medtwin_http_request_duration_seconds_bucket{route="graphql",le="0.1"}`,
		`medtwin_graphql_errors_total{code="FORBIDDEN"} 3`,
		`medtwin_graphql_operations_total{operation="query",result="ok"}`,
		`medtwin_audit_patient_reads_total`,
	} {
		if code != 200 || !strings.Contains(metrics, want) {
			t.Errorf("metrics lack %s", want)
		}
	}

	// Audit rows, through `medtwin audit`.
	var out, errb bytes.Buffer
	if c := run(ctx, []string{"--db", "sqlite:" + db, "audit", "--json", "--patient", fmt.Sprint(ids[2])}, nil, &out, &errb); c != 0 {
		t.Fatalf("audit: %d %s", c, errb.String())
	}
	var rows []auditJSON
	for _, line := range strings.Split(strings.TrimSpace(out.String()), "\n") {
		var a auditJSON
		if err := json.Unmarshal([]byte(line), &a); err != nil {
			t.Fatalf("audit line %q: %v", line, err)
		}
		rows = append(rows, a)
	}
	// Clinician's read, researcher's read and the researcher's refused
	// identifiers query (which touched the patient's id only).
	if len(rows) != 3 {
		t.Fatalf("audit rows for patient 3: %+v", rows)
	}
	last := rows[len(rows)-1] // oldest first after reversing newest-first
	if last.Actor != "dr.quinn" || last.Role != "clinician" || last.Action != "graphql" || strings.Join(last.Fields, ",") != "birthDate,id,identifiers,labs,sex,timeline" {
		t.Errorf("clinician audit row: %+v", last)
	}
	if rows[1].Actor != "r.fisher" || rows[1].Role != "researcher" || strings.Join(rows[1].Fields, ",") != "birthDate,id,timeline" || rows[1].Patient != ids[2] {
		t.Errorf("researcher audit row: %+v", rows[1])
	}
	out.Reset()
	if c := run(ctx, []string{"--db", "sqlite:" + db, "audit", "--actor", "ops"}, nil, &out, &errb); c != 0 || strings.Count(out.String(), "\n") != 3 {
		t.Errorf("audit --actor ops: %d\n%s", c, out.String())
	}
}

func TestServeUsage(t *testing.T) {
	dir := t.TempDir()
	db := "sqlite:" + filepath.Join(dir, "x.db")
	for _, tc := range []struct {
		args []string
		msg  string
	}{
		{[]string{"--db", db, "serve"}, "--tokens"},
		{[]string{"--db", db, "serve", "--tokens", filepath.Join(dir, "missing.csv")}, "--tokens"},
		{[]string{"--db", db, "serve", "--jwks", filepath.Join(dir, "jwks.json")}, "--oidc-issuer"},
		{[]string{"--db", db, "audit", "--since", "last week"}, "--since"},
		{[]string{"--db", db, "audit", "--patient", "abc"}, "--patient"},
	} {
		var out, errb bytes.Buffer
		if c := run(context.Background(), tc.args, nil, &out, &errb); c != exitUsage || !strings.Contains(errb.String(), tc.msg) {
			t.Errorf("%v: exit %d, %q", tc.args, c, errb.String())
		}
	}
}
