package flightsvc

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow/go/v15/arrow/flight"
	"google.golang.org/grpc/codes"

	"github.com/medtwin/medtwin/auth"
	"github.com/medtwin/medtwin/internal/fixture"
	"github.com/medtwin/medtwin/internal/teststore"
	"github.com/medtwin/medtwin/store"
	"github.com/medtwin/medtwin/timeline"
)

// A Go Flight client pulls a cohort through parallel endpoints and gets
// exactly the rows of a direct store scan, in order, on both backends.
func TestParallelEndpointsMatchScan(t *testing.T) {
	for _, b := range teststore.Backends {
		t.Run(b, func(t *testing.T) {
			e := newEnv(t, envOptions{backend: b, patients: 23, labs: 40, limits: Limits{Endpoints: 4, BatchRows: 50}})
			info, rows, sc := e.pull(tokAdmin, `{"dataset":"timeline","cohort":{"has_codes":["ICD10CM//K76*"]}}`)
			if len(info.Endpoint) != 4 {
				t.Fatalf("%d endpoints, want 4", len(info.Endpoint))
			}
			want := e.scanRows(store.Cohort{HasCodes: []string{"ICD10CM//K76*"}}, store.Filter{})
			if len(want) != 23*(40+fixture.ExtraEvents)+2 { // every 10th patient has a death
				t.Fatalf("direct scan: %d rows", len(want))
			}
			if !slices.Equal(rows, want) {
				t.Fatalf("Flight rows differ from the store scan: %d vs %d rows", len(rows), len(want))
			}
			if info.TotalRecords != int64(len(want)) {
				t.Errorf("TotalRecords %d, want %d", info.TotalRecords, len(want))
			}
			if !sc.Equal(timeline.EventSchema) {
				t.Errorf("schema %s", sc)
			}
			// A subject list, a projection and filters.
			sub := []int64{e.ids[2], e.ids[5], e.ids[6], e.ids[19]}
			d := fmt.Sprintf(`{"dataset":"timeline","cohort":{"subjects":[%d,%d,%d,"%d"]},"codes":["LOINC//1742-6"],"from":"2020-01-05","as_of":"2020-01-20","columns":["subject_id","time","numeric_value"]}`,
				sub[0], sub[1], sub[2], sub[3])
			info, rows, sc = e.pull(tokClinician, d)
			if len(info.Endpoint) != 4 || sc.NumFields() != 3 {
				t.Fatalf("%d endpoints, schema %s", len(info.Endpoint), sc)
			}
			f := store.Filter{Codes: []string{"LOINC//1742-6"}, From: time.Date(2020, 1, 5, 0, 0, 0, 0, time.UTC), AsOf: time.Date(2020, 1, 20, 0, 0, 0, 0, time.UTC)}
			var proj []string
			for _, r := range e.scanRows(store.Cohort{SubjectIDs: sub}, f) {
				p := strings.Split(r, "|")
				proj = append(proj, p[0]+"|"+p[1]+"|"+p[3])
			}
			if len(proj) == 0 || !slices.Equal(rows, proj) {
				t.Fatalf("projected rows: got %d, want %d", len(rows), len(proj))
			}
		})
	}
}

// A raw descriptor works as a DoGet ticket (pyarrow's do_get(Ticket(json))).
func TestDescriptorAsTicket(t *testing.T) {
	e := newEnv(t, envOptions{})
	ctx := withToken(bg, tokClinician)
	rows, _, err := e.doGet(ctx, []byte(fmt.Sprintf(`{"dataset":"timeline","cohort":{"subjects":[%d]}}`, e.ids[0])))
	if err != nil {
		t.Fatal(err)
	}
	if want := e.scanRows(store.Cohort{SubjectIDs: e.ids[:1]}, store.Filter{}); !slices.Equal(rows, want) {
		t.Fatalf("%d rows, want %d", len(rows), len(want))
	}
}

