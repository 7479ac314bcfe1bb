// Package webui serves medtwin's clinician web view at /ui: a small
// front end (plain ES modules, SVG drawn in the browser, no build step)
// embedded in the binary, which reads everything through the public
// GraphQL API with the token the user pastes into its login form.
//
// The handler serves static files only: it holds no patient data and
// needs no token, so the page can load before login, while every datum the
// page shows comes from /graphql, which refuses requests without a valid
// bearer token and writes the audit log. The token lives in the page's
// memory only (never in a URL, a cookie or web storage), the selected
// patient is page state (never in a URL), and every response carries a
// strict Content-Security-Policy: scripts, styles and connections from
// this origin only, no inline script or style, no framing.
package webui

import (
	"embed"
	"io/fs"
	"net/http"
	"path"
	"strings"
)

//go:embed static
var static embed.FS

// CSP is the Content-Security-Policy of every /ui response.
const CSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; " +
	"form-action 'none'; frame-ancestors 'none'"

// Prefix is the path the view is served under.
const Prefix = "/ui/"

// Files returns the embedded static files (for tests).
func Files() fs.FS {
	sub, err := fs.Sub(static, "static")
	if err != nil {
		panic(err) // the embed pattern guarantees the directory
	}
	return sub
}

// Handler serves the view: GET /ui redirects to /ui/, /ui/ is the page,
// /ui/NAME a file of it. Mount it on "GET /ui" and "GET /ui/".
func Handler() http.Handler {
	files := Files()
	fsrv := http.FileServerFS(files)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", CSP)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		h.Set("Cache-Control", "no-cache")
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			h.Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		if r.URL.Path == strings.TrimSuffix(Prefix, "/") {
			http.Redirect(w, r, Prefix, http.StatusMovedPermanently)
			return
		}
		name := strings.TrimPrefix(r.URL.Path, Prefix)
		if name == "" {
			name = "index.html"
		}
		name = path.Clean(name)
		if strings.Contains(name, "..") || strings.HasPrefix(name, "/") {
			http.NotFound(w, r)
			return
		}
		if _, err := fs.Stat(files, name); err != nil {
			http.NotFound(w, r)
			return
		}
		r2 := r.Clone(r.Context())
		r2.URL.Path = "/" + name
		if name == "index.html" {
			// FileServer redirects /index.html to ./; serve the bytes directly.
			b, err := fs.ReadFile(files, name)
			if err != nil {
				http.Error(w, "internal error", http.StatusInternalServerError)
				return
			}
			h.Set("Content-Type", "text/html; charset=utf-8")
			w.Write(b)
			return
		}
		fsrv.ServeHTTP(w, r2)
	})
}
