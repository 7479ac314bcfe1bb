package webui_test

import (
	"context"
	"syscall"
	"testing"
	"time"

	"github.com/medtwin/medtwin/internal/fixture"
	"github.com/medtwin/medtwin/internal/teststore"
	"github.com/medtwin/medtwin/store"
)

// BenchmarkFirstRender measures the server time of a patient's first
// render in the web view: every GraphQL request the page sends before the
// patient is drawn (the timeline in pages of 1,000 events, the twins and
// the variants; the login and search requests come before and are not
// counted), executed one after the other through the server's handler, for
// a patient with 5,000 events (4,993 ALT/AST/platelet results, one a day,
// so the liver twin computes a FIB-4 and an APRI at each). The browser
// sends the twins and variants requests beside the timeline pages, so the
// sequential sum is an upper bound of the page's server time. The
// store-read sub-benchmark reads the same patient's rows from the store
// alone, the floor under any view of them. Target: page under 300 ms.
func BenchmarkFirstRender(b *testing.B) {
	for _, backend := range teststore.Backends {
		b.Run(backend, func(b *testing.B) {
			ctx := context.Background()
			s := teststore.Open(b, backend)
			ids, err := fixture.Build(ctx, s, fixture.Options{Patients: 1, Labs: 5000 - fixture.ExtraEvents})
			if err != nil {
				b.Fatal(err)
			}
			sid := ids[0]
			if n, err := s.Count(ctx, store.Cohort{SubjectIDs: []int64{sid}}, store.Filter{}); err != nil || n != 5000 {
				b.Fatalf("patient has %d events (%v), want 5000", n, err)
			}
			srv := newServer(b, s)
			h := srv.Handler()
			q := pageQueries(b)
			var found struct{ PatientByIdentifier struct{ ID string } }
			mustPost(b, h, clinicianToken, q["FIND_BY_IDENTIFIER"], map[string]any{"system": fixture.MRNSystem, "value": fixture.MRN(1)}, &found)
			id := found.PatientByIdentifier.ID

			b.Run("store-read", func(b *testing.B) {
				for b.Loop() {
					rr, err := s.Timeline(ctx, sid, store.Filter{})
					if err != nil {
						b.Fatal(err)
					}
					n := 0
					for rr.Next() {
						n += int(rr.Record().NumRows())
					}
					if err := rr.Err(); err != nil {
						b.Fatal(err)
					}
					rr.Release()
					if n != 5000 {
						b.Fatalf("read %d rows", n)
					}
				}
			})
			b.Run("page", func(b *testing.B) {
				var tTimeline, tTwins, tVariants time.Duration
				pages, bytes := 0, 0
				cpu0 := cpuTime()
				for b.Loop() {
					events, n, served, nb := readTimeline(b, h, q["TIMELINE"], id)
					pages += n
					bytes += nb
					tTimeline += served
					if len(events) != 5000 {
						b.Fatalf("timeline gave %d events", len(events))
					}
					var tw struct {
						Patient struct {
							LiverTwin struct {
								Scores struct {
									Edges []struct {
										Node struct{ Points struct{ Edges []struct{} } }
									}
								}
							}
						}
					}
					r := mustPost(b, h, clinicianToken, q["TWINS"], map[string]any{"id": id}, &tw)
					if e := tw.Patient.LiverTwin.Scores.Edges; len(e) == 0 || len(e[0].Node.Points.Edges) == 0 {
						b.Fatal("no FIB-4 points")
					}
					tTwins += r.Served
					bytes += r.Bytes
					r = mustPost(b, h, clinicianToken, q["VARIANTS"], map[string]any{"id": id}, nil)
					tVariants += r.Served
					bytes += r.Bytes
				}
				n := float64(b.N)
				ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 / n }
				// server-ms/op is the figure: the handlers' time, without the
				// test client's decoding (which ns/op includes). CPU time of
				// the process beside it: on a shared machine the wall time
				// includes waiting for a core.
				b.ReportMetric(ms(tTimeline+tTwins+tVariants), "server-ms/op")
				b.ReportMetric(ms(cpuTime()-cpu0), "cpu-ms/op")
				b.ReportMetric(ms(tTimeline), "timeline-ms/op")
				b.ReportMetric(ms(tTwins), "twins-ms/op")
				b.ReportMetric(ms(tVariants), "variants-ms/op")
				b.ReportMetric(float64(pages)/n, "timeline-requests/op")
				b.ReportMetric(float64(bytes)/1024/n, "KiB/op")
			})
		})
	}
}

// cpuTime is the user and system CPU time the process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