func TestAuthentication(t *testing.T) {
	e := newEnv(t, envOptions{})
	d := cmd(`{"dataset":"timeline"}`)
	if _, err := e.client.GetFlightInfo(bg, d); codeOf(err) != codes.Unauthenticated {
		t.Errorf("no token: %v", err)
	}
	if _, err := e.client.GetFlightInfo(withToken(bg, "not-a-real-token-at-all"), d); codeOf(err) != codes.Unauthenticated || !strings.Contains(err.Error(), "invalid token") {
		t.Errorf("bad token: %v", err)
	}
	// Basic-auth handshake with the token as password, then bearer calls.
	ctx, err := e.client.AuthenticateBasicToken(bg, "anyone", tokAdmin)
	if err != nil {
		t.Fatalf("handshake: %v", err)
	}
	if _, err := e.client.GetFlightInfo(ctx, d); err != nil {
		t.Errorf("after handshake: %v", err)
	}
	if _, err := e.client.AuthenticateBasicToken(bg, "anyone", "wrong-token-0123456789"); codeOf(err) != codes.Unauthenticated {
		t.Errorf("handshake with a bad token: %v", err)
	}
	// Tickets are for the caller they were issued to, and cannot be altered.
	info, err := e.client.GetFlightInfo(withToken(bg, tokClinician), cmd(fmt.Sprintf(`{"dataset":"timeline","cohort":{"subjects":[%d]}}`, e.ids[0])))
	if err != nil {
		t.Fatal(err)
	}
	tk := info.Endpoint[0].Ticket.Ticket
	if _, _, err := e.doGet(withToken(bg, tokClinician2), tk); codeOf(err) != codes.InvalidArgument || !strings.Contains(err.Error(), "another caller") {
		t.Errorf("ticket of another caller: %v", err)
	}
	bad := slices.Clone(tk)
	bad[len(bad)-1] ^= 1
	if _, _, err := e.doGet(withToken(bg, tokClinician), bad); codeOf(err) != codes.InvalidArgument {
		t.Errorf("altered ticket: %v", err)
	}
	if _, _, err := e.doGet(withToken(bg, tokClinician), tk); err != nil {
		t.Errorf("own ticket: %v", err)
	}
	// HTTP: 401 with a challenge.
	if code, msg, _, _ := e.get("", "/arrow/timeline"); code != 401 || !strings.Contains(msg, "no token") {
		t.Errorf("HTTP without token: %d %q", code, msg)
	}
	if code, _, _, _ := e.get("wrong-token-0123456789", "/arrow/timeline"); code != 401 {
		t.Errorf("HTTP bad token: %d", code)
	}
}

func TestRoleLimits(t *testing.T) {
	e := newEnv(t, envOptions{patients: 12, limits: Limits{MaxSubjects: map[auth.Role]int{auth.Clinician: 5, auth.Researcher: 8}}})
	// Over the limit: GetFlightInfo, raw tickets and HTTP refuse.
	_, err := e.client.GetFlightInfo(withToken(bg, tokClinician), cmd(`{"dataset":"timeline"}`))
	if codeOf(err) != codes.PermissionDenied || !strings.Contains(err.Error(), "more than 5 subjects") {
		t.Errorf("clinician, whole store: %v", err)
	}
	if _, _, err := e.doGet(withToken(bg, tokClinician), []byte(`{"dataset":"timeline"}`)); codeOf(err) != codes.PermissionDenied {
		t.Errorf("raw ticket over the limit: %v", err)
	}
	if code, msg, _, _ := e.get(tokResearcher, "/arrow/timeline"); code != 403 || !strings.Contains(msg, "researcher role's limit") {
		t.Errorf("HTTP researcher: %d %q", code, msg)
	}
	// Within it, and for admins (no limit), reads work.
	sub := fmt.Sprintf(`{"dataset":"timeline","cohort":{"subjects":[%d,%d,%d]}}`, e.ids[0], e.ids[1], e.ids[2])
	if _, err := e.client.GetFlightInfo(withToken(bg, tokClinician), cmd(sub)); err != nil {
		t.Errorf("clinician, 3 subjects: %v", err)
	}
	if _, rows, _ := e.pull(tokAdmin, `{"dataset":"timeline"}`); len(rows) != len(e.scanRows(store.Cohort{}, store.Filter{})) {
		t.Errorf("admin: %d rows", len(rows))
	}
}

