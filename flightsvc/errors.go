package flightsvc

import (
	"context"
	"errors"
	"net/http"

	"google.golang.org/grpc/codes"

	"github.com/medtwin/medtwin/auth"
	"github.com/medtwin/medtwin/pseudo"
	"github.com/medtwin/medtwin/store"
)

// Sentinel errors. Each maps to one gRPC code and one HTTP status at the
// edges (Flight and HTTP), never earlier.
var (
	// ErrBadRequest: a malformed descriptor, query parameter or feature
	// spec (InvalidArgument, 400).
	ErrBadRequest = errors.New("flightsvc: bad request")
	// ErrUnknownDataset: no dataset of that name (NotFound, 404).
	ErrUnknownDataset = errors.New("flightsvc: unknown dataset")
	// ErrUnknownCohort: no saved cohort, or no subject with that pseudonym
	// (NotFound, 404).
	ErrUnknownCohort = errors.New("flightsvc: unknown cohort or subject")
	// ErrCohortTooLarge: the cohort holds more subjects than the caller's
	// role may read in one request (PermissionDenied, 403).
	ErrCohortTooLarge = errors.New("flightsvc: cohort too large for the caller's role")
	// ErrBadTicket: a ticket this server did not issue, issued to another
	// caller, or expired (InvalidArgument, 400).
	ErrBadTicket = errors.New("flightsvc: bad ticket")
)

func asErr[T any](err error, target *T) bool { return errors.As(err, target) }

// grpcCode maps an error to its gRPC status code.
func grpcCode(err error) codes.Code {
	switch {
	case errors.Is(err, auth.ErrNoToken), errors.Is(err, auth.ErrInvalidToken):
		return codes.Unauthenticated
	case errors.Is(err, auth.ErrForbidden), errors.Is(err, ErrCohortTooLarge):
		return codes.PermissionDenied
	case errors.Is(err, ErrBadRequest), errors.Is(err, ErrBadTicket), errors.Is(err, pseudo.ErrNotPseudonym), errors.Is(err, store.ErrInvalid):
		return codes.InvalidArgument
	case errors.Is(err, ErrUnknownDataset), errors.Is(err, ErrUnknownCohort), errors.Is(err, store.ErrNotFound):
		return codes.NotFound
	case errors.Is(err, store.ErrClosed):
		return codes.Unavailable
	case errors.Is(err, context.Canceled):
		return codes.Canceled
	case errors.Is(err, context.DeadlineExceeded):
		return codes.DeadlineExceeded
	}
	return codes.Internal
}

// httpStatus maps an error to its HTTP status.
func httpStatus(err error) int {
	switch grpcCode(err) {
	case codes.Unauthenticated:
		return http.StatusUnauthorized
	case codes.PermissionDenied:
		return http.StatusForbidden
	case codes.InvalidArgument:
		return http.StatusBadRequest
	case codes.NotFound:
		return http.StatusNotFound
	case codes.Unavailable:
		return http.StatusServiceUnavailable
	case codes.Canceled:
		return 499 // client closed request (nginx convention); never seen by the client
	case codes.DeadlineExceeded:
		return http.StatusGatewayTimeout
	}
	return http.StatusInternalServerError
}
