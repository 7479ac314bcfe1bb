package postgres_test

import (
	"context"
	"fmt"
	"log"

	"github.com/medtwin/medtwin/store"
	"github.com/medtwin/medtwin/store/postgres"
	"github.com/medtwin/medtwin/timeline"
)

// Open a store (migrations are applied on open), resolve a patient and read
// their labs as Arrow records.
func ExampleOpen() {
	ctx := context.Background()
	s, err := postgres.Open(ctx, "postgres://medtwin@127.0.0.1:5432/medtwin?sslmode=disable&search_path=site_a")
	if err != nil {
		log.Fatal(err)
	}
	defer s.Close()
	sid, err := s.Resolve(ctx, timeline.Identifier{System: "urn:mrn", Value: "12345"})
	if err != nil {
		log.Fatal(err)
	}
	rr, err := s.Timeline(ctx, sid, store.Filter{Kinds: []timeline.Kind{timeline.KindLab}})
	if err != nil {
		log.Fatal(err)
	}
	defer rr.Release()
	for rr.Next() {
		fmt.Println(rr.Record().NumRows(), "lab rows")
	}
	if err := rr.Err(); err != nil {
		log.Fatal(err)
	}
}
