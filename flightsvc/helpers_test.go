package flightsvc

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/flight"
	"github.com/apache/arrow/go/v15/arrow/ipc"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/medtwin/medtwin/auth"
	"github.com/medtwin/medtwin/internal/fixture"
	"github.com/medtwin/medtwin/internal/teststore"
	"github.com/medtwin/medtwin/pseudo"
	"github.com/medtwin/medtwin/store"
)

const (
	tokClinician  = "clinician-token-0123456789"
	tokClinician2 = "clinician2-token-0123456789"
	tokResearcher = "researcher-token-0123456789"
	tokAdmin      = "admin-token-0123456789abcdef"
)

var bg = context.Background()

// env is a store with the fixture cohort, a Service, a Flight server and
// an HTTP server on loopback.
type env struct {
	t      testing.TB
	store  store.Store
	svc    *Service
	ids    []int64
	pseudo *pseudo.Pseudonymizer
	flight *FlightServer
	addr   string
	http   *httptest.Server
	client flight.Client
}

type envOptions struct {
	backend  string
	patients int
	labs     int
	limits   Limits
	wrap     func(store.Store) store.Store
	maxShift int // pseudonymisation's largest date shift in days (default pseudo's)
}

func newEnv(t testing.TB, o envOptions) *env {
	t.Helper()
	if o.backend == "" {
		o.backend = "sqlite"
	}
	if o.patients == 0 {
		o.patients = 12
	}
	if o.labs == 0 {
		o.labs = 9
	}
	s := teststore.Open(t, o.backend)
	ids, err := fixture.Build(bg, s, fixture.Options{Patients: o.patients, Labs: o.labs, BatchRows: 200,
		Clock: func() time.Time { return time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC) }})
	if err != nil {
		t.Fatal(err)
	}
	if o.wrap != nil {
		s = o.wrap(s)
	}
	toks, err := auth.ParseTokens(strings.NewReader("token,role,name\n" +
		tokClinician + ",clinician,dr.a\n" + tokClinician2 + ",clinician,dr.b\n" +
		tokResearcher + ",researcher,res.c\n" + tokAdmin + ",admin,admin.d\n"))
	if err != nil {
		t.Fatal(err)
	}
	var popts []pseudo.Option
	if o.maxShift > 0 {
		popts = append(popts, pseudo.WithMaxShiftDays(o.maxShift))
	}
	ps := pseudo.NewRandom(popts...)
	svc, err := New(Config{Store: s, Auth: toks, Pseudo: ps, Limits: o.limits})
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, store: s, svc: svc, ids: ids, pseudo: ps}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	e.addr = ln.Addr().String()
	e.flight = NewFlightServer(svc)
	ctx, cancel := context.WithCancel(bg)
	done := make(chan error, 1)
	go func() { done <- e.flight.Serve(ctx, ln, 5*time.Second) }()
	e.http = httptest.NewServer(svc.HTTPHandler())
	e.client, err = flight.NewClientWithMiddleware(e.addr, nil, nil, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		e.client.Close()
		e.http.Close()
		cancel()
		if err := <-done; err != nil {
			t.Errorf("flight server: %v", err)
		}
	})
	return e
}

func withToken(ctx context.Context, tok string) context.Context {
	return metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+tok)
}

func cmd(d string) *flight.FlightDescriptor {
	return &flight.FlightDescriptor{Type: flight.DescriptorCMD, Cmd: []byte(d)}
}

// rowsOf renders every row of a record as a line of its column values.
func rowsOf(rec arrow.Record) []string {
	out := make([]string, rec.NumRows())
	for i := range out {
		var b strings.Builder
		for c := 0; c < int(rec.NumCols()); c++ {
			if c > 0 {
				b.WriteByte('|')
			}
			col := rec.Column(c)
			if col.IsNull(i) {
				b.WriteString("∅")
			} else {
				b.WriteString(col.ValueStr(i))
			}
		}
		out[i] = b.String()
	}
	return out
}

