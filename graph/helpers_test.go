package graph

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/apache/arrow/go/v15/arrow/array"

	"github.com/medtwin/medtwin/auth"
	"github.com/medtwin/medtwin/internal/fixture"
	"github.com/medtwin/medtwin/pseudo"
	"github.com/medtwin/medtwin/store"
	"github.com/medtwin/medtwin/timeline"
)

const (
	clinTok  = "clinician-token-0123456789"
	resTok   = "researcher-token-0123456789"
	adminTok = "admin-token-0123456789abcd"
)

var testTokens = "token,role,name\n" + clinTok + ",clinician,dr.grey\n" + resTok + ",researcher,r.franklin\n" + adminTok + ",admin,ops\n"

// countingStore counts the store calls that read patient data (round trips).
type countingStore struct {
	store.Store
	reads atomic.Int64
	mu    sync.Mutex
	calls []string
}

func (c *countingStore) note(name string) {
	c.reads.Add(1)
	c.mu.Lock()
	c.calls = append(c.calls, name)
	c.mu.Unlock()
}
func (c *countingStore) reset() { c.reads.Store(0); c.mu.Lock(); c.calls = nil; c.mu.Unlock() }
func (c *countingStore) Timeline(ctx context.Context, s int64, f store.Filter) (array.RecordReader, error) {
	c.note("Timeline")
	return c.Store.Timeline(ctx, s, f)
}
func (c *countingStore) Scan(ctx context.Context, co store.Cohort, f store.Filter) (array.RecordReader, error) {
	c.note("Scan")
	return c.Store.Scan(ctx, co, f)
}
func (c *countingStore) Details(ctx context.Context, t timeline.DetailTable, co store.Cohort, f store.Filter) (array.RecordReader, error) {
	c.note("Details")
	return c.Store.Details(ctx, t, co, f)
}
func (c *countingStore) Identifiers(ctx context.Context, s int64) ([]timeline.Identifier, error) {
	c.note("Identifiers")
	return c.Store.Identifiers(ctx, s)
}
func (c *countingStore) Subjects(ctx context.Context, q store.SubjectQuery) ([]int64, error) {
	c.note("Subjects")
	return c.Store.Subjects(ctx, q)
}
func (c *countingStore) Lookup(ctx context.Context, id timeline.Identifier) (int64, error) {
	c.note("Lookup")
	return c.Store.Lookup(ctx, id)
}

type env struct {
	t      testing.TB
	store  *countingStore
	ids    []int64
	srv    *httptest.Server
	pseudo *pseudo.Pseudonymizer
	h      *Handler
}

var testKey = []byte("graph-test-pseudonym-key-32-byte")

const fixtureExtra = fixture.ExtraEvents

func newEnv(t *testing.T, patients, labs int, limits Limits) *env {
	t.Helper()
	return newEnvOn(t, "sqlite", patients, labs, limits)
}

// newEnvOn serves a fixture cohort of patients with labs lab events each
// from a store of a backend ("sqlite" or "postgres").
func newEnvOn(t testing.TB, kind string, patients, labs int, limits Limits) *env {
	t.Helper()
	ctx := context.Background()
	s := openStore(t, kind)
	ids, err := fixture.Build(ctx, s, fixture.Options{Patients: patients, Labs: labs})
	if err != nil {
		t.Fatal(err)
	}
	cs := &countingStore{Store: s}
	toks, err := auth.ParseTokens(strings.NewReader(testTokens))
	if err != nil {
		t.Fatal(err)
	}
	p, _ := pseudo.New(testKey)
	h, err := NewHandler(Options{Store: cs, Pseudo: p, Limits: limits}, toks)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return &env{t: t, store: cs, ids: ids, srv: srv, pseudo: p, h: h}
}

type gqlError struct {
	Message    string         `json:"message"`
	Path       []any          `json:"path"`
	Extensions map[string]any `json:"extensions"`
}

type gqlResponse struct {
	Status int
	Data   json.RawMessage `json:"data"`
	Errors []gqlError      `json:"errors"`
	Raw    string
}

func (r *gqlResponse) codes() []string {
	var out []string
	for _, e := range r.Errors {
		c, _ := e.Extensions["code"].(string)
		out = append(out, c)
	}
	return out
}

func (e *env) post(token string, body string) *gqlResponse {
	e.t.Helper()
	req, _ := http.NewRequest("POST", e.srv.URL, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	var buf bytes.Buffer
	buf.ReadFrom(resp.Body)
	out := &gqlResponse{Status: resp.StatusCode, Raw: buf.String()}
	if err := json.Unmarshal(buf.Bytes(), out); err != nil {
		e.t.Fatalf("response is not JSON (%d): %q", resp.StatusCode, buf.String())
	}
	return out
}

func (e *env) query(token, q string, vars map[string]any) *gqlResponse {
	e.t.Helper()
	b, _ := json.Marshal(map[string]any{"query": q, "variables": vars})
	return e.post(token, string(b))
}

// ok runs a query that must succeed and decodes its data into out.
func (e *env) ok(token, q string, vars map[string]any, out any) {
	e.t.Helper()
	r := e.query(token, q, vars)
	if len(r.Errors) > 0 || r.Status != 200 {
		e.t.Fatalf("query failed (%d): %s", r.Status, r.Raw)
	}
	if out != nil {
		if err := json.Unmarshal(r.Data, out); err != nil {
			e.t.Fatalf("decode %s: %v", r.Data, err)
		}
	}
}

func mustTime(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

func newTestServer(t *testing.T, h http.Handler) *httptest.Server {
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}
