package graph

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow/go/v15/arrow/array"

	"github.com/medtwin/medtwin/store"
)

func TestUnauthenticatedGetsNoData(t *testing.T) {
	e := newEnv(t, 1, 1, Limits{})
	body := fmt.Sprintf(`{"query":"{ patient(id: \"%d\") { birthDate } }"}`, e.ids[0])
	for _, tok := range []string{"", "not-a-valid-token-at-all", "x.y.z"} {
		r := e.post(tok, body)
		if r.Status != http.StatusUnauthorized || len(r.Data) > 0 && string(r.Data) != "null" || len(r.Errors) != 1 || r.codes()[0] != CodeUnauthenticted {
			t.Errorf("token %q: %d %s", tok, r.Status, r.Raw)
		}
		if strings.Contains(r.Raw, "1940") {
			t.Errorf("token %q: data leaked", tok)
		}
	}
	req, _ := http.NewRequest("POST", e.srv.URL, strings.NewReader(body))
	req.Header.Set("Authorization", "Basic dXNlcjpwdw==")
	resp, _ := http.DefaultClient.Do(req)
	resp.Body.Close()
	if resp.StatusCode != 401 || !strings.HasPrefix(resp.Header.Get("WWW-Authenticate"), "Bearer") {
		t.Errorf("basic auth: %d %q", resp.StatusCode, resp.Header.Get("WWW-Authenticate"))
	}
}

