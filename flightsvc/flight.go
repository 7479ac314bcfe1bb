package flightsvc

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"runtime/debug"
	"strings"
	"time"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/flight"
	"github.com/apache/arrow/go/v15/arrow/ipc"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/medtwin/medtwin/auth"
	"github.com/medtwin/medtwin/store"
)

// Flight actions (DoAction types).
const (
	ActionSaveCohort  = "save_cohort"
	ActionListCohorts = "list_cohorts"
)

// FlightServer serves a Service over Arrow Flight (gRPC).
//
// Authentication is the GraphQL endpoint's: every call carries
// "authorization: Bearer <token>" (or "Basic base64(user:token)", the user
// name being ignored), checked by the Service's auth.Authenticator. The
// Handshake call accepts either and answers with the bearer header to use
// (what pyarrow's authenticate_basic_token and the Go client's
// AuthenticateBasicToken expect), or takes the token as its payload.
type FlightServer struct {
	flight.BaseFlightServer
	svc *Service
	gs  *grpc.Server
	log *slog.Logger
}

// NewFlightServer returns a Flight server for svc; call Serve to run it.
func NewFlightServer(svc *Service, opts ...grpc.ServerOption) *FlightServer {
	f := &FlightServer{svc: svc, log: svc.log}
	opts = append([]grpc.ServerOption{
		grpc.ChainUnaryInterceptor(f.unaryAuth),
		grpc.ChainStreamInterceptor(f.streamAuth),
		grpc.MaxRecvMsgSize(maxDescriptorBytes + 1<<20),
	}, opts...)
	f.gs = grpc.NewServer(opts...)
	flight.RegisterFlightServiceServer(f.gs, f)
	return f
}

