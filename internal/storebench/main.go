// Command storebench measures the stores for scripts/bench.d/10-store.sh:
// append throughput, one patient's timeline latency, cohort scan throughput
// and peak memory. Each subcommand prints one line of key=value figures.
//
//	storebench append   --db DSN --patients 1000 --events 1000
//	storebench load     --db DSN --patients 10000 --events 1000
//	storebench point    --db DSN --patients 10000 --reads 2000 [--clients 1]
//	storebench scan     --db DSN
//	storebench maintain --db DSN
//
// The data (internal/benchdata) is deterministic: patients are resolved as
// urn:bench:mrn|0…P-1, and rows arrive in time order, round robin over them.
package main

import (
	"context"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"runtime"
	"runtime/pprof"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/medtwin/medtwin/internal/benchdata"
	"github.com/medtwin/medtwin/store"
	"github.com/medtwin/medtwin/store/backend"
	"github.com/medtwin/medtwin/timeline"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: storebench append|load|point|scan|maintain [flags]")
		os.Exit(2)
	}
	fs := flag.NewFlagSet(os.Args[1], flag.ExitOnError)
	dsn := fs.String("db", "", "store: sqlite:PATH or postgres://…")
	patients := fs.Int("patients", 1000, "patients")
	events := fs.Int("events", 1000, "events per patient")
	reads := fs.Int("reads", 2000, "timeline reads (point)")
	clients := fs.Int("clients", 1, "concurrent readers (point)")
	cpuprofile := fs.String("cpuprofile", "", "write a CPU profile to this file")
	fs.Parse(os.Args[2:])
	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err != nil {
			fail(err)
		}
		pprof.StartCPUProfile(f)
		defer pprof.StopCPUProfile()
	}
	ctx := context.Background()
	s, err := backend.Open(ctx, *dsn)
	if err != nil {
		fail(err)
	}
	defer s.Close()
	spec := benchdata.Spec{Patients: *patients, Events: *events}
	switch os.Args[1] {
	case "append":
		err = appendBench(ctx, s, spec, true)
	case "load":
		err = appendBench(ctx, s, spec, false)
	case "point":
		err = pointBench(ctx, s, spec, *reads, *clients)
	case "scan":
		err = scanBench(ctx, s)
	case "maintain":
		start := time.Now()
		err = s.Maintain(ctx)
		fmt.Printf("maintain seconds=%.2f\n", time.Since(start).Seconds())
	default:
		err = fmt.Errorf("unknown subcommand %q", os.Args[1])
	}
	if err != nil {
		pprof.StopCPUProfile()
		fail(err)
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "storebench:", err)
	os.Exit(1)
}

func subjects(ctx context.Context, s store.Store, n int) ([]int64, error) {
	ids := make([]int64, n)
	for p := range ids {
		sid, err := s.Resolve(ctx, benchdata.Identifier(p))
		if err != nil {
			return nil, err
		}
		ids[p] = sid
	}
	return ids, nil
}

// appendBench appends the data set. Timed: the batches are built first and
// only Append is measured; otherwise (load) generation streams alongside.
func appendBench(ctx context.Context, s store.Store, spec benchdata.Spec, timed bool) error {
	ids, err := subjects(ctx, s, spec.Patients)
	if err != nil {
		return err
	}
	var total store.AppendResult
	var elapsed time.Duration
	if timed {
		var batches []*timeline.Batch
		if err := spec.Batches(ids, func(b *timeline.Batch) error { batches = append(batches, b); return nil }); err != nil {
			return err
		}
		start := time.Now()
		for _, b := range batches {
			r, err := s.Append(ctx, b)
			if err != nil {
				return err
			}
			total.Add(r)
			b.Release()
		}
		elapsed = time.Since(start)
	} else {
		start := time.Now()
		err := spec.Batches(ids, func(b *timeline.Batch) error {
			defer b.Release()
			r, err := s.Append(ctx, b)
			total.Add(r)
			return err
		})
		if err != nil {
			return err
		}
		elapsed = time.Since(start)
	}
	fmt.Printf("append rows=%d inserted=%d duplicate=%d seconds=%.3f rows_per_s=%.0f\n",
		spec.Rows(), total.Inserted, total.Duplicate, elapsed.Seconds(), float64(spec.Rows())/elapsed.Seconds())
	return nil
}

