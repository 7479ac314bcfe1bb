// Command flightbench measures the Arrow Flight service for
// scripts/bench.d/80-flight.sh: DoGet throughput of the timeline on
// loopback, and the store's own scan into Arrow (the Scan call the service
// makes, without network) as its reference.
// Each subcommand prints one line of key=value figures.
//
//	flightbench scan --db DSN [--batch ROWS]
//	flightbench get  --addr HOST:PORT --token T [--parallel] [--server-pid PID]
//
// get reads the whole timeline as an admin: one DoGet of the descriptor
// (single stream), or with --parallel the endpoints of GetFlightInfo, each
// in a stream of its own. It counts the rows, the Arrow bytes of the
// decoded records and the bytes of the Flight messages received. With
// --server-pid it resets the server's peak resident memory before the read
// (/proc/PID/clear_refs) and reports the peak while streaming (VmHWM).
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/flight"
	"github.com/apache/arrow/go/v15/arrow/util"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"

	"github.com/medtwin/medtwin/store"
	"github.com/medtwin/medtwin/store/backend"
)

const descriptor = `{"dataset":"timeline"}`

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: flightbench scan|get [flags]")
		os.Exit(2)
	}
	fs := flag.NewFlagSet(os.Args[1], flag.ExitOnError)
	dsn := fs.String("db", "", "store (scan): sqlite:PATH or postgres://…")
	batch := fs.Int("batch", 0, "rows per record (scan; 0: the store's default)")
	addr := fs.String("addr", "", "Flight server (get): host:port")
	token := fs.String("token", "", "bearer token of an admin (get)")
	parallel := fs.Bool("parallel", false, "read GetFlightInfo's endpoints in parallel (get)")
	pid := fs.Int("server-pid", 0, "the server's process id, for its peak memory (get)")
	fs.Parse(os.Args[2:])
	ctx := context.Background()
	var err error
	switch os.Args[1] {
	case "scan":
		err = scan(ctx, *dsn, *batch)
	case "get":
		err = get(ctx, *addr, *token, *parallel, *pid)
	default:
		err = fmt.Errorf("unknown subcommand %q", os.Args[1])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "flightbench:", err)
		os.Exit(1)
	}
}

// counts accumulates what a read yielded.
type counts struct {
	rows, batches, arrowBytes, wireBytes atomic.Int64
}

func (c *counts) record(rec arrow.Record) {
	c.rows.Add(rec.NumRows())
	c.batches.Add(1)
	c.arrowBytes.Add(util.TotalRecordSize(rec))
}

func mbps(b int64, d time.Duration) float64 { return float64(b) / 1e6 / d.Seconds() }

// scan reads the whole timeline with the store scan a DoGet of
// {"dataset":"timeline"} by an admin makes (every subject, no filter), in
// the store's own batch size unless batch is set.
func scan(ctx context.Context, dsn string, batch int) error {
	s, err := backend.Open(ctx, dsn)
	if err != nil {
		return err
	}
	defer s.Close()
	var c counts
	start := time.Now()
	rr, err := s.Scan(ctx, store.Cohort{}, store.Filter{BatchRows: batch})
	if err != nil {
		return err
	}
	for rr.Next() {
		c.record(rr.Record())
	}
	err = rr.Err()
	rr.Release()
	if err != nil {
		return err
	}
	d := time.Since(start)
	fmt.Printf("scan rows=%d batches=%d seconds=%.3f rows_per_s=%.0f arrow_mb_per_s=%.1f peak_rss_mib=%.1f\n",
		c.rows.Load(), c.batches.Load(), d.Seconds(), float64(c.rows.Load())/d.Seconds(),
		mbps(c.arrowBytes.Load(), d), float64(procStatus(os.Getpid(), "VmHWM"))/(1<<20))
	return nil
}

// countingStream counts the bytes of the Flight messages a stream yields.
type countingStream struct {
	flight.FlightService_DoGetClient
	n *atomic.Int64
}

func (s countingStream) Recv() (*flight.FlightData, error) {
	fd, err := s.FlightService_DoGetClient.Recv()
	if fd != nil {
		s.n.Add(int64(len(fd.DataHeader) + len(fd.DataBody) + len(fd.AppMetadata)))
	}
	return fd, err
}

// get reads the timeline over Flight: one DoGet of the descriptor, or the
// endpoints of GetFlightInfo in parallel.
func get(ctx context.Context, addr, token string, parallel bool, pid int) error {
	if addr == "" || token == "" {
		return fmt.Errorf("get needs --addr and --token")
	}
	// gRPC's defaults, as a data scientist's client has them (messages of
	// 4 MiB at most).
	cl, err := flight.NewClientWithMiddleware(addr, nil, nil, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return err
	}
	defer cl.Close()
	ctx = metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+token)
	if pid > 0 {
		// "5" resets the peak resident set size (VmHWM) to the current one.
		if err := os.WriteFile(fmt.Sprintf("/proc/%d/clear_refs", pid), []byte("5"), 0); err != nil {
			return fmt.Errorf("resetting the server's peak memory: %w", err)
		}
	}
	var c counts
	start := time.Now()
	tickets := [][]byte{[]byte(descriptor)}
	if parallel {
		info, err := cl.GetFlightInfo(ctx, &flight.FlightDescriptor{Type: flight.DescriptorCMD, Cmd: []byte(descriptor)})
		if err != nil {
			return fmt.Errorf("GetFlightInfo: %w", err)
		}
		tickets = tickets[:0]
		for _, ep := range info.Endpoint {
			tickets = append(tickets, ep.Ticket.Ticket)
		}
	}
	errs := make([]error, len(tickets))
	var wg sync.WaitGroup
	for i, t := range tickets {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = doGet(ctx, cl, t, &c)
		}()
	}
	wg.Wait()
	d := time.Since(start)
	for i, err := range errs {
		if err != nil {
			return fmt.Errorf("DoGet %d: %w", i, err)
		}
	}
	peak := ""
	if pid > 0 {
		peak = fmt.Sprintf(" server_peak_rss_mib=%.1f", float64(procStatus(pid, "VmHWM"))/(1<<20))
	}
	fmt.Printf("flight streams=%d rows=%d batches=%d seconds=%.3f rows_per_s=%.0f arrow_mb_per_s=%.1f wire_mb_per_s=%.1f%s\n",
		len(tickets), c.rows.Load(), c.batches.Load(), d.Seconds(), float64(c.rows.Load())/d.Seconds(),
		mbps(c.arrowBytes.Load(), d), mbps(c.wireBytes.Load(), d), peak)
	return nil
}

func doGet(ctx context.Context, cl flight.Client, ticket []byte, c *counts) error {
	stream, err := cl.DoGet(ctx, &flight.Ticket{Ticket: ticket})
	if err != nil {
		return err
	}
	rdr, err := flight.NewRecordReader(countingStream{stream, &c.wireBytes})
	if err != nil {
		return err
	}
	defer rdr.Release()
	for rdr.Next() {
		c.record(rdr.Record())
	}
	return rdr.Err()
}

// procStatus returns a memory figure of /proc/PID/status in bytes (0 if
// unknown).
func procStatus(pid int, key string) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, key+":"); ok {
			var kb int64
			fmt.Sscanf(strings.TrimSpace(v), "%d", &kb)
			return kb << 10
		}
	}
	return 0
}