// Serve serves on ln until ctx ends, then stops gracefully (waiting up to
// grace for streams in progress, then cutting them).
func (f *FlightServer) Serve(ctx context.Context, ln net.Listener, grace time.Duration) error {
	errc := make(chan error, 1)
	go func() { errc <- f.gs.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	done := make(chan struct{})
	go func() { f.gs.GracefulStop(); close(done) }()
	select {
	case <-done:
	case <-time.After(grace):
		f.gs.Stop()
		<-done
	}
	if err := <-errc; err != nil && !errors.Is(err, grpc.ErrServerStopped) {
		return err
	}
	return nil
}

// Stop stops the server at once.
func (f *FlightServer) Stop() { f.gs.Stop() }

func principalOf(ctx context.Context) auth.Principal {
	p, _ := auth.FromContext(ctx)
	return p
}

// authenticate reads the authorization metadata of a call.
func (f *FlightServer) authenticate(ctx context.Context) (auth.Principal, string, error) {
	md, _ := metadata.FromIncomingContext(ctx)
	vals := md.Get("authorization")
	if len(vals) == 0 || strings.TrimSpace(vals[0]) == "" {
		return auth.Principal{}, "", auth.ErrNoToken
	}
	scheme, rest, _ := strings.Cut(strings.TrimSpace(vals[0]), " ")
	rest = strings.TrimSpace(rest)
	var token string
	switch strings.ToLower(scheme) {
	case "bearer":
		token = rest
	case "basic":
		raw, err := base64.StdEncoding.DecodeString(rest)
		if err != nil {
			raw, err = base64.RawStdEncoding.DecodeString(rest)
		}
		if err != nil {
			return auth.Principal{}, "", fmt.Errorf("%w: basic credentials are not base64", auth.ErrInvalidToken)
		}
		_, pass, ok := strings.Cut(string(raw), ":")
		if !ok {
			return auth.Principal{}, "", fmt.Errorf("%w: basic credentials are not user:token", auth.ErrInvalidToken)
		}
		token = pass
	default:
		return auth.Principal{}, "", fmt.Errorf("%w: authorization is neither Bearer nor Basic", auth.ErrInvalidToken)
	}
	if token == "" {
		return auth.Principal{}, "", auth.ErrNoToken
	}
	p, err := f.svc.auth.Authenticate(ctx, token)
	if err != nil {
		return auth.Principal{}, "", err
	}
	return p, token, nil
}

func authStatus(err error) error {
	if errors.Is(err, auth.ErrNoToken) {
		return status.Error(codes.Unauthenticated, "no token: send authorization: Bearer <token> (or Basic auth with the token as password)")
	}
	if errors.Is(err, auth.ErrInvalidToken) {
		return status.Error(codes.Unauthenticated, "invalid token")
	}
	return status.Error(codes.Unavailable, "authentication unavailable")
}

func (f *FlightServer) recovered(method string, err *error) {
	if v := recover(); v != nil {
		f.log.Error("flight: panic", "method", method, "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
		*err = status.Error(codes.Internal, "internal error")
	}
}

func (f *FlightServer) unaryAuth(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (resp any, err error) {
	defer f.recovered(info.FullMethod, &err)
	p, _, aerr := f.authenticate(ctx)
	if aerr != nil {
		return nil, authStatus(aerr)
	}
	return handler(auth.WithPrincipal(ctx, p), req)
}

type authedStream struct {
	grpc.ServerStream
	ctx context.Context
}

func (s *authedStream) Context() context.Context { return s.ctx }

func (f *FlightServer) streamAuth(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) (err error) {
	defer f.recovered(info.FullMethod, &err)
	if strings.HasSuffix(info.FullMethod, "/Handshake") {
		return handler(srv, ss) // authenticates itself
	}
	p, _, aerr := f.authenticate(ss.Context())
	if aerr != nil {
		return authStatus(aerr)
	}
	return handler(srv, &authedStream{ServerStream: ss, ctx: auth.WithPrincipal(ss.Context(), p)})
}

// Handshake authenticates a basic or bearer authorization header, or a
// token sent as the payload, and answers with the bearer header (and the
// token as payload).
func (f *FlightServer) Handshake(stream flight.FlightService_HandshakeServer) error {
	ctx := stream.Context()
	_, token, err := f.authenticate(ctx)
	if errors.Is(err, auth.ErrNoToken) {
		req, rerr := stream.Recv()
		if rerr != nil && !errors.Is(rerr, io.EOF) {
			return rerr
		}
		if req != nil && len(req.Payload) > 0 {
			token = string(req.Payload)
			_, err = f.svc.auth.Authenticate(ctx, token)
		}
	}
	if err != nil {
		return authStatus(err)
	}
	md := metadata.Pairs("authorization", "Bearer "+token)
	if err := stream.SetHeader(md); err != nil {
		return err
	}
	stream.SetTrailer(md)
	return stream.Send(&flight.HandshakeResponse{Payload: []byte(token)})
}

// status maps an error to a gRPC status at the edge. Internal errors are
// logged with the request and answered without detail.
func (f *FlightServer) status(ctx context.Context, method string, err error) error {
	if err == nil {
		return nil
	}
	if st, ok := status.FromError(err); ok {
		return st.Err() // already a status (a failed send on a closed stream)
	}
	code := grpcCode(err)
	if ctx.Err() != nil && code == codes.Internal {
		code = codes.Canceled
	}
	if code == codes.Internal || code == codes.Unavailable {
		f.log.ErrorContext(ctx, "flight: request failed", "method", method, "actor", principalOf(ctx).Name, "err", err)
		return status.Errorf(code, "%s failed: internal error (see the server log)", method)
	}
	return status.Error(code, err.Error())
}

// descriptor reads a FlightDescriptor: a command holds a descriptor's JSON;
// a path names a dataset (the whole accessible cohort).
func descriptorOf(fd *flight.FlightDescriptor) (Descriptor, error) {
	if fd == nil {
		return Descriptor{}, fmt.Errorf("%w: no flight descriptor", ErrBadRequest)
	}
	switch fd.Type {
	case flight.DescriptorCMD:
		return ParseDescriptor(fd.Cmd)
	case flight.DescriptorPATH:
		if len(fd.Path) != 1 || fd.Path[0] == "" {
			return Descriptor{}, fmt.Errorf("%w: a path descriptor is one dataset name", ErrBadRequest)
		}
		return Descriptor{Dataset: fd.Path[0]}, nil
	}
	return Descriptor{}, fmt.Errorf("%w: descriptor type %v", ErrBadRequest, fd.Type)
}

// GetFlightInfo plans a read: schema, row estimate and one endpoint per
// subject range, each readable in parallel with DoGet.
func (f *FlightServer) GetFlightInfo(ctx context.Context, fd *flight.FlightDescriptor) (*flight.FlightInfo, error) {
	d, err := descriptorOf(fd)
	if err != nil {
		return nil, f.status(ctx, "GetFlightInfo", err)
	}
	plan, err := f.svc.Plan(ctx, principalOf(ctx), d)
	if err != nil {
		return nil, f.status(ctx, "GetFlightInfo", err)
	}
	info := &flight.FlightInfo{
		Schema:           flight.SerializeSchema(plan.Schema, f.svc.mem),
		FlightDescriptor: fd,
		TotalRecords:     plan.Rows,
		TotalBytes:       -1,
		Ordered:          true,
	}
	for _, t := range plan.Tickets {
		info.Endpoint = append(info.Endpoint, &flight.FlightEndpoint{Ticket: &flight.Ticket{Ticket: t}})
	}
	return info, nil
}

// GetSchema returns the schema a descriptor's stream has for the caller.
func (f *FlightServer) GetSchema(ctx context.Context, fd *flight.FlightDescriptor) (*flight.SchemaResult, error) {
	d, err := descriptorOf(fd)
	if err != nil {
		return nil, f.status(ctx, "GetSchema", err)
	}
	sc, err := f.svc.Schema(ctx, principalOf(ctx), d)
	if err != nil {
		return nil, f.status(ctx, "GetSchema", err)
	}
	return &flight.SchemaResult{Schema: flight.SerializeSchema(sc, f.svc.mem)}, nil
}

// DoGet streams an endpoint's records as the store scan yields them.
func (f *FlightServer) DoGet(tkt *flight.Ticket, stream flight.FlightService_DoGetServer) error {
	ctx := stream.Context()
	st, err := f.svc.Open(ctx, principalOf(ctx), tkt.GetTicket(), ActionFlight)
	if err != nil {
		return f.status(ctx, "DoGet", err)
	}
	w := flight.NewRecordWriter(stream, ipc.WithSchema(st.Schema()), ipc.WithAllocator(f.svc.mem))
	err = st.Run(ctx, func(rec arrow.Record) error { return chunks(rec, f.svc.limits.MessageBytes, w.Write) })
	if cerr := w.Close(); err == nil && cerr != nil {
		err = cerr
	}
	return f.status(ctx, "DoGet", err)
}

// ListFlights lists the named datasets (schemas as the caller sees them,
// no endpoints: call GetFlightInfo with a descriptor naming a cohort).
func (f *FlightServer) ListFlights(c *flight.Criteria, stream flight.FlightService_ListFlightsServer) error {
	ctx := stream.Context()
	p := principalOf(ctx)
	prefix := strings.TrimSpace(string(c.GetExpression()))
	for _, name := range DatasetNames() {
		if !strings.HasPrefix(name, prefix) {
			continue
		}
		ds := f.svc.sets[name]
		r := &request{Dataset: name, Role: p.Role}
		if ds.isMatrix {
			spec := FeatureSpec{Columns: []FeatureColumn{}}
			if ds.matrix != nil {
				spec = *ds.matrix
			}
			r.Features = &spec
		}
		cmd, _ := json.Marshal(Descriptor{Dataset: name})
		info := &flight.FlightInfo{
			Schema:           flight.SerializeSchema(f.svc.lensFor(ds, r).schema, f.svc.mem),
			FlightDescriptor: &flight.FlightDescriptor{Type: flight.DescriptorCMD, Cmd: cmd},
			TotalRecords:     -1, TotalBytes: -1,
			AppMetadata: []byte(ds.doc),
		}
		if err := stream.Send(info); err != nil {
			return err
		}
	}
	return nil
}

// ListActions lists the DoAction types.
func (f *FlightServer) ListActions(_ *flight.Empty, stream flight.FlightService_ListActionsServer) error {
	for _, a := range []*flight.ActionType{
		{Type: ActionSaveCohort, Description: `save a named cohort: {"name": …, "description": …, "cohort": {"subjects"|"has_codes"|"name": …}, "freeze": true|false}; freeze stores today's subject list`},
		{Type: ActionListCohorts, Description: "list the saved cohorts (name, description, creator, subject count or codes)"},
	} {
		if err := stream.Send(a); err != nil {
			return err
		}
	}
	return nil
}

// saveCohortBody is the body of the save_cohort action.
type saveCohortBody struct {
	Name        string     `json:"name"`
	Description string     `json:"description,omitempty"`
	Cohort      CohortSpec `json:"cohort"`
	Freeze      bool       `json:"freeze,omitempty"`
}

// cohortInfo is one result of list_cohorts (and of save_cohort).
type cohortInfo struct {
	Name        string    `json:"name"`
	Description string    `json:"description,omitempty"`
	CreatedBy   string    `json:"created_by,omitempty"`
	CreatedAt   time.Time `json:"created_at"`
	Subjects    *int      `json:"subjects,omitempty"`
	HasCodes    []string  `json:"has_codes,omitempty"`
}

func infoOf(c store.SavedCohort) cohortInfo {
	ci := cohortInfo{Name: c.Name, Description: c.Description, CreatedBy: c.CreatedBy, CreatedAt: c.CreatedAt, HasCodes: c.Cohort.HasCodes}
	if c.Cohort.SubjectIDs != nil {
		n := len(c.Cohort.SubjectIDs)
		ci.Subjects = &n
	}
	return ci
}

// DoAction runs save_cohort and list_cohorts.
func (f *FlightServer) DoAction(a *flight.Action, stream flight.FlightService_DoActionServer) error {
	ctx := stream.Context()
	p := principalOf(ctx)
	send := func(v any) error {
		b, err := json.Marshal(v)
		if err != nil {
			return err
		}
		return stream.Send(&flight.Result{Body: b})
	}
	switch a.GetType() {
	case ActionSaveCohort:
		sc, err := f.svc.SaveCohort(ctx, p, a.GetBody())
		if err != nil {
			return f.status(ctx, "DoAction", err)
		}
		return send(infoOf(sc))
	case ActionListCohorts:
		list, err := f.svc.store.Cohorts(ctx)
		if err != nil {
			return f.status(ctx, "DoAction", err)
		}
		for _, c := range list {
			if err := send(infoOf(c)); err != nil {
				return err
			}
		}
		return nil
	}
	return status.Errorf(codes.InvalidArgument, "unknown action %q (want %s or %s)", a.GetType(), ActionSaveCohort, ActionListCohorts)
}

// SaveCohort saves a named cohort from a save_cohort body. A frozen
// cohort stores today's subject list (limited like a read by the caller's
// role); otherwise the definition is kept and evaluated at each read.
func (s *Service) SaveCohort(ctx context.Context, p auth.Principal, body []byte) (store.SavedCohort, error) {
	var b saveCohortBody
	dec := json.NewDecoder(strings.NewReader(string(body)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&b); err != nil {
		return store.SavedCohort{}, fmt.Errorf("%w: save_cohort JSON: %s", ErrBadRequest, jsonError(err))
	}
	if err := store.CheckCohortName(b.Name); err != nil {
		return store.SavedCohort{}, fmt.Errorf("%w: %v", ErrBadRequest, err)
	}
	if b.Cohort.IsZero() {
		return store.SavedCohort{}, fmt.Errorf("%w: save_cohort needs a cohort (subjects, has_codes or a saved cohort's name)", ErrBadRequest)
	}
	c, err := s.cohort(ctx, p, b.Cohort)
	if err != nil {
		return store.SavedCohort{}, err
	}
	if b.Freeze {
		if err := s.checkLimit(ctx, p, c); err != nil {
			return store.SavedCohort{}, err
		}
		ids := []int64{}
		if err := s.eachSubject(ctx, c, true, func(id int64) bool { ids = append(ids, id); return true }); err != nil {
			return store.SavedCohort{}, err
		}
		c = store.Cohort{SubjectIDs: ids}
	}
	sc := store.SavedCohort{Name: b.Name, Description: b.Description, Cohort: c, CreatedBy: p.Name}
	if err := s.store.SaveCohort(ctx, sc); err != nil {
		return store.SavedCohort{}, fmt.Errorf("flightsvc: saving cohort: %w", err)
	}
	return s.store.LoadCohort(ctx, b.Name)
}
