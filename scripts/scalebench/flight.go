package main

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/apache/arrow/go/v15/arrow/flight"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"

	"github.com/medtwin/medtwin/store"
)

// flightPull reads the timeline of cohort c (a contiguous subject range)
// through Arrow Flight: GetFlightInfo plans the endpoints, then every
// endpoint's DoGet is drained in a goroutine of its own. Rows/s counts
// from the GetFlightInfo call to the last batch of the slowest endpoint.
func flightPull(ctx context.Context, addr, token string, c store.Cohort) (flightScan, error) {
	client, err := flight.NewClientWithMiddleware(addr, nil, nil,
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(64<<20)))
	if err != nil {
		return flightScan{}, fmt.Errorf("flight client %s: %w", addr, err)
	}
	defer client.Close()
	if token != "" {
		ctx = metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+token)
	}
	var ids strings.Builder
	for id := c.MinSubject; id <= c.MaxSubject; id++ {
		if id > c.MinSubject {
			ids.WriteByte(',')
		}
		fmt.Fprint(&ids, id)
	}
	desc := fmt.Sprintf(`{"dataset":"timeline","cohort":{"subjects":[%s]}}`, ids.String())
	t0 := time.Now()
	info, err := client.GetFlightInfo(ctx, &flight.FlightDescriptor{Type: flight.DescriptorCMD, Cmd: []byte(desc)})
	if err != nil {
		return flightScan{}, fmt.Errorf("flight GetFlightInfo: %w", err)
	}
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		rows int64
		errs = make([]error, len(info.Endpoint))
	)
	for i, ep := range info.Endpoint {
		wg.Add(1)
		go func(i int, ticket []byte) {
			defer wg.Done()
			n, err := doGet(ctx, client, ticket)
			mu.Lock()
			rows += n
			mu.Unlock()
			errs[i] = err
		}(i, ep.Ticket.Ticket)
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			return flightScan{}, fmt.Errorf("flight DoGet endpoint %d: %w", i, err)
		}
	}
	el := time.Since(t0).Seconds()
	return flightScan{
		scan:      scan{FirstSubject: c.MinSubject, Subjects: c.MaxSubject - c.MinSubject + 1, Rows: rows, Seconds: el, RowsPerSec: float64(rows) / el},
		Endpoints: len(info.Endpoint),
	}, nil
}

func doGet(ctx context.Context, client flight.Client, ticket []byte) (int64, error) {
	stream, err := client.DoGet(ctx, &flight.Ticket{Ticket: ticket})
	if err != nil {
		return 0, err
	}
	rdr, err := flight.NewRecordReader(stream)
	if err != nil {
		return 0, err
	}
	defer rdr.Release()
	var n int64
	for rdr.Next() {
		n += rdr.Record().NumRows()
	}
	return n, rdr.Err()
}
