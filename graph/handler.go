package graph

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/99designs/gqlgen/graphql/handler/lru"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/medtwin/medtwin/auth"
	"github.com/medtwin/medtwin/graph/model"
)

// Outcome summarises one GraphQL response for metrics.
type Outcome struct {
	// Operation is the operation type (query, mutation, subscription) or
	// "invalid" when the request did not parse or validate.
	Operation string
	// Codes are the error codes of the response, one per error.
	Codes []string
	// Patients is how many patients' data the response holds.
	Patients int
}

// Handler serves GraphQL over HTTP (POST, and GET for queries): it
// authenticates the caller, bounds the request, executes it and writes
// the audit log before the response leaves. Safe for concurrent use.
type Handler struct {
	res     *Resolver
	srv     *handler.Server
	auth    auth.Authenticator
	onDone  func(context.Context, Outcome)
	schema  graphql.ExecutableSchema
	timeout time.Duration
	auditW  *auditWriter
}

// HandlerOption configures a Handler.
type HandlerOption func(*Handler)

// WithOutcome calls f after every GraphQL response (for metrics).
func WithOutcome(f func(context.Context, Outcome)) HandlerOption {
	return func(h *Handler) { h.onDone = f }
}

// NewHandler returns the GraphQL endpoint.
func NewHandler(opts Options, a auth.Authenticator, hopts ...HandlerOption) (*Handler, error) {
	if a == nil {
		return nil, errors.New("graph: no authenticator")
	}
	res, err := NewResolver(opts)
	if err != nil {
		return nil, err
	}
	es := NewExecutableSchema(Config{Resolvers: res, Complexity: res.complexity()})
	srv := handler.New(es)
	srv.AddTransport(transport.Options{})
	srv.AddTransport(transport.GET{})
	srv.AddTransport(transport.POST{})
	srv.SetQueryCache(lru.New[*ast.QueryDocument](1000))
	srv.Use(extension.Introspection{})
	srv.Use(depthLimit{max: res.cfg.Limits.MaxDepth})
	srv.Use(extension.FixedComplexityLimit(res.cfg.Limits.MaxComplexity))
	srv.SetErrorPresenter(res.presenter)
	srv.SetRecoverFunc(recoverFunc)
	srv.AroundFields(markResolverErrors)
	srv.AroundFields(res.fastFields)
	h := &Handler{res: res, srv: srv, auth: a, schema: es, timeout: res.cfg.Limits.RequestTimeout, auditW: &auditWriter{s: res.cfg.Store, timeout: 10 * time.Second}}
	for _, o := range hopts {
		o(h)
	}
	srv.AroundResponses(h.audit)
	return h, nil
}

// Schema returns the executable schema (for tests and tools).
func (h *Handler) Schema() graphql.ExecutableSchema { return h.schema }

// audit writes one audit entry per patient the response holds before the
// response is sent; if the log cannot be written, the data is withheld.
func (h *Handler) audit(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
	resp := next(ctx)
	q := reqFrom(ctx)
	op, opType := "", "invalid"
	if graphql.HasOperationContext(ctx) {
		if oc := graphql.GetOperationContext(ctx); oc != nil {
			op = oc.OperationName
			if oc.Operation != nil {
				opType = string(oc.Operation.Operation)
				if op == "" {
					op = oc.Operation.Name
				}
			}
		}
	}
	var entries = q.auditEntries(h.res.cfg.Now().UTC(), op)
	if len(entries) > 0 {
		actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		err := h.auditW.write(actx, entries)
		cancel()
		if err != nil {
			h.res.log.ErrorContext(ctx, "graphql: audit log write failed; response withheld", "request", q.id, "err", err)
			resp = &graphql.Response{Errors: gqlerror.List{limitError(CodeInternal,
				"the audit log could not be written, so no patient data is returned (request %s)", q.id)}}
		}
	}
	if h.onDone != nil && resp != nil {
		o := Outcome{Operation: opType, Patients: len(entries)}
		for _, e := range resp.Errors {
			code, _ := e.Extensions["code"].(string)
			o.Codes = append(o.Codes, code)
		}
		h.onDone(ctx, o)
	}
	if q != nil {
		var data []byte
		if data, resp = spliceData(resp); data != nil {
			q.keepSpliced(data)
		}
	}
	return resp
}

// ServeHTTP implements http.Handler.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p, err := auth.Authenticate(r, h.auth)
	if err != nil {
		auth.WriteChallenge(w, err)
		msg := "authentication required: send Authorization: Bearer <token>"
		if !errors.Is(err, auth.ErrNoToken) {
			msg = "invalid bearer token"
		}
		writeErrors(w, http.StatusUnauthorized, limitError(CodeUnauthenticted, "%s", msg))
		if h.onDone != nil {
			h.onDone(r.Context(), Outcome{Operation: "unauthenticated", Codes: []string{CodeUnauthenticted}})
		}
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, h.res.cfg.Limits.MaxBodyBytes)
	ctx, cancel := context.WithTimeout(r.Context(), h.timeout)
	defer cancel()
	q := &request{id: newRequestID(), principal: p, res: h.res, touched: map[int64]map[string]struct{}{}, lenses: map[int64]*model.Lens{}}
	ctx = withRequest(auth.WithPrincipal(ctx, p), q)
	w.Header().Set("X-Request-Id", q.id)
	h.srv.ServeHTTP(spliceWriter{ResponseWriter: w, q: q}, r.WithContext(ctx))
}

func writeErrors(w http.ResponseWriter, status int, errs ...*gqlerror.Error) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]any{"errors": errs})
}
