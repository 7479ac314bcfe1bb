package graph

import (
	"bytes"
	"encoding/json"
	"net/http"

	"github.com/99designs/gqlgen/graphql"
)

// gqlgen's transports write a response with json.Marshal, which re-parses
// and compacts the already-rendered data (json.RawMessage) byte by byte:
// for a 1,000-event timeline (~90 kB) that is a fifth of a request's CPU.
// A successful response whose only member is data is therefore spliced:
// the response hook hands the transport {"data":null} and keeps the
// rendered data, and the response writer puts it back in place of the
// null as it writes. Anything else (errors, extensions, incremental
// delivery) is marshalled by gqlgen as usual. The data gqlgen (and
// fastConn) render is compact JSON already; the only difference from
// json.Marshal is that <, > and & inside strings are not \u-escaped, which
// JSON allows and an application/json response does not need.

var splicePlaceholder = []byte(`{"data":null}`)

// spliceData takes the data of a response that can be spliced, leaving a
// response that marshals to the placeholder; nil when it cannot.
func spliceData(resp *graphql.Response) (json.RawMessage, *graphql.Response) {
	if resp == nil || len(resp.Errors) > 0 || len(resp.Extensions) > 0 || resp.Label != "" ||
		resp.Path != nil || resp.HasNext != nil || len(resp.Data) == 0 || bytes.Equal(resp.Data, []byte("null")) {
		return nil, resp
	}
	return resp.Data, &graphql.Response{Data: json.RawMessage("null")}
}

// spliceWriter writes the request's kept data in place of the
// placeholder response.
type spliceWriter struct {
	http.ResponseWriter
	q *request
}

func (w spliceWriter) Write(b []byte) (int, error) {
	data := w.q.takeSpliced()
	if data == nil || !bytes.Equal(b, splicePlaceholder) {
		return w.ResponseWriter.Write(b)
	}
	for _, part := range [][]byte{splicePlaceholder[:len(`{"data":`)], data, splicePlaceholder[len(splicePlaceholder)-1:]} {
		if _, err := w.ResponseWriter.Write(part); err != nil {
			return 0, err
		}
	}
	return len(b), nil
}

// Flush lets streaming transports flush through the wrapper.
func (w spliceWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// Unwrap gives http.ResponseController the underlying writer.
func (w spliceWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