func TestBadInput(t *testing.T) {
	e := newEnv(t, envOptions{})
	ctx := withToken(bg, tokClinician)
	cases := []struct {
		desc string
		code codes.Code
		msg  string
	}{
		{`{"dataset":"patients"}`, codes.NotFound, `unknown dataset: "patients"`},
		{`{"dataset":"timeline"`, codes.InvalidArgument, "descriptor JSON"},
		{`{"dataset":"timeline","cohort":{"subject":[1]}}`, codes.InvalidArgument, "unknown field"},
		{`{"dataset":"timeline","columns":["nope"]}`, codes.InvalidArgument, `no column "nope"`},
		{`{"dataset":"timeline","kinds":["labs"]}`, codes.InvalidArgument, `kind "labs"`},
		{`{"dataset":"timeline","as_of":"yesterday"}`, codes.InvalidArgument, "as_of"},
		{`{"dataset":"timeline","cohort":{"subjects":["x1"]}}`, codes.InvalidArgument, "subject 1 of the list"},
		{`{"dataset":"timeline","cohort":{"name":"no such cohort"}}`, codes.NotFound, "no saved cohort"},
		{`{"dataset":"timeline","cohort":{"subjects":["ps_AAAAAAAAAAAAAAAAAAAAAAAA"]}}`, codes.NotFound, "no known pseudonym"},
		{`{"dataset":"variants","kinds":["lab"]}`, codes.InvalidArgument, "kinds filter the timeline only"},
		{`{"dataset":"features"}`, codes.InvalidArgument, "needs a feature spec"},
		{`{"dataset":"features","features":{"columns":[{"name":"x","concept":"nope"}]}}`, codes.InvalidArgument, "unknown concept"},
		{`{"dataset":"features","features":{"columns":[{"name":"x","code":"LOINC//1742-6","agg":"median"}]}}`, codes.InvalidArgument, "aggregation"},
		{`{"dataset":"features","features":{"columns":[{"name":"x","twin":"fib4","window":"soon"}]}}`, codes.InvalidArgument, "window"},
	}
	for _, c := range cases {
		_, err := e.client.GetFlightInfo(ctx, cmd(c.desc))
		if codeOf(err) != c.code || !strings.Contains(err.Error(), c.msg) {
			t.Errorf("%s: %v, want %v containing %q", c.desc, err, c.code, c.msg)
		}
	}
	if _, _, err := e.doGet(ctx, []byte("garbage")); codeOf(err) != codes.InvalidArgument || !strings.Contains(err.Error(), "not a ticket") {
		t.Errorf("garbage ticket: %v", err)
	}
	for _, c := range []struct {
		path string
		code int
		msg  string
	}{
		{"/arrow/patients", 404, "unknown dataset"},
		{"/arrow/timeline?as_of=never", 400, "as_of"},
		{"/arrow/timeline?colums=code", 400, `unknown parameter "colums"`},
		{"/arrow/timeline?columns=code,bogus", 400, `no column "bogus"`},
	} {
		if code, msg, _, _ := e.get(tokClinician, c.path); code != c.code || !strings.Contains(msg, c.msg) {
			t.Errorf("GET %s: %d %q, want %d containing %q", c.path, code, msg, c.code, c.msg)
		}
	}
}

