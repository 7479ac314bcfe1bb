package auth

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"sync"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// JWTConfig configures verification of JWTs issued by an OIDC provider.
type JWTConfig struct {
	// JWKSFile is the provider's JSON Web Key Set (its jwks_uri document,
	// saved by the operator): the public keys tokens are signed with.
	JWKSFile string
	// Issuer must equal the token's iss claim. Required.
	Issuer string
	// Audience, when set, must be one of the token's aud values.
	Audience string
	// RoleClaim names the claim that holds the role: a string or an array
	// of strings (default "medtwin_role"). With several recognised roles
	// the least privileged applies (researcher < clinician < admin).
	RoleClaim string
	// NameClaim names the claim recorded as the caller in the audit log
	// (default "sub").
	NameClaim string
	// Leeway tolerates clock skew on exp, nbf and iat (default 1 minute).
	Leeway time.Duration
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// acceptedAlgorithms are the asymmetric JWS algorithms accepted; "none" and
// the HMAC family are refused (a public JWKS must not verify HS256).
var acceptedAlgorithms = []jose.SignatureAlgorithm{
	jose.RS256, jose.RS384, jose.RS512, jose.PS256, jose.PS384, jose.PS512,
	jose.ES256, jose.ES384, jose.ES512, jose.EdDSA,
}

// JWTVerifier verifies JWTs against a JWKS file. Safe for concurrent use.
type JWTVerifier struct {
	cfg  JWTConfig
	mu   sync.RWMutex
	keys jose.JSONWebKeySet
}

// NewJWTVerifier loads the JWKS file and returns a verifier.
func NewJWTVerifier(cfg JWTConfig) (*JWTVerifier, error) {
	if cfg.Issuer == "" {
		return nil, fmt.Errorf("%w: JWT verification needs an issuer", ErrConfig)
	}
	if cfg.RoleClaim == "" {
		cfg.RoleClaim = "medtwin_role"
	}
	if cfg.NameClaim == "" {
		cfg.NameClaim = "sub"
	}
	if cfg.Leeway == 0 {
		cfg.Leeway = time.Minute
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	v := &JWTVerifier{cfg: cfg}
	if err := v.Reload(); err != nil {
		return nil, err
	}
	return v, nil
}

// Reload re-reads the JWKS file (after the provider rotated its keys).
func (v *JWTVerifier) Reload() error {
	b, err := os.ReadFile(v.cfg.JWKSFile)
	if err != nil {
		return fmt.Errorf("%w: JWKS: %v", ErrConfig, err)
	}
	var set jose.JSONWebKeySet
	if err := json.Unmarshal(b, &set); err != nil {
		return fmt.Errorf("%w: JWKS %s: %v", ErrConfig, v.cfg.JWKSFile, err)
	}
	n := 0
	for i, k := range set.Keys {
		if !k.Valid() {
			return fmt.Errorf("%w: JWKS %s: key %d is invalid", ErrConfig, v.cfg.JWKSFile, i)
		}
		if !k.IsPublic() {
			return fmt.Errorf("%w: JWKS %s: key %d is a private key; give the public set", ErrConfig, v.cfg.JWKSFile, i)
		}
		if k.Use == "" || k.Use == "sig" {
			n++
		}
	}
	if n == 0 {
		return fmt.Errorf("%w: JWKS %s has no signing keys", ErrConfig, v.cfg.JWKSFile)
	}
	v.mu.Lock()
	v.keys = set
	v.mu.Unlock()
	return nil
}

func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrInvalidToken}, args...)...)
}

// Authenticate implements Authenticator.
func (v *JWTVerifier) Authenticate(_ context.Context, token string) (Principal, error) {
	tok, err := jwt.ParseSigned(token, acceptedAlgorithms)
	if err != nil {
		return Principal{}, invalid("malformed JWT")
	}
	if len(tok.Headers) != 1 {
		return Principal{}, invalid("JWT must have one signature")
	}
	h := tok.Headers[0]
	v.mu.RLock()
	var candidates []jose.JSONWebKey
	if h.KeyID != "" {
		candidates = v.keys.Key(h.KeyID)
	} else {
		candidates = v.keys.Keys
	}
	v.mu.RUnlock()
	var (
		std    jwt.Claims
		custom map[string]any
		ok     bool
	)
	for _, k := range candidates {
		if k.Use != "" && k.Use != "sig" {
			continue
		}
		if k.Algorithm != "" && k.Algorithm != h.Algorithm {
			continue
		}
		if err := tok.Claims(k.Key, &std, &custom); err == nil {
			ok = true
			break
		}
	}
	if !ok {
		return Principal{}, invalid("signature does not verify against the JWKS")
	}
	if std.Expiry == nil {
		return Principal{}, invalid("JWT has no exp claim")
	}
	exp := jwt.Expected{Issuer: v.cfg.Issuer, Time: v.cfg.Now()}
	if v.cfg.Audience != "" {
		exp.AnyAudience = jwt.Audience{v.cfg.Audience}
	}
	if err := std.ValidateWithLeeway(exp, v.cfg.Leeway); err != nil {
		return Principal{}, invalid("%v", err)
	}
	role, err := roleOf(custom[v.cfg.RoleClaim])
	if err != nil {
		return Principal{}, invalid("claim %s: %v", v.cfg.RoleClaim, err)
	}
	name, _ := custom[v.cfg.NameClaim].(string)
	if strings.TrimSpace(name) == "" {
		return Principal{}, invalid("claim %s is missing", v.cfg.NameClaim)
	}
	return Principal{Name: name, Role: role, Method: "jwt"}, nil
}

func roleOf(claim any) (Role, error) {
	var names []string
	switch c := claim.(type) {
	case string:
		names = strings.Fields(c)
	case []any:
		for _, x := range c {
			if s, ok := x.(string); ok {
				names = append(names, s)
			}
		}
	case nil:
		return "", fmt.Errorf("missing")
	default:
		return "", fmt.Errorf("not a string or an array of strings")
	}
	rank := map[Role]int{Researcher: 1, Clinician: 2, Admin: 3}
	var best Role
	for _, n := range names {
		r, err := ParseRole(n)
		if err != nil {
			continue
		}
		if best == "" || rank[r] < rank[best] {
			best = r
		}
	}
	if best == "" {
		return "", fmt.Errorf("no recognised role")
	}
	return best, nil
}