func TestBadInputGetsClearErrors(t *testing.T) {
	e := newEnv(t, 3, 5, Limits{MaxDepth: 7})
	id := fmt.Sprint(e.ids[0])
	other := fmt.Sprint(e.ids[1])
	// Cursors from real pages, to misuse.
	var tl struct {
		Patient struct {
			Timeline struct {
				PageInfo pageInfo `json:"pageInfo"`
			} `json:"timeline"`
			Labs struct {
				PageInfo pageInfo `json:"pageInfo"`
			} `json:"labs"`
		} `json:"patient"`
	}
	e.ok(clinTok, `query($id: ID!) { patient(id: $id) { timeline(first: 2) { pageInfo { endCursor } } labs(first: 1) { pageInfo { endCursor } } } }`, map[string]any{"id": id}, &tl)
	tlCursor, labsCursor := *tl.Patient.Timeline.PageInfo.EndCursor, *tl.Patient.Labs.PageInfo.EndCursor
	tampered := []byte(tlCursor)
	tampered[10] ^= 1
	deep := `{ patients { edges { node { imagingStudies { edges { node { series { edges { node { seriesUid } } } } } } } } } }`

	cases := []struct {
		name   string
		body   string // raw request body; or
		query  string
		vars   map[string]any
		status int
		code   string
		msg    string
	}{
		{name: "not JSON", body: `{"query": "{ viewer`, status: 400, msg: "json"},
		{name: "no query", body: `{}`, status: 422, code: "GRAPHQL_VALIDATION_FAILED"},
		{name: "syntax error", query: `{ patient(id: "1" { id } }`, status: 422, code: "GRAPHQL_PARSE_FAILED", msg: "Expected"},
		{name: "unknown field", query: `{ patient(id: "1") { name } }`, status: 422, code: "GRAPHQL_VALIDATION_FAILED", msg: `Cannot query field "name"`},
		{name: "unknown argument", query: `{ patients(limit: 3) { totalCount } }`, status: 422, code: "GRAPHQL_VALIDATION_FAILED", msg: "limit"},
		{name: "wrong variable type", query: `query($n: Int) { patients(first: $n) { totalCount } }`, vars: map[string]any{"n": "ten"}, status: 422, code: "GRAPHQL_VALIDATION_FAILED", msg: "Int"},
		{name: "bad enum variable", query: `query($k: [EventKind!]) { patient(id: "` + id + `") { timeline(kinds: $k) { totalCount } } }`, vars: map[string]any{"k": []string{"LABS"}}, status: 422, code: "GRAPHQL_VALIDATION_FAILED"},
		{name: "malformed time", query: `{ patient(id: "` + id + `") { timeline(from: "yesterday") { totalCount } } }`, status: 200, code: CodeBadUserInput, msg: "time"},
		{name: "huge page", query: `{ patients(first: 100000) { totalCount } }`, status: 200, code: CodeBadUserInput, msg: "maximum page size of 1000"},
		{name: "huge nested page", query: `{ patient(id: "` + id + `") { timeline(last: 5000) { totalCount } } }`, status: 200, code: CodeBadUserInput, msg: "maximum page size"},
		{name: "negative page", query: `{ patients(first: -1) { totalCount } }`, status: 200, code: CodeBadUserInput, msg: "negative"},
		{name: "first and last", query: `{ patient(id: "` + id + `") { timeline(first: 1, last: 1) { totalCount } } }`, status: 200, code: CodeBadUserInput, msg: "not both"},
		{name: "too complex", query: `{ patients(first: 1000) { edges { node { timeline(first: 1000) { edges { node { code } } } } } } }`, status: 200, code: CodeComplexity, msg: "exceeds the limit of 200000"},
		{name: "too deep", query: deep, status: 200, code: CodeDepthLimit, msg: "depth 10, which exceeds the limit of 7"},
		{name: "garbage cursor", query: `{ patients(after: "!!!") { totalCount } }`, status: 200, code: CodeBadUserInput, msg: "invalid cursor"},
		{name: "tampered cursor", query: `query($c: String) { patient(id: "` + id + `") { timeline(after: $c) { totalCount } } }`, vars: map[string]any{"c": string(tampered)}, status: 200, code: CodeBadUserInput, msg: "invalid cursor"},
		{name: "cursor of another patient", query: `query($c: String) { patient(id: "` + other + `") { timeline(after: $c) { totalCount } } }`, vars: map[string]any{"c": tlCursor}, status: 200, code: CodeBadUserInput, msg: "invalid cursor"},
		{name: "cursor of another list", query: `query($c: String) { patient(id: "` + id + `") { timeline(after: $c) { totalCount } } }`, vars: map[string]any{"c": labsCursor}, status: 200, code: CodeBadUserInput, msg: "invalid cursor"},
		{name: "nonexistent id", query: `{ patient(id: "999999") { id } }`, status: 200, code: CodeNotFound, msg: "no patient"},
		{name: "non-numeric id", query: `{ patient(id: "abc") { id } }`, status: 200, code: CodeBadUserInput, msg: "subject id"},
		{name: "unknown identifier", query: `{ patientByIdentifier(system: "urn:x", value: "nobody") { id } }`, status: 200, code: CodeNotFound},
		{name: "empty code", query: `{ patient(id: "` + id + `") { timeline(codes: [""]) { totalCount } } }`, status: 200, code: CodeBadUserInput, msg: "empty code"},
		{name: "unknown concept", query: `{ patient(id: "` + id + `") { labs(concepts: ["unobtainium"]) { totalCount } } }`, status: 200, code: CodeBadUserInput, msg: "unknown concept"},
		{name: "from after to", query: `{ patient(id: "` + id + `") { timeline(from: "2021-01-01T00:00:00Z", to: "2020-01-01T00:00:00Z") { totalCount } } }`, status: 200, code: CodeBadUserInput, msg: "before"},
		{name: "bad age", query: `{ patients(filter: {minAge: -3}) { totalCount } }`, status: 200, code: CodeBadUserInput, msg: "minAge"},
		{name: "mutation", query: `mutation { x }`, status: 422, code: "GRAPHQL_VALIDATION_FAILED"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var r *gqlResponse
			if tc.body != "" {
				r = e.post(clinTok, tc.body)
			} else {
				r = e.query(clinTok, tc.query, tc.vars)
			}
			if r.Status != tc.status {
				t.Errorf("status %d, want %d: %s", r.Status, tc.status, r.Raw)
			}
			if len(r.Errors) == 0 {
				t.Fatalf("no error: %s", r.Raw)
			}
			if tc.code != "" && r.codes()[0] != tc.code {
				t.Errorf("code %v, want %s: %s", r.codes(), tc.code, r.Raw)
			}
			if tc.msg != "" && !strings.Contains(strings.ToLower(r.Errors[0].Message), strings.ToLower(tc.msg)) {
				t.Errorf("message %q does not mention %q", r.Errors[0].Message, tc.msg)
			}
			for _, bad := range []string{"goroutine", ".go:", "panic", "sqlite"} {
				if strings.Contains(r.Raw, bad) {
					t.Errorf("response shows %q: %s", bad, r.Raw)
				}
			}
		})
	}
	// The server kept serving.
	var v struct{ Viewer struct{ Name string } }
	e.ok(clinTok, `{ viewer { name } }`, nil, &v)
	if v.Viewer.Name != "dr.grey" {
		t.Fatal(v)
	}
}