// pointBench reads random patients' whole timelines and reports latency
// percentiles (per read, including decoding into Arrow).
func pointBench(ctx context.Context, s store.Store, spec benchdata.Spec, reads, clients int) error {
	ids := make([]int64, spec.Patients)
	for p := range ids {
		sid, err := s.Lookup(ctx, benchdata.Identifier(p))
		if err != nil {
			return fmt.Errorf("patient %d: %w (load the data first)", p, err)
		}
		ids[p] = sid
	}
	read := func(sid int64) (int, error) {
		rr, err := s.Timeline(ctx, sid, store.Filter{})
		if err != nil {
			return 0, err
		}
		defer rr.Release()
		n := 0
		for rr.Next() {
			n += int(rr.Record().NumRows())
		}
		return n, rr.Err()
	}
	// Warm the connection pool and statement caches.
	for i := 0; i < 20; i++ {
		if _, err := read(ids[i%len(ids)]); err != nil {
			return err
		}
	}
	lat := make([]time.Duration, reads)
	var rows int64
	var mu sync.Mutex
	var firstErr error
	var wg sync.WaitGroup
	start := time.Now()
	for c := 0; c < clients; c++ {
		wg.Add(1)
		go func(c int) {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(42, uint64(c)))
			for i := c; i < reads; i += clients {
				t0 := time.Now()
				n, err := read(ids[rng.IntN(len(ids))])
				lat[i] = time.Since(t0)
				mu.Lock()
				rows += int64(n)
				if err != nil && firstErr == nil {
					firstErr = err
				}
				mu.Unlock()
			}
		}(c)
	}
	wg.Wait()
	wall := time.Since(start)
	if firstErr != nil {
		return firstErr
	}
	slices.Sort(lat)
	pct := func(p float64) float64 { return float64(lat[int(p*float64(len(lat)-1))].Microseconds()) / 1000 }
	fmt.Printf("point reads=%d clients=%d rows_per_read=%.0f median_ms=%.3f p99_ms=%.3f reads_per_s=%.0f\n",
		reads, clients, float64(rows)/float64(reads), pct(0.5), pct(0.99), float64(reads)/wall.Seconds())
	return nil
}

// scanBench streams the whole cohort and reports throughput and the
// process's peak resident memory.
func scanBench(ctx context.Context, s store.Store) error {
	start := time.Now()
	rr, err := s.Scan(ctx, store.Cohort{}, store.Filter{})
	if err != nil {
		return err
	}
	var rows, batches int64
	var maxHeap uint64
	var ms runtime.MemStats
	for rr.Next() {
		rows += rr.Record().NumRows()
		batches++
		if batches%16 == 0 {
			runtime.ReadMemStats(&ms)
			maxHeap = max(maxHeap, ms.HeapInuse)
		}
	}
	err = rr.Err()
	rr.Release()
	if err != nil {
		return err
	}
	elapsed := time.Since(start)
	fmt.Printf("scan rows=%d batches=%d seconds=%.3f rows_per_s=%.0f peak_rss_mib=%.1f max_heap_inuse_mib=%.1f\n",
		rows, batches, elapsed.Seconds(), float64(rows)/elapsed.Seconds(), float64(peakRSS())/(1<<20), float64(maxHeap)/(1<<20))
	return nil
}

// peakRSS returns the process's peak resident set size (VmHWM), 0 if unknown.
func peakRSS() int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			var kb int64
			fmt.Sscanf(strings.TrimSpace(v), "%d", &kb)
			return kb << 10
		}
	}
	return 0
}
