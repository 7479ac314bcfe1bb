// Command scalebench measures the read side of a loaded store for
// scripts/bench-scale.sh: per-patient history latency (p50/p99) through
// the store and, when a GraphQL URL is given, through GraphQL; and the
// rows/s of a cohort scan of a share of the patients (what a Flight DoGet
// streams), through the store and, when an Arrow HTTP URL is given, over
// HTTP; and, when a Flight address is given, the rows/s of the same cohort
// pulled through Arrow Flight (GetFlightInfo, then every endpoint's DoGet in
// parallel, as a data scientist's client reads it). It prints one JSON object.
//
//	go run ./scripts/scalebench --db postgres://… [--graphql http://127.0.0.1:8080/graphql --token T]
//	    [--flight 127.0.0.1:8815 --flight-token ADMIN_TOKEN]
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"sort"
	"sync"
	"time"

	"github.com/medtwin/medtwin/store"
	"github.com/medtwin/medtwin/store/backend"
	"github.com/medtwin/medtwin/timeline"
)

type latency struct {
	Requests  int     `json:"requests"`
	Clients   int     `json:"clients"`
	P50ms     float64 `json:"p50Ms"`
	P99ms     float64 `json:"p99Ms"`
	MeanRows  float64 `json:"meanRows"`
	PerSecond float64 `json:"perSecond"`
}

type scan struct {
	Share        float64 `json:"share"`
	FirstSubject int64   `json:"firstSubject"`
	Subjects     int64   `json:"subjects"`
	Rows         int64   `json:"rows"`
	Seconds      float64 `json:"seconds"`
	RowsPerSec   float64 `json:"rowsPerSecond"`
}

type result struct {
	Subjects    int64       `json:"subjects"`
	Events      int64       `json:"events"`
	StoreRead   latency     `json:"storePatientHistory"`
	GraphQLRead *latency    `json:"graphqlPatientHistory,omitempty"`
	StoreScan   scan        `json:"storeCohortScan"`
	FlightScan  *flightScan `json:"flightCohortPull,omitempty"`
}

type flightScan struct {
	scan
	Endpoints int `json:"endpoints"`
}

func main() {
	dsn := flag.String("db", "", "store DSN")
	gql := flag.String("graphql", "", "GraphQL endpoint (optional)")
	token := flag.String("token", "", "bearer token for GraphQL")
	n := flag.Int("requests", 400, "patient histories to read")
	clients := flag.Int("clients", 4, "concurrent readers")
	share := flag.Float64("share", 0.1, "share of the patients in the scanned cohort")
	seed := flag.Uint64("seed", 1, "random seed for the patients read")
	flightAddr := flag.String("flight", "", "Arrow Flight address (optional)")
	flightToken := flag.String("flight-token", "", "bearer token for Flight (a role whose subject limit admits the cohort)")
	flag.Parse()
	if err := run(*dsn, *gql, *token, *n, *clients, *share, *seed, *flightAddr, *flightToken); err != nil {
		fmt.Fprintln(os.Stderr, "scalebench:", err)
		os.Exit(1)
	}
}

func run(dsn, gql, token string, n, clients int, share float64, seed uint64, flightAddr, flightToken string) error {
	ctx := context.Background()
	s, err := backend.Open(ctx, dsn)
	if err != nil {
		return err
	}
	defer s.Close()
	lo, hi, err := s.SubjectRange(ctx)
	if err != nil {
		return err
	}
	if hi == 0 {
		return fmt.Errorf("empty store")
	}
	var res result
	res.Subjects = hi - lo + 1
	if res.Events, err = s.Count(ctx, store.Cohort{}, store.Filter{}); err != nil {
		return err
	}
	r := rand.New(rand.NewPCG(seed, 7))
	subjects := make([]int64, n)
	for i := range subjects {
		subjects[i] = lo + r.Int64N(hi-lo+1)
	}
	// Warm-up: a few reads so that connection setup is not measured.
	for _, id := range subjects[:min(10, n)] {
		readHistory(ctx, s, id)
	}
	res.StoreRead, err = measure(subjects, clients, func(id int64) (int, error) { return readHistory(ctx, s, id) })
	if err != nil {
		return err
	}
	if gql != "" {
		l, err := measure(subjects, clients, func(id int64) (int, error) { return graphqlHistory(gql, token, id) })
		if err != nil {
			return err
		}
		res.GraphQLRead = &l
	}
	// A cohort of share × patients: a contiguous subject range, as a Flight
	// endpoint per shard would stream it.
	width := int64(float64(hi-lo+1) * share)
	start := lo + r.Int64N(max(1, hi-lo+1-width))
	c := store.Cohort{MinSubject: start, MaxSubject: start + width - 1}
	t0 := time.Now()
	rr, err := s.Scan(ctx, c, store.Filter{})
	if err != nil {
		return err
	}
	var rows int64
	for rr.Next() {
		rows += rr.Record().NumRows()
	}
	err = rr.Err()
	rr.Release()
	if err != nil {
		return err
	}
	el := time.Since(t0).Seconds()
	res.StoreScan = scan{Share: share, FirstSubject: start, Subjects: width, Rows: rows, Seconds: el, RowsPerSec: float64(rows) / el}
	if flightAddr != "" {
		fs, err := flightPull(ctx, flightAddr, flightToken, c)
		if err != nil {
			return err
		}
		fs.Share = share
		res.FlightScan = &fs
	}
	enc := json.NewEncoder(os.Stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(res)
}

func readHistory(ctx context.Context, s store.Store, id int64) (int, error) {
	rr, err := s.Timeline(ctx, id, store.Filter{})
	if err != nil {
		return 0, err
	}
	evs, err := timeline.ReadAll(rr)
	return len(evs), err
}

// historyQuery is a clinician's "show me this patient's history": the
// most recent thousand events.
const historyQuery = `query($id: ID!) { patient(id: $id) { id timeline(last: 1000) { edges { node { time code kind value unit } } } } }`

var client = &http.Client{Timeout: time.Minute}

func graphqlHistory(url, token string, id int64) (int, error) {
	body, _ := json.Marshal(map[string]any{"query": historyQuery, "variables": map[string]any{"id": fmt.Sprint(id)}})
	req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := client.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, err
	}
	if resp.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("graphql: HTTP %d", resp.StatusCode)
	}
	return bytes.Count(b, []byte(`"node"`)), nil
}

func measure(ids []int64, clients int, read func(int64) (int, error)) (latency, error) {
	var (
		mu    sync.Mutex
		durs  []time.Duration
		rows  int
		first error
		wg    sync.WaitGroup
	)
	next := make(chan int64)
	t0 := time.Now()
	for c := 0; c < clients; c++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for id := range next {
				s := time.Now()
				n, err := read(id)
				d := time.Since(s)
				mu.Lock()
				durs = append(durs, d)
				rows += n
				if err != nil && first == nil {
					first = err
				}
				mu.Unlock()
			}
		}()
	}
	for _, id := range ids {
		next <- id
	}
	close(next)
	wg.Wait()
	if first != nil {
		return latency{}, first
	}
	el := time.Since(t0).Seconds()
	sort.Slice(durs, func(a, b int) bool { return durs[a] < durs[b] })
	q := func(p float64) float64 {
		return float64(durs[int(p*float64(len(durs)-1))].Microseconds()) / 1000
	}
	return latency{Requests: len(durs), Clients: clients, P50ms: q(0.5), P99ms: q(0.99),
		MeanRows: float64(rows) / float64(len(durs)), PerSecond: float64(len(durs)) / el}, nil
}
