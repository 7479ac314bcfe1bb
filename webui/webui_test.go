package webui_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/medtwin/medtwin/internal/fixture"
	"github.com/medtwin/medtwin/internal/teststore"
	"github.com/medtwin/medtwin/webui"
)

// Every /ui response, the page, its files, redirects and errors, carries
// the strict content security policy; the page needs no token.
func TestStaticShell(t *testing.T) {
	srv := newServer(t, teststore.Open(t, "sqlite"))
	h := srv.Handler()
	cases := []struct {
		method, path string
		code         int
		ctype        string
		contains     string
	}{
		{"GET", "/ui/", 200, "text/html", `<script type="module" src="app.js">`},
		{"GET", "/ui", 301, "", ""},
		{"GET", "/ui/app.js", 200, "javascript", "import"},
		{"GET", "/ui/gql.js", 200, "javascript", "Authorization"},
		{"GET", "/ui/style.css", 200, "text/css", ":root"},
		{"GET", "/ui/index.html", 200, "text/html", "<main>"},
		{"GET", "/ui/missing.js", 404, "", ""},
		{"GET", "/ui/../server.go", 0, "", ""},
		{"POST", "/ui/", 0, "", ""},
		{"HEAD", "/ui/app.js", 200, "javascript", ""},
	}
	for _, c := range cases {
		t.Run(c.method+" "+c.path, func(t *testing.T) {
			req := httptest.NewRequest(c.method, c.path, nil)
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if c.code == 0 {
				// Refused by the mux before the view (a redirect to the
				// cleaned path, or not found): no file of the view.
				if rec.Code == http.StatusOK || strings.Contains(rec.Body.String(), "<html") {
					t.Fatalf("status %d, body %q", rec.Code, rec.Body.String())
				}
				return
			}
			if rec.Code != c.code {
				t.Fatalf("status %d, want %d", rec.Code, c.code)
			}
			if got := rec.Header().Get("Content-Security-Policy"); got != webui.CSP {
				t.Errorf("CSP %q", got)
			}
			if got := rec.Header().Get("X-Content-Type-Options"); got != "nosniff" {
				t.Errorf("X-Content-Type-Options %q", got)
			}
			if !strings.Contains(rec.Header().Get("Content-Type"), c.ctype) {
				t.Errorf("Content-Type %q, want %s", rec.Header().Get("Content-Type"), c.ctype)
			}
			if !strings.Contains(rec.Body.String(), c.contains) {
				t.Errorf("body lacks %q", c.contains)
			}
		})
	}
}

// The policy forbids inline script and style, and the page has none: no
// <script> without src, no style attribute or element, no inline handler.
func TestNoInlineScriptOrStyle(t *testing.T) {
	for _, p := range []string{"default-src 'self'", "script-src 'self'", "style-src 'self'", "frame-ancestors 'none'", "object-src 'none'"} {
		if !strings.Contains(webui.CSP, p) {
			t.Errorf("CSP lacks %s", p)
		}
	}
	if strings.Contains(webui.CSP, "unsafe") {
		t.Errorf("CSP allows unsafe sources: %s", webui.CSP)
	}
	f, err := webui.Files().Open("index.html")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(f)
	f.Close()
	page := strings.ToLower(string(b))
	for _, bad := range []string{"<style", " style=", " onclick=", " onload=", " onsubmit=", "<script>", "javascript:"} {
		if strings.Contains(page, bad) {
			t.Errorf("index.html holds inline %q", bad)
		}
	}
	// The token must never be written to storage, cookies or the URL.
	for _, name := range []string{"app.js", "ai.js", "dom.js", "gql.js", "svg.js", "prov.js"} {
		b, err := io.ReadAll(must(webui.Files().Open(name)))
		if err != nil {
			t.Fatal(err)
		}
		for _, bad := range []string{"localStorage", "sessionStorage", "document.cookie", "location.hash", "history.pushState", "location.search", "indexedDB",
			"innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval("} {
			if strings.Contains(string(b), bad) {
				t.Errorf("%s uses %s", name, bad)
			}
		}
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// The page loads without a token, but no patient data does: every query
// the page sends is refused with 401 and no data without a valid token,
// and answered with one.
func TestDataNeedsToken(t *testing.T) {
	ctx := context.Background()
	s := teststore.Open(t, "sqlite")
	if _, err := fixture.Build(ctx, s, fixture.Options{Patients: 1, Labs: 9}); err != nil {
		t.Fatal(err)
	}
	srv := newServer(t, s)
	h := srv.Handler()
	q := pageQueries(t)
	var found struct{ PatientByIdentifier struct{ ID string } }
	mustPost(t, h, clinicianToken, q["FIND_BY_IDENTIFIER"], map[string]any{"system": fixture.MRNSystem, "value": fixture.MRN(1)}, &found)
	id := found.PatientByIdentifier.ID
	if id == "" {
		t.Fatal("fixture patient not found")
	}
	ops := map[string]map[string]any{
		"VIEWER":             nil,
		"FIND_BY_IDENTIFIER": {"system": fixture.MRNSystem, "value": fixture.MRN(1)},
		"FIND_BY_ID":         {"id": id},
		"LIST":               {"codes": nil},
		"TIMELINE":           {"id": id, "after": nil, "first": true, "identified": true},
		"TWINS":              {"id": id},
		"VARIANTS":           {"id": id},
	}
	for name, vars := range ops {
		for _, tok := range []string{"", "not-a-token", clinicianToken + "x"} {
			code, r, err := post(ctx, h, tok, q[name], vars)
			if err != nil {
				t.Fatal(err)
			}
			if code != http.StatusUnauthorized || (len(r.Data) > 0 && string(r.Data) != "null") || len(r.Errors) == 0 {
				t.Errorf("%s with token %q: status %d, data %s", name, tok, code, r.Data)
			}
		}
		code, r, err := post(ctx, h, clinicianToken, q[name], vars)
		if err != nil {
			t.Fatal(err)
		}
		if code != http.StatusOK || len(r.Errors) > 0 || len(r.Data) < 10 {
			t.Errorf("%s with the clinician token: status %d, errors %+v", name, code, r.Errors)
		}
	}
	// A researcher's page asks for no identifiers and gets the pseudonym.
	var tl struct {
		Patient struct {
			ID            string
			Pseudonymised bool
		}
	}
	var rid struct {
		Patients struct {
			Edges []struct{ Node struct{ ID string } }
		}
	}
	mustPost(t, h, researcherToken, q["LIST"], map[string]any{"codes": nil}, &rid)
	if len(rid.Patients.Edges) != 1 || !strings.HasPrefix(rid.Patients.Edges[0].Node.ID, "ps_") {
		t.Fatalf("researcher list %+v", rid)
	}
	mustPost(t, h, researcherToken, q["TIMELINE"], map[string]any{"id": rid.Patients.Edges[0].Node.ID, "after": nil, "first": true, "identified": false}, &tl)
	if !tl.Patient.Pseudonymised {
		t.Errorf("researcher's view not pseudonymised: %+v", tl)
	}
}
