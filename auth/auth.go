// Package auth authenticates the callers of medtwin's network services
// (GraphQL, Arrow Flight, Arrow over HTTP) and says what each may see.
//
// A caller presents a bearer token. Two verifiers exist: a tokens file
// (CSV with a header token,role,name — the embedded default, see
// LoadTokens) and JWTs from an OIDC issuer checked against a JWKS file
// (see NewJWTVerifier). Chain tries them in turn. Every caller has exactly
// one Role: clinician (identified data), researcher (pseudonymised data:
// subject ids as keyed hashes, dates shifted per subject, no names or
// identifiers — see package pseudo) or admin (identified data and the audit
// log). Middleware puts the Principal in the request context and answers
// 401 with no data when the token is missing or invalid.
package auth

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
)

// Sentinel errors.
var (
	// ErrNoToken: the request carries no bearer token.
	ErrNoToken = errors.New("auth: no bearer token")
	// ErrInvalidToken: the token is unknown, malformed, expired or its
	// signature does not verify.
	ErrInvalidToken = errors.New("auth: invalid token")
	// ErrForbidden: the caller's role may not do this.
	ErrForbidden = errors.New("auth: forbidden")
	// ErrConfig: a tokens file or JWKS configuration is unusable.
	ErrConfig = errors.New("auth: bad configuration")
)

// Role is what a caller may see.
type Role string

// The roles.
const (
	Clinician  Role = "clinician"
	Researcher Role = "researcher"
	Admin      Role = "admin"
)

// ParseRole returns the role named s (case-insensitive).
func ParseRole(s string) (Role, error) {
	switch r := Role(strings.ToLower(strings.TrimSpace(s))); r {
	case Clinician, Researcher, Admin:
		return r, nil
	}
	return "", fmt.Errorf("%w: unknown role %q (want clinician, researcher or admin)", ErrConfig, s)
}

// Identified reports whether the role sees identified data (names,
// identifiers, real subject ids and dates).
func (r Role) Identified() bool { return r == Clinician || r == Admin }

// Pseudonymised reports whether the role sees pseudonymised data only.
func (r Role) Pseudonymised() bool { return r == Researcher }

// CanReadAudit reports whether the role may read the audit log.
func (r Role) CanReadAudit() bool { return r == Admin }

// Principal is an authenticated caller.
type Principal struct {
	// Name identifies the caller in the audit log: the tokens file's name
	// column, or the JWT's name claim (default sub) qualified by issuer.
	Name string
	Role Role
	// Method says how the caller was authenticated: "token" or "jwt".
	Method string
}

// Authenticator verifies a bearer token. Implementations are safe for
// concurrent use.
type Authenticator interface {
	// Authenticate returns the principal a token names, or an error
	// wrapping ErrInvalidToken.
	Authenticate(ctx context.Context, token string) (Principal, error)
}

// Chain tries authenticators in order: tokens that look like JWTs (three
// dot-separated parts) go to JWT verifiers, others to the rest. The first
// success wins; when all fail the error is ErrInvalidToken.
type Chain []Authenticator

// Authenticate implements Authenticator.
func (c Chain) Authenticate(ctx context.Context, token string) (Principal, error) {
	jwtLike := strings.Count(token, ".") == 2
	for _, a := range c {
		if _, isJWT := a.(*JWTVerifier); isJWT != jwtLike {
			continue
		}
		p, err := a.Authenticate(ctx, token)
		if err == nil {
			return p, nil
		}
		if !errors.Is(err, ErrInvalidToken) {
			return Principal{}, err
		}
	}
	return Principal{}, ErrInvalidToken
}

type ctxKey struct{}

// WithPrincipal returns a context carrying p.
func WithPrincipal(ctx context.Context, p Principal) context.Context {
	return context.WithValue(ctx, ctxKey{}, p)
}

// FromContext returns the principal of a request, if authenticated.
func FromContext(ctx context.Context) (Principal, bool) {
	p, ok := ctx.Value(ctxKey{}).(Principal)
	return p, ok
}

// BearerToken extracts the token of an "Authorization: Bearer …" header.
func BearerToken(r *http.Request) (string, error) {
	h := r.Header.Get("Authorization")
	if h == "" {
		return "", ErrNoToken
	}
	scheme, tok, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(tok) == "" {
		return "", fmt.Errorf("%w: Authorization is not a Bearer token", ErrInvalidToken)
	}
	return strings.TrimSpace(tok), nil
}

// Authenticate authenticates an HTTP request's bearer token.
func Authenticate(r *http.Request, a Authenticator) (Principal, error) {
	tok, err := BearerToken(r)
	if err != nil {
		return Principal{}, err
	}
	return a.Authenticate(r.Context(), tok)
}

// Middleware requires a valid bearer token: it puts the Principal in the
// request context, or answers 401 (with WWW-Authenticate) through onFail
// without calling next. onFail nil writes a plain-text 401.
func Middleware(a Authenticator, onFail func(w http.ResponseWriter, r *http.Request, err error)) func(http.Handler) http.Handler {
	if onFail == nil {
		onFail = func(w http.ResponseWriter, _ *http.Request, err error) {
			WriteChallenge(w, err)
			http.Error(w, "unauthorized", http.StatusUnauthorized)
		}
	}
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			p, err := Authenticate(r, a)
			if err != nil {
				onFail(w, r, err)
				return
			}
			next.ServeHTTP(w, r.WithContext(WithPrincipal(r.Context(), p)))
		})
	}
}

// WriteChallenge sets the WWW-Authenticate header of a 401 (RFC 6750 §3).
func WriteChallenge(w http.ResponseWriter, err error) {
	if errors.Is(err, ErrNoToken) {
		w.Header().Set("WWW-Authenticate", `Bearer realm="medtwin"`)
		return
	}
	w.Header().Set("WWW-Authenticate", `Bearer realm="medtwin", error="invalid_token"`)
}
