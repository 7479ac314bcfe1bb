package graph

import (
	"encoding/json"
	"net/http/httptest"
	"testing"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// A spliced response carries the same JSON value as gqlgen's own
// json.Marshal of it; responses with anything besides data are left to
// gqlgen, and a write that is not the placeholder passes through.
func TestSplice(t *testing.T) {
	yes := true
	cases := []struct {
		name    string
		resp    *graphql.Response
		spliced bool
	}{
		{"data only", &graphql.Response{Data: json.RawMessage(`{"patient":{"text":"a<b & c>d","v":[1,2.5,null]}}`)}, true},
		{"null data", &graphql.Response{Data: json.RawMessage(`null`)}, false},
		{"errors", &graphql.Response{Data: json.RawMessage(`{"patient":null}`), Errors: gqlerror.List{{Message: "no"}}}, false},
		{"extensions", &graphql.Response{Data: json.RawMessage(`{}`), Extensions: map[string]any{"x": 1}}, false},
		{"incremental", &graphql.Response{Data: json.RawMessage(`{}`), HasNext: &yes}, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			want, err := json.Marshal(c.resp)
			if err != nil {
				t.Fatal(err)
			}
			q := &request{}
			data, resp := spliceData(c.resp)
			if (data != nil) != c.spliced {
				t.Fatalf("spliced = %v, want %v", data != nil, c.spliced)
			}
			if data != nil {
				q.keepSpliced(data)
			}
			b, err := json.Marshal(resp) // what the transport writes
			if err != nil {
				t.Fatal(err)
			}
			rec := httptest.NewRecorder()
			if n, err := (spliceWriter{ResponseWriter: rec, q: q}).Write(b); err != nil || n != len(b) {
				t.Fatalf("Write = %d, %v", n, err)
			}
			var got, exp any
			if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil {
				t.Fatalf("written %s: %v", rec.Body, err)
			}
			json.Unmarshal(want, &exp)
			gb, _ := json.Marshal(got)
			eb, _ := json.Marshal(exp)
			if string(gb) != string(eb) {
				t.Errorf("written %s, want the value of %s", rec.Body, want)
			}
			if q.takeSpliced() != nil {
				t.Error("kept data outlived the write")
			}
		})
	}
	// Another write of a request with kept data is not touched.
	q := &request{}
	q.keepSpliced([]byte(`{"a":1}`))
	rec := httptest.NewRecorder()
	spliceWriter{ResponseWriter: rec, q: q}.Write([]byte(`{"errors":[]}`))
	if rec.Body.String() != `{"errors":[]}` {
		t.Errorf("non-placeholder write changed: %s", rec.Body)
	}
}