func TestHTTPStreamMatchesFlight(t *testing.T) {
	e := newEnv(t, envOptions{patients: 9, labs: 30, limits: Limits{BatchRows: 64}})
	q := fmt.Sprintf("/arrow/timeline?subjects=%d,%d&kinds=lab&columns=subject_id,time,code,numeric_value,unit", e.ids[1], e.ids[4])
	code, msg, rows, sc := e.get(tokClinician, q)
	if code != 200 {
		t.Fatalf("%d %s", code, msg)
	}
	_, frows, fsc := e.pull(tokClinician, fmt.Sprintf(`{"dataset":"timeline","cohort":{"subjects":[%d,%d]},"kinds":["lab"],"columns":["subject_id","time","code","numeric_value","unit"]}`, e.ids[1], e.ids[4]))
	if len(rows) != 60 || !slices.Equal(rows, frows) || !sc.Equal(fsc) {
		t.Fatalf("HTTP %d rows, Flight %d rows", len(rows), len(frows))
	}
	// An empty result is a valid stream with the schema.
	code, _, rows, sc = e.get(tokClinician, fmt.Sprintf("/arrow/timeline?subjects=%d&codes=NOPE//1", e.ids[0]))
	if code != 200 || len(rows) != 0 || sc.NumFields() != timeline.EventSchema.NumFields() {
		t.Fatalf("empty: %d, %d rows, %v", code, len(rows), sc)
	}
	// The dataset list.
	resp, err := e.http.Client().Do(authReq(e.http.URL+"/arrow", tokResearcher))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var list struct{ Datasets []datasetInfo }
	if err := json.NewDecoder(resp.Body).Decode(&list); err != nil || len(list.Datasets) < 5 {
		t.Fatalf("GET /arrow: %v %+v", err, list)
	}
}

func TestListFlightsAndSchema(t *testing.T) {
	e := newEnv(t, envOptions{})
	ctx := withToken(bg, tokResearcher)
	lf, err := e.client.ListFlights(ctx, &flight.Criteria{})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for {
		info, err := lf.Recv()
		if err != nil {
			break
		}
		var d Descriptor
		if err := json.Unmarshal(info.FlightDescriptor.Cmd, &d); err != nil {
			t.Fatal(err)
		}
		names = append(names, d.Dataset)
		sc, err := flight.DeserializeSchema(info.Schema, e.svc.mem)
		if err != nil {
			t.Fatal(err)
		}
		if ds := e.svc.sets[d.Dataset]; ds.aggregate() {
			if sc.HasField("subject_id") {
				t.Errorf("%s: an aggregate with a subject_id", d.Dataset)
			}
		} else if f := sc.Field(0); f.Name != "subject_id" || f.Type.String() != "utf8" {
			t.Errorf("%s: a researcher's subject_id is %s %s", d.Dataset, f.Name, f.Type)
		}
	}
	want := []string{"ai_evaluation_agreement", "ai_evaluation_categories", "ai_evaluation_change_points", "ai_evaluation_labels",
		"ai_evaluation_pairs", "features", "imaging_features", "lesions", "liver_features", "pneumonia_features", "timeline", "variants"}
	if !slices.Equal(names, want) {
		t.Errorf("ListFlights = %v", names)
	}
	res, err := e.client.GetSchema(withToken(bg, tokClinician), cmd(`{"dataset":"lesions","columns":["subject_id","lesion_id","long_axis_mm"]}`))
	if err != nil {
		t.Fatal(err)
	}
	sc, _ := flight.DeserializeSchema(res.Schema, e.svc.mem)
	if sc.String() != "schema:\n  fields: 3\n    - subject_id: type=int64\n    - lesion_id: type=utf8, nullable\n    - long_axis_mm: type=float64, nullable" {
		t.Errorf("GetSchema = %s", sc)
	}
	// A path descriptor names a dataset.
	if _, err := e.client.GetSchema(ctx, &flight.FlightDescriptor{Type: flight.DescriptorPATH, Path: []string{"timeline"}}); err != nil {
		t.Errorf("path descriptor: %v", err)
	}
}
