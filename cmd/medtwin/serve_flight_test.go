package main

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/apache/arrow/go/v15/arrow/flight"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"

	"github.com/medtwin/medtwin/internal/fixture"
	"github.com/medtwin/medtwin/store"
	"github.com/medtwin/medtwin/store/sqlite"
)

// `medtwin serve` serves Arrow Flight beside GraphQL, with the same tokens
// and the same pseudonym key, and audits the reads.
func TestServeFlight(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "medtwin.db")
	ctx := context.Background()
	s, err := sqlite.Open(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := fixture.Build(ctx, s, fixture.Options{Patients: 6, Labs: 9}); err != nil {
		t.Fatal(err)
	}
	s.Close()
	tokens := filepath.Join(dir, "tokens.csv")
	os.WriteFile(tokens, []byte("token,role,name\n"+e2eRes+",researcher,r.fisher\n"), 0o600)
	addr := startServeUntil(t, `serving Arrow Flight at grpc://(\S+)`, "--db", "sqlite:"+db, "serve", "--addr", "127.0.0.1:0",
		"--flight-addr", "127.0.0.1:0", "--tokens", tokens, "--flight-endpoints", "3")
	c, err := flight.NewClientWithMiddleware(addr, nil, nil, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	actx := metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+e2eRes)
	info, err := c.GetFlightInfo(actx, &flight.FlightDescriptor{Type: flight.DescriptorCMD, Cmd: []byte(`{"dataset":"timeline","kinds":["lab"]}`)})
	if err != nil {
		t.Fatal(err)
	}
	if len(info.Endpoint) != 3 || info.TotalRecords != 6*9 {
		t.Fatalf("%d endpoints, %d rows", len(info.Endpoint), info.TotalRecords)
	}
	rows := 0
	for _, ep := range info.Endpoint {
		stream, err := c.DoGet(actx, ep.Ticket)
		if err != nil {
			t.Fatal(err)
		}
		rdr, err := flight.NewRecordReader(stream)
		if err != nil {
			t.Fatal(err)
		}
		for rdr.Next() {
			rows += int(rdr.Record().NumRows())
		}
		if err := rdr.Err(); err != nil {
			t.Fatal(err)
		}
		rdr.Release()
	}
	if rows != 6*9 {
		t.Fatalf("%d rows", rows)
	}
	s, err = sqlite.Open(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	log, err := s.AuditLog(ctx, store.AuditQuery{Actor: "r.fisher"})
	if err != nil || len(log) != 6 || log[0].Action != "flight" {
		t.Fatalf("audit: %d entries, %v", len(log), err)
	}
}
