package webui_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/medtwin/medtwin/auth"
	"github.com/medtwin/medtwin/graph"
	"github.com/medtwin/medtwin/pseudo"
	"github.com/medtwin/medtwin/server"
	"github.com/medtwin/medtwin/store"
	"github.com/medtwin/medtwin/webui"
)

const (
	clinicianToken  = "ui-test-clinician-token-0123456789"
	researcherToken = "ui-test-researcher-token-0123456789"
)

// newServer builds medtwin's HTTP server on s with a clinician and a
// researcher token.
func newServer(tb testing.TB, s store.Store) *server.Server {
	tb.Helper()
	toks, err := auth.ParseTokens(strings.NewReader("token,role,name\n" +
		clinicianToken + ",clinician,UI Test Clinician\n" + researcherToken + ",researcher,UI Test Researcher\n"))
	if err != nil {
		tb.Fatal(err)
	}
	srv, err := server.New(server.Config{Addr: "127.0.0.1:0", Store: s, Auth: toks,
		Graph: graph.Options{Pseudo: pseudo.NewRandom()}})
	if err != nil {
		tb.Fatal(err)
	}
	return srv
}

// pageQueries returns the GraphQL operations of the page's gql.js by
// constant name, with their ${…} interpolations resolved, so tests and the
// benchmark run exactly what the browser sends.
func pageQueries(tb testing.TB) map[string]string {
	tb.Helper()
	src, err := fs.ReadFile(webui.Files(), "gql.js")
	if err != nil {
		tb.Fatal(err)
	}
	re := regexp.MustCompile("(?s)(?:export )?const ([A-Z0-9_]+) = `(.*?)`;")
	out := map[string]string{}
	for _, m := range re.FindAllStringSubmatch(string(src), -1) {
		q := m[2]
		for name, v := range out {
			q = strings.ReplaceAll(q, "${"+name+"}", v)
		}
		if strings.Contains(q, "${") {
			tb.Fatalf("gql.js: %s interpolates a constant not defined before it", m[1])
		}
		out[m[1]] = q
	}
	for _, want := range []string{"VIEWER", "TIMELINE", "TWINS", "VARIANTS", "FIND_BY_IDENTIFIER"} {
		if out[want] == "" {
			tb.Fatalf("gql.js: no query %s", want)
		}
	}
	return out
}

// gqlResponse is a GraphQL response body.
type gqlResponse struct {
	Data   json.RawMessage `json:"data"`
	Errors []struct {
		Message    string         `json:"message"`
		Extensions map[string]any `json:"extensions"`
	} `json:"errors"`
	// Served is the time the server's handler took (not the decoding),
	// Bytes the size of the response body.
	Served time.Duration `json:"-"`
	Bytes  int           `json:"-"`
}

// post sends one operation to h as the browser does and decodes the reply.
func post(ctx context.Context, h http.Handler, token, query string, vars map[string]any) (int, gqlResponse, error) {
	body, err := json.Marshal(map[string]any{"query": query, "variables": vars})
	if err != nil {
		return 0, gqlResponse{}, err
	}
	req := httptest.NewRequestWithContext(ctx, http.MethodPost, "/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	rec := httptest.NewRecorder()
	start := time.Now()
	h.ServeHTTP(rec, req)
	served := time.Since(start)
	var r gqlResponse
	if err := json.Unmarshal(rec.Body.Bytes(), &r); err != nil {
		return rec.Code, r, fmt.Errorf("decoding %q: %w", rec.Body.String(), err)
	}
	r.Served, r.Bytes = served, rec.Body.Len()
	return rec.Code, r, nil
}

// mustPost is post for a query that must succeed; it decodes data into v.
func mustPost(tb testing.TB, h http.Handler, token, query string, vars map[string]any, v any) gqlResponse {
	tb.Helper()
	code, r, err := post(context.Background(), h, token, query, vars)
	if err != nil {
		tb.Fatal(err)
	}
	if code != http.StatusOK || len(r.Errors) > 0 {
		tb.Fatalf("status %d, errors %+v", code, r.Errors)
	}
	if v != nil {
		if err := json.Unmarshal(r.Data, v); err != nil {
			tb.Fatal(err)
		}
	}
	return r
}

// timelineEvent is what tests read of a timeline event.
type timelineEvent struct {
	Time    *time.Time
	EndTime *time.Time
	Kind    string
}

// readTimeline pages through a patient's timeline with the page's TIMELINE
// query, as the page does, and returns the events, the requests sent and
// the server time and bytes of their responses.
func readTimeline(tb testing.TB, h http.Handler, query, id string) (events []timelineEvent, pages int, served time.Duration, bytes int) {
	tb.Helper()
	var after any
	for first := true; ; first = false {
		var tl struct {
			Patient struct {
				Timeline struct {
					PageInfo struct {
						HasNextPage bool
						EndCursor   string
					}
					Edges []struct{ Node timelineEvent }
				}
			}
		}
		r := mustPost(tb, h, clinicianToken, query, map[string]any{"id": id, "after": after, "first": first, "identified": true}, &tl)
		pages++
		served += r.Served
		bytes += r.Bytes
		for _, e := range tl.Patient.Timeline.Edges {
			events = append(events, e.Node)
		}
		if !tl.Patient.Timeline.PageInfo.HasNextPage {
			return events, pages, served, bytes
		}
		after = tl.Patient.Timeline.PageInfo.EndCursor
	}
}
