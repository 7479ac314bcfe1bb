// Package server is medtwin's HTTP front: it mounts the GraphQL endpoint
// (/graphql, package graph), GraphiQL at / in development mode, /healthz
// and /metrics (Prometheus text format: request counts and latencies by
// route, GraphQL outcomes by error code), the clinician web view at /ui
// (package webui: static files that read /graphql with the user's token),
// logs one structured line per
// request (no query text, variables or patient data), and shuts down
// gracefully. Other services (Arrow over HTTP) mount their routes with
// Handle before Serve.
package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/99designs/gqlgen/graphql/playground"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/medtwin/medtwin/auth"
	"github.com/medtwin/medtwin/graph"
	"github.com/medtwin/medtwin/store"
	"github.com/medtwin/medtwin/webui"
)

// Config configures a Server.
type Config struct {
	// Addr is the listen address (default 127.0.0.1:8080; port 0 picks one).
	Addr  string
	Store store.Store
	Auth  auth.Authenticator
	Graph graph.Options
	// Dev serves GraphiQL at /.
	Dev    bool
	Logger *slog.Logger
	// ShutdownTimeout bounds the graceful shutdown (default 10 s).
	ShutdownTimeout time.Duration
}

// Server serves medtwin over HTTP.
type Server struct {
	cfg     Config
	mux     *http.ServeMux
	reg     *prometheus.Registry
	log     *slog.Logger
	reqs    *prometheus.CounterVec
	dur     *prometheus.HistogramVec
	ops     *prometheus.CounterVec
	errs    *prometheus.CounterVec
	audited prometheus.Counter
	http    *http.Server
	mu      sync.Mutex
	ln      net.Listener
}

// New builds a server; call Serve to run it.
func New(cfg Config) (*Server, error) {
	if cfg.Addr == "" {
		cfg.Addr = "127.0.0.1:8080"
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.ShutdownTimeout <= 0 {
		cfg.ShutdownTimeout = 10 * time.Second
	}
	if cfg.Store == nil || cfg.Auth == nil {
		return nil, errors.New("server: a store and an authenticator are required")
	}
	s := &Server{cfg: cfg, mux: http.NewServeMux(), reg: prometheus.NewRegistry(), log: cfg.Logger}
	s.reqs = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "medtwin_http_requests_total", Help: "HTTP requests by route, method and status code.",
	}, []string{"route", "method", "code"})
	s.dur = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "medtwin_http_request_duration_seconds", Help: "HTTP request latency by route.",
		Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
	}, []string{"route"})
	s.ops = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "medtwin_graphql_operations_total", Help: "GraphQL operations by type (query, invalid, unauthenticated) and result (ok, error).",
	}, []string{"operation", "result"})
	s.errs = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "medtwin_graphql_errors_total", Help: "GraphQL errors by extensions.code.",
	}, []string{"code"})
	s.audited = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "medtwin_audit_patient_reads_total", Help: "Patients whose data responses held (audit entries written).",
	})
	s.reg.MustRegister(s.reqs, s.dur, s.ops, s.errs, s.audited,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))

	gopts := cfg.Graph
	gopts.Store = cfg.Store
	if gopts.Logger == nil {
		gopts.Logger = cfg.Logger
	}
	gh, err := graph.NewHandler(gopts, cfg.Auth, graph.WithOutcome(s.outcome))
	if err != nil {
		return nil, err
	}
	s.Handle("/graphql", "graphql", gh)
	s.Handle("GET /healthz", "healthz", http.HandlerFunc(s.healthz))
	s.Handle("GET /metrics", "metrics", promhttp.HandlerFor(s.reg, promhttp.HandlerOpts{Registry: s.reg}))
	ui := webui.Handler()
	s.Handle("GET /ui", "ui", ui)
	s.Handle("GET /ui/", "ui", ui)
	if cfg.Dev {
		s.Handle("GET /{$}", "graphiql", playground.Handler("medtwin GraphQL", "/graphql"))
	}
	s.Handle("/", "other", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "not found: GraphQL is at /graphql", http.StatusNotFound)
	}))
	return s, nil
}