// faultyStore fails in chosen ways.
type faultyStore struct {
	store.Store
	block      bool // reads wait for the request to end
	panicRead  bool
	failRead   bool
	failAudit  bool
	auditCalls int
}

func (f *faultyStore) Timeline(ctx context.Context, s int64, fl store.Filter) (array.RecordReader, error) {
	switch {
	case f.block:
		<-ctx.Done()
		return nil, ctx.Err()
	case f.panicRead:
		panic("boom in the store")
	case f.failRead:
		return nil, errors.New("sqlite: disk I/O error at /var/lib/secret.db")
	}
	return f.Store.Timeline(ctx, s, fl)
}

func (f *faultyStore) WriteAudit(ctx context.Context, es ...store.AuditEntry) error {
	f.auditCalls++
	if f.failAudit {
		return errors.New("audit table locked")
	}
	return f.Store.WriteAudit(ctx, es...)
}

func TestFailuresAreGraphQLErrors(t *testing.T) {
	base := newEnv(t, 2, 3, Limits{})
	id := fmt.Sprint(base.ids[0])
	q := `{ patient(id: "` + id + `") { birthDate timeline { totalCount } } }`
	for _, tc := range []struct {
		name  string
		fs    *faultyStore
		code  string
		msg   string
		audit bool
	}{
		{"timeout", &faultyStore{block: true}, CodeTimeout, "time limit of 200ms", true},
		{"panic", &faultyStore{panicRead: true}, CodeInternal, "internal error (request ", true},
		{"store error", &faultyStore{failRead: true}, CodeInternal, "internal error (request ", true},
		{"audit down", &faultyStore{failAudit: true}, CodeInternal, "audit log could not be written", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.fs.Store = base.store.Store
			h, err := NewHandler(Options{Store: tc.fs, Pseudo: base.pseudo, Limits: Limits{RequestTimeout: 200 * time.Millisecond}}, base.h.auth)
			if err != nil {
				t.Fatal(err)
			}
			e := *base
			e.t = t
			srv := newTestServer(t, h)
			e.srv = srv
			start := time.Now()
			r := e.query(clinTok, q, nil)
			if time.Since(start) > 5*time.Second {
				t.Errorf("took %v", time.Since(start))
			}
			if r.Status != 200 || !containsCode(r, tc.code) {
				t.Fatalf("codes %v, want %s: %s", r.codes(), tc.code, r.Raw)
			}
			if !strings.Contains(r.Raw, tc.msg) {
				t.Errorf("no %q in %s", tc.msg, r.Raw)
			}
			for _, bad := range []string{"goroutine", ".go:", "boom", "secret.db", "locked"} {
				if strings.Contains(r.Raw, bad) {
					t.Errorf("response shows %q: %s", bad, r.Raw)
				}
			}
			if tc.name == "audit down" && strings.Contains(r.Raw, "birthDate") {
				t.Errorf("data returned although the audit failed: %s", r.Raw)
			}
			if tc.audit && tc.fs.auditCalls == 0 {
				t.Errorf("no audit write attempted although the patient was touched")
			}
			// Still serving.
			var v struct{ Viewer struct{ Name string } }
			e.ok(clinTok, `{ viewer { name } }`, nil, &v)
		})
	}
}

func containsCode(r *gqlResponse, code string) bool {
	for _, c := range r.codes() {
		if c == code {
			return true
		}
	}
	return false
}
