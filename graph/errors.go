package graph

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/medtwin/medtwin/store"
)

// Error codes in extensions.code.
const (
	CodeNotFound       = "NOT_FOUND"
	CodeForbidden      = "FORBIDDEN"
	CodeBadUserInput   = "BAD_USER_INPUT"
	CodeDepthLimit     = "DEPTH_LIMIT_EXCEEDED"
	CodeComplexity     = "COMPLEXITY_LIMIT_EXCEEDED" // gqlgen's own code
	CodeResourceLimit  = "RESOURCE_LIMIT_EXCEEDED"
	CodeTimeout        = "TIMEOUT"
	CodeInternal       = "INTERNAL_SERVER_ERROR"
	CodeUnauthenticted = "UNAUTHENTICATED"
)

// Error is an error a client is meant to see: a code and a message that
// carries no patient data.
type Error struct {
	Code string
	Msg  string
}

func (e *Error) Error() string { return e.Msg }

func coded(code, format string, args ...any) error {
	return &Error{Code: code, Msg: fmt.Sprintf(format, args...)}
}

func notFound(format string, args ...any) error { return coded(CodeNotFound, format, args...) }
func forbidden(format string, args ...any) error {
	return coded(CodeForbidden, format, args...)
}
func badInput(format string, args ...any) error {
	return coded(CodeBadUserInput, format, args...)
}

// resolverError marks an error a resolver returned that is not an *Error:
// a failure of the server (store down, bug), shown as an internal error.
type resolverError struct{ err error }

func (e *resolverError) Error() string { return e.err.Error() }
func (e *resolverError) Unwrap() error { return e.err }

// panicError is a recovered panic.
type panicError struct{ v any }

func (e *panicError) Error() string { return fmt.Sprintf("panic: %v", e.v) }

// markResolverErrors is a field middleware: it tells errors returned by
// resolvers (server side) from errors gqlgen raises while coercing
// arguments (client side) — the latter never pass through it.
func markResolverErrors(ctx context.Context, next graphql.Resolver) (any, error) {
	res, err := next(ctx)
	if err != nil {
		var ce *Error
		var ge *gqlerror.Error
		if !errors.As(err, &ce) && !errors.As(err, &ge) {
			err = &resolverError{err: err}
		}
	}
	return res, err
}

// presenter maps errors to GraphQL errors with codes. Internal errors are
// logged with the request id and shown as "internal error" only.
func (r *Resolver) presenter(ctx context.Context, err error) *gqlerror.Error {
	ge := graphql.DefaultErrorPresenter(ctx, err)
	set := func(code, msg string) *gqlerror.Error {
		if msg != "" {
			ge.Message = msg
		}
		if ge.Extensions == nil {
			ge.Extensions = map[string]any{}
		}
		ge.Extensions["code"] = code
		return ge
	}
	var ce *Error
	var pe *panicError
	var re *resolverError
	switch {
	case errors.As(err, &ce):
		return set(ce.Code, ce.Msg)
	case errors.Is(err, context.DeadlineExceeded):
		return set(CodeTimeout, fmt.Sprintf("request exceeded the time limit of %s", r.cfg.Limits.RequestTimeout))
	case errors.Is(err, context.Canceled):
		return set(CodeTimeout, "request cancelled")
	case errors.Is(err, store.ErrNotFound):
		return set(CodeNotFound, "not found")
	case errors.As(err, &pe):
		r.log.ErrorContext(ctx, "graphql: panic", "request", requestID(ctx), "panic", fmt.Sprint(pe.v), "stack", string(debug.Stack()))
		return set(CodeInternal, "internal error (request "+requestID(ctx)+")")
	case errors.As(err, &re):
		r.log.ErrorContext(ctx, "graphql: resolver failed", "request", requestID(ctx), "path", ge.Path.String(), "err", re.err)
		return set(CodeInternal, "internal error (request "+requestID(ctx)+")")
	}
	if code, ok := ge.Extensions["code"].(string); ok && code != "" {
		return ge // gqlgen's parse/validation errors carry their codes
	}
	if strings.Contains(ge.Message, "must not be null") {
		r.log.ErrorContext(ctx, "graphql: null in non-null field", "request", requestID(ctx), "path", ge.Path.String())
		return set(CodeInternal, "internal error (request "+requestID(ctx)+")")
	}
	// Argument coercion errors (a malformed Time, an unknown enum value in a
	// variable) arrive here unmarked: the client's input.
	return set(CodeBadUserInput, "")
}

// recoverFunc turns a panic in a resolver into an internal error.
func recoverFunc(_ context.Context, v any) error { return &panicError{v: v} }

// logger returns r's logger or a discarding one.
func discardLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }
