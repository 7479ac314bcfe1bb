package graph

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// BenchmarkPatientTimeline is the load benchmark's query in process:
// "patient by id with the last 1,000 timeline events" (issue 9), through
// the HTTP handler (auth, limits, audit) on the embedded store, so that a
// profile shows where the time goes without the network or a load tool.
// 1,000 events is the patient size; 100 events shows the per-event
// share. PostgreSQL runs when MEDTWIN_TEST_POSTGRES is set.
func BenchmarkPatientTimeline(b *testing.B) {
	for _, c := range []struct {
		store  string
		events int
	}{{"sqlite", 100}, {"sqlite", 1000}, {"postgres", 1000}} {
		b.Run(fmt.Sprintf("store=%s/events=%d", c.store, c.events), func(b *testing.B) {
			e := newEnvOn(b, c.store, 20, c.events-fixtureExtra, Limits{})
			body := `{"query":"query P($id: ID!) { patient(id: $id) { id timeline(last: 1000) { edges { node { time kind code value unit } } } } }","variables":{"id":"%d"}}`
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				req := httptest.NewRequest("POST", "/graphql", strings.NewReader(fmt.Sprintf(body, e.ids[i%len(e.ids)])))
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("Authorization", "Bearer "+clinTok)
				w := httptest.NewRecorder()
				e.h.ServeHTTP(w, req)
				if w.Code != http.StatusOK || strings.Contains(w.Body.String(), `"errors"`) {
					b.Fatalf("%d %s", w.Code, w.Body.String()[:200])
				}
				b.SetBytes(int64(w.Body.Len()))
			}
		})
	}
}