// readAll drains a record reader into rows.
func readAll(t testing.TB, rr interface {
	Next() bool
	Record() arrow.Record
	Err() error
}) []string {
	t.Helper()
	var rows []string
	for rr.Next() {
		rows = append(rows, rowsOf(rr.Record())...)
	}
	if err := rr.Err(); err != nil {
		t.Fatalf("read: %v", err)
	}
	return rows
}

// scanRows reads a direct store scan.
func (e *env) scanRows(c store.Cohort, f store.Filter) []string {
	rr, err := e.store.Scan(bg, c, f)
	if err != nil {
		e.t.Fatal(err)
	}
	defer rr.Release()
	return readAll(e.t, rr)
}

// doGet reads one ticket.
func (e *env) doGet(ctx context.Context, ticket []byte) ([]string, *arrow.Schema, error) {
	stream, err := e.client.DoGet(ctx, &flight.Ticket{Ticket: ticket})
	if err != nil {
		return nil, nil, err
	}
	rdr, err := flight.NewRecordReader(stream)
	if err != nil {
		return nil, nil, err
	}
	defer rdr.Release()
	var rows []string
	for rdr.Next() {
		rows = append(rows, rowsOf(rdr.Record())...)
	}
	return rows, rdr.Schema(), rdr.Err()
}

// pull plans a descriptor and reads its endpoints in parallel, returning
// the rows in endpoint order.
func (e *env) pull(tok, desc string) (*flight.FlightInfo, []string, *arrow.Schema) {
	e.t.Helper()
	ctx := withToken(bg, tok)
	info, err := e.client.GetFlightInfo(ctx, cmd(desc))
	if err != nil {
		e.t.Fatalf("GetFlightInfo(%s): %v", desc, err)
	}
	parts := make([][]string, len(info.Endpoint))
	errs := make([]error, len(info.Endpoint))
	var sc *arrow.Schema
	var mu sync.Mutex
	var wg sync.WaitGroup
	for i, ep := range info.Endpoint {
		wg.Add(1)
		go func(i int, t []byte) {
			defer wg.Done()
			rows, s, err := e.doGet(ctx, t)
			parts[i], errs[i] = rows, err
			mu.Lock()
			if s != nil {
				sc = s
			}
			mu.Unlock()
		}(i, ep.Ticket.Ticket)
	}
	wg.Wait()
	var rows []string
	for i := range parts {
		if errs[i] != nil {
			e.t.Fatalf("DoGet endpoint %d: %v", i, errs[i])
		}
		rows = append(rows, parts[i]...)
	}
	return info, rows, sc
}

// get requests GET /arrow/… and reads the stream.
func (e *env) get(tok, path string) (int, string, []string, *arrow.Schema) {
	e.t.Helper()
	req, _ := http.NewRequest("GET", e.http.URL+path, nil)
	if tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	resp, err := e.http.Client().Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		var b strings.Builder
		buf := make([]byte, 4096)
		n, _ := resp.Body.Read(buf)
		b.Write(buf[:n])
		return resp.StatusCode, b.String(), nil, nil
	}
	if ct := resp.Header.Get("Content-Type"); ct != ContentType {
		e.t.Fatalf("Content-Type %q", ct)
	}
	rdr, err := ipc.NewReader(resp.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	defer rdr.Release()
	rows := readAll(e.t, rdr)
	return resp.StatusCode, "", rows, rdr.Schema()
}

func codeOf(err error) codes.Code { return status.Code(err) }

func sorted(rows []string) []string {
	out := append([]string(nil), rows...)
	sort.Strings(out)
	return out
}

func col(sc *arrow.Schema, rows []string, name string) []string {
	idx := sc.FieldIndices(name)
	if len(idx) == 0 {
		panic(fmt.Sprintf("no column %s in %s", name, sc))
	}
	out := make([]string, len(rows))
	for i, r := range rows {
		out[i] = strings.Split(r, "|")[idx[0]]
	}
	return out
}

func authReq(url, tok string) *http.Request {
	req, _ := http.NewRequest("GET", url, nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	return req
}