// Handle mounts a handler on a ServeMux pattern, with metrics and access
// logs under the route name.
func (s *Server) Handle(pattern, route string, h http.Handler) {
	s.mux.Handle(pattern, s.instrument(route, h))
}

// Registry returns the metrics registry, for other services' collectors.
func (s *Server) Registry() *prometheus.Registry { return s.reg }

// Handler returns the root handler (for tests).
func (s *Server) Handler() http.Handler { return s.mux }

func (s *Server) outcome(_ context.Context, o graph.Outcome) {
	res := "ok"
	if len(o.Codes) > 0 {
		res = "error"
	}
	s.ops.WithLabelValues(o.Operation, res).Inc()
	for _, c := range o.Codes {
		if c == "" {
			c = "NONE"
		}
		s.errs.WithLabelValues(c).Inc()
	}
	s.audited.Add(float64(o.Patients))
}

func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if _, _, err := s.cfg.Store.SubjectRange(ctx); err != nil {
		s.log.WarnContext(ctx, "healthz: store unavailable", "err", err)
		http.Error(w, "store unavailable", http.StatusServiceUnavailable)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Write([]byte("ok\n"))
}

type statusWriter struct {
	http.ResponseWriter
	code  int
	bytes int64
}

func (w *statusWriter) WriteHeader(code int) {
	if w.code == 0 {
		w.code = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.code == 0 {
		w.code = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(b)
	w.bytes += int64(n)
	return n, err
}

func (w *statusWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (s *Server) instrument(route string, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w}
		defer func() {
			if v := recover(); v != nil {
				s.log.ErrorContext(r.Context(), "http: panic", "route", route, "panic", fmt.Sprint(v))
				if sw.code == 0 {
					http.Error(sw, "internal error", http.StatusInternalServerError)
				}
			}
			if sw.code == 0 {
				sw.code = http.StatusOK
			}
			d := time.Since(start)
			s.reqs.WithLabelValues(route, r.Method, strconv.Itoa(sw.code)).Inc()
			s.dur.WithLabelValues(route).Observe(d.Seconds())
			s.log.LogAttrs(r.Context(), slog.LevelInfo, "http request",
				slog.String("route", route), slog.String("method", r.Method), slog.String("path", r.URL.Path),
				slog.Int("status", sw.code), slog.Int64("bytes", sw.bytes), slog.Duration("duration", d),
				slog.String("request", sw.Header().Get("X-Request-Id")), slog.String("remote", r.RemoteAddr))
		}()
		h.ServeHTTP(sw, r)
	})
}

// Listen binds the address; Addr then reports the bound one.
func (s *Server) Listen() error {
	ln, err := net.Listen("tcp", s.cfg.Addr)
	if err != nil {
		return fmt.Errorf("server: listen %s: %w", s.cfg.Addr, err)
	}
	s.mu.Lock()
	s.ln = ln
	s.mu.Unlock()
	return nil
}

// Addr returns the bound address (after Listen).
func (s *Server) Addr() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ln == nil {
		return s.cfg.Addr
	}
	return s.ln.Addr().String()
}

// Serve serves until ctx is cancelled, then shuts down gracefully. It
// listens first when Listen was not called.
func (s *Server) Serve(ctx context.Context) error {
	if s.ln == nil {
		if err := s.Listen(); err != nil {
			return err
		}
	}
	timeout := s.cfg.Graph.Limits.RequestTimeout
	if timeout <= 0 {
		timeout = graph.DefaultLimits().RequestTimeout
	}
	s.http = &http.Server{
		Handler:           s.mux,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       timeout,
		WriteTimeout:      timeout + 10*time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	errc := make(chan error, 1)
	go func() { errc <- s.http.Serve(s.ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), s.cfg.ShutdownTimeout)
	defer cancel()
	if err := s.http.Shutdown(sctx); err != nil {
		return fmt.Errorf("server: shutdown: %w", err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
