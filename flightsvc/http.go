package flightsvc

import (
	"encoding/json"
	"errors"
	"net/http"
	"time"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/ipc"

	"github.com/medtwin/medtwin/auth"
)

// ContentType is the media type of an Arrow IPC stream.
const ContentType = "application/vnd.apache.arrow.stream"

// httpWriteTimeout bounds the wait for the client to take one record
// batch (the server's overall write timeout is moved on by each batch).
const httpWriteTimeout = time.Minute

// HTTPHandler serves Arrow over HTTP with the same reads, authentication,
// limits, pseudonymisation and audit as Flight:
//
//	GET /arrow                  the datasets (JSON)
//	GET /arrow/{dataset}?…      the dataset's rows of a cohort as an Arrow IPC stream
//
// Parameters are ParseQuery's. Errors before the first byte are answered
// with a status (400 bad parameters, 401 no or bad token, 403 cohort over
// the role's limit, 404 unknown dataset, cohort or subject) and a text
// message; an error after streaming began aborts the connection, so a
// client never takes a truncated stream for a complete one.
func (s *Service) HTTPHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /arrow", s.listHTTP)
	mux.HandleFunc("GET /arrow/{$}", s.listHTTP)
	mux.HandleFunc("GET /arrow/{dataset}", s.streamHTTP)
	return mux
}

func (s *Service) authHTTP(w http.ResponseWriter, r *http.Request) (auth.Principal, bool) {
	p, err := auth.Authenticate(r, s.auth)
	if err != nil {
		auth.WriteChallenge(w, err)
		msg := "invalid token"
		if errors.Is(err, auth.ErrNoToken) {
			msg = "no token: send Authorization: Bearer <token>"
		}
		http.Error(w, msg, http.StatusUnauthorized)
		return auth.Principal{}, false
	}
	return p, true
}

func (s *Service) httpError(w http.ResponseWriter, r *http.Request, err error) {
	code := httpStatus(err)
	msg := err.Error()
	if code >= 500 {
		s.log.ErrorContext(r.Context(), "arrow http: request failed", "path", r.URL.Path, "err", err)
		msg = "internal error (see the server log)"
	}
	http.Error(w, msg, code)
}

type datasetInfo struct {
	Name    string   `json:"name"`
	Doc     string   `json:"doc"`
	Columns []string `json:"columns"`
}

func (s *Service) listHTTP(w http.ResponseWriter, r *http.Request) {
	p, ok := s.authHTTP(w, r)
	if !ok {
		return
	}
	var out []datasetInfo
	for _, name := range DatasetNames() {
		ds := s.sets[name]
		rq := &request{Dataset: name, Role: p.Role}
		if ds.isMatrix {
			spec := FeatureSpec{}
			if ds.matrix != nil {
				spec = *ds.matrix
			}
			rq.Features = &spec
		}
		var cols []string
		for _, f := range s.lensFor(ds, rq).schema.Fields() {
			cols = append(cols, f.Name)
		}
		out = append(out, datasetInfo{Name: name, Doc: ds.doc, Columns: cols})
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]any{"datasets": out})
}

func (s *Service) streamHTTP(w http.ResponseWriter, r *http.Request) {
	p, ok := s.authHTTP(w, r)
	if !ok {
		return
	}
	ctx := r.Context()
	d, err := ParseQuery(r.PathValue("dataset"), r.URL.Query())
	if err != nil {
		s.httpError(w, r, err)
		return
	}
	st, err := s.OpenDescriptor(ctx, p, d, ActionHTTPArrow)
	if err != nil {
		s.httpError(w, r, err)
		return
	}
	h := w.Header()
	h.Set("Content-Type", ContentType)
	h.Set("Cache-Control", "no-store")
	h.Set("X-Request-Id", st.ID())
	rc := http.NewResponseController(w)
	iw := ipc.NewWriter(w, ipc.WithSchema(st.Schema()), ipc.WithAllocator(s.mem))
	started := false
	err = st.Run(ctx, func(rec arrow.Record) error {
		started = true
		_ = rc.SetWriteDeadline(time.Now().Add(httpWriteTimeout))
		if err := iw.Write(rec); err != nil {
			return err
		}
		return rc.Flush()
	})
	if err == nil {
		_ = rc.SetWriteDeadline(time.Now().Add(httpWriteTimeout))
		err = iw.Close() // the schema of an empty stream, and the end-of-stream marker
		if err == nil {
			return
		}
	}
	if !started {
		h.Del("Content-Type")
		s.httpError(w, r, err)
		return
	}
	if ctx.Err() == nil {
		s.log.ErrorContext(ctx, "arrow http: stream failed", "request", st.ID(), "err", err)
	}
	// Abort: without the end-of-stream marker and with the chunked body cut,
	// the client sees an error, not a short result.
	if conn, _, herr := rc.Hijack(); herr == nil {
		conn.Close()
		return
	}
	panic(http.ErrAbortHandler)
}
