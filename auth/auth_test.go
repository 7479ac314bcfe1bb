package auth

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

const tokensCSV = `token,role,name
# the ward
clin-token-0123456789,clinician,dr.house
res-token-0123456789abc,researcher,r.franklin
adm-token-0123456789abc,Admin,ops
`

func TestTokens(t *testing.T) {
	toks, err := ParseTokens(strings.NewReader(tokensCSV))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for tok, want := range map[string]Principal{
		"clin-token-0123456789":   {Name: "dr.house", Role: Clinician, Method: "token"},
		"res-token-0123456789abc": {Name: "r.franklin", Role: Researcher, Method: "token"},
		"adm-token-0123456789abc": {Name: "ops", Role: Admin, Method: "token"},
	} {
		got, err := toks.Authenticate(ctx, tok)
		if err != nil || got != want {
			t.Errorf("%s: %+v %v", want.Name, got, err)
		}
	}
	if _, err := toks.Authenticate(ctx, "clin-token-012345678"); !errors.Is(err, ErrInvalidToken) {
		t.Fatalf("prefix of a token accepted: %v", err)
	}
	// Column order is free.
	if _, err := ParseTokens(strings.NewReader("name,token,role\nx,abcdefghijklmnopqrst,clinician\n")); err != nil {
		t.Fatal(err)
	}
}

func TestTokensFileErrors(t *testing.T) {
	for name, tc := range map[string]struct{ csv, want string }{
		"empty":      {"", "empty tokens file"},
		"no header":  {"token,role\nabcdefghijklmnopqrst,clinician\n", `lacks "name"`},
		"bad role":   {"token,role,name\nabcdefghijklmnopqrst,nurse,x\n", "line 2"},
		"short":      {"token,role,name\nshort,clinician,x\n", "line 2: token shorter"},
		"no name":    {"token,role,name\nabcdefghijklmnopqrst,clinician,\n", "line 2: empty name"},
		"duplicate":  {"token,role,name\nabcdefghijklmnopqrst,clinician,a\nabcdefghijklmnopqrst,admin,b\n", "line 3: duplicate"},
		"no tokens":  {"token,role,name\n", "no tokens"},
		"bad quotes": {"token,role,name\n\"abc,clinician,x\n", "bad configuration"},
	} {
		_, err := ParseTokens(strings.NewReader(tc.csv))
		if err == nil || !strings.Contains(err.Error(), tc.want) || !errors.Is(err, ErrConfig) {
			t.Errorf("%s: err = %v, want %q", name, err, tc.want)
		}
		if err != nil && strings.Contains(err.Error(), "abcdefghijklmnopqrst") {
			t.Errorf("%s: error reveals a token: %v", name, err)
		}
	}
	dir := t.TempDir()
	p := filepath.Join(dir, "tokens.csv")
	os.WriteFile(p, []byte(tokensCSV), 0o600)
	if toks, err := LoadTokens(p); err != nil || toks.Len() != 3 {
		t.Fatal(err)
	}
	if _, err := LoadTokens(filepath.Join(dir, "missing.csv")); !errors.Is(err, ErrConfig) {
		t.Fatal(err)
	}
}

type jwtFixture struct {
	rsaKey *rsa.PrivateKey
	ecKey  *ecdsa.PrivateKey
	other  *rsa.PrivateKey
	path   string
	now    time.Time
}

func newJWTFixture(t *testing.T) *jwtFixture {
	t.Helper()
	f := &jwtFixture{now: time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)}
	var err error
	if f.rsaKey, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
		t.Fatal(err)
	}
	if f.other, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
		t.Fatal(err)
	}
	if f.ecKey, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader); err != nil {
		t.Fatal(err)
	}
	set := jose.JSONWebKeySet{Keys: []jose.JSONWebKey{
		{Key: &f.rsaKey.PublicKey, KeyID: "rsa1", Algorithm: "RS256", Use: "sig"},
		{Key: &f.ecKey.PublicKey, KeyID: "ec1", Algorithm: "ES256", Use: "sig"},
	}}
	b, _ := json.Marshal(set)
	f.path = filepath.Join(t.TempDir(), "jwks.json")
	if err := os.WriteFile(f.path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return f
}

func (f *jwtFixture) sign(t *testing.T, alg jose.SignatureAlgorithm, key any, kid string, claims map[string]any) string {
	t.Helper()
	opts := (&jose.SignerOptions{}).WithType("JWT")
	if kid != "" {
		opts = opts.WithHeader("kid", kid)
	}
	s, err := jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: key}, opts)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := jwt.Signed(s).Claims(claims).Serialize()
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func TestJWT(t *testing.T) {
	f := newJWTFixture(t)
	v, err := NewJWTVerifier(JWTConfig{JWKSFile: f.path, Issuer: "https://idp.example", Audience: "medtwin", Now: func() time.Time { return f.now }})
	if err != nil {
		t.Fatal(err)
	}
	base := func() map[string]any {
		return map[string]any{
			"iss": "https://idp.example", "aud": []string{"medtwin"}, "sub": "u-123",
			"exp": f.now.Add(time.Hour).Unix(), "iat": f.now.Unix(), "medtwin_role": "clinician",
		}
	}
	with := func(k string, val any) map[string]any {
		c := base()
		if val == nil {
			delete(c, k)
		} else {
			c[k] = val
		}
		return c
	}
	ctx := context.Background()
	good := f.sign(t, jose.RS256, f.rsaKey, "rsa1", base())
	p, err := v.Authenticate(ctx, good)
	if err != nil || p != (Principal{Name: "u-123", Role: Clinician, Method: "jwt"}) {
		t.Fatalf("good token: %+v %v", p, err)
	}
	if p, err := v.Authenticate(ctx, f.sign(t, jose.ES256, f.ecKey, "ec1", with("medtwin_role", []string{"admin", "researcher"}))); err != nil || p.Role != Researcher {
		t.Fatalf("EC token, two roles → least privileged: %+v %v", p, err)
	}
	if p, err := v.Authenticate(ctx, f.sign(t, jose.RS256, f.rsaKey, "", base())); err != nil || p.Role != Clinician {
		t.Fatalf("token without kid: %+v %v", p, err)
	}
	hs, _ := jose.NewSigner(jose.SigningKey{Algorithm: jose.HS256, Key: []byte("a shared secret of thirty-two b!")}, nil)
	hsTok, _ := jwt.Signed(hs).Claims(base()).Serialize()
	bad := map[string]string{
		"expired":        f.sign(t, jose.RS256, f.rsaKey, "rsa1", with("exp", f.now.Add(-2*time.Minute).Unix())),
		"no exp":         f.sign(t, jose.RS256, f.rsaKey, "rsa1", with("exp", nil)),
		"not yet":        f.sign(t, jose.RS256, f.rsaKey, "rsa1", with("nbf", f.now.Add(time.Hour).Unix())),
		"wrong issuer":   f.sign(t, jose.RS256, f.rsaKey, "rsa1", with("iss", "https://evil.example")),
		"wrong audience": f.sign(t, jose.RS256, f.rsaKey, "rsa1", with("aud", "other")),
		"unknown key":    f.sign(t, jose.RS256, f.other, "rsa1", base()),
		"unknown kid":    f.sign(t, jose.RS256, f.rsaKey, "nope", base()),
		"no role":        f.sign(t, jose.RS256, f.rsaKey, "rsa1", with("medtwin_role", nil)),
		"bad role":       f.sign(t, jose.RS256, f.rsaKey, "rsa1", with("medtwin_role", "nurse")),
		"no sub":         f.sign(t, jose.RS256, f.rsaKey, "rsa1", with("sub", nil)),
		"hmac":           hsTok,
		"garbage":        "a.b.c",
		"tampered":       good[:len(good)-4] + "AAAA",
		"alg none":       "eyJhbGciOiJub25lIn0." + strings.Split(good, ".")[1] + ".",
	}
	for name, tok := range bad {
		if _, err := v.Authenticate(ctx, tok); !errors.Is(err, ErrInvalidToken) {
			t.Errorf("%s: err = %v", name, err)
		}
	}
	// Chain sends JWT-shaped tokens to the JWT verifier and others to the
	// tokens file.
	toks, _ := ParseTokens(strings.NewReader(tokensCSV))
	ch := Chain{toks, v}
	if p, err := ch.Authenticate(ctx, good); err != nil || p.Method != "jwt" {
		t.Fatal(p, err)
	}
	if p, err := ch.Authenticate(ctx, "clin-token-0123456789"); err != nil || p.Method != "token" {
		t.Fatal(p, err)
	}
	if _, err := ch.Authenticate(ctx, "nope"); !errors.Is(err, ErrInvalidToken) {
		t.Fatal(err)
	}
}

func TestJWKSConfigErrors(t *testing.T) {
	f := newJWTFixture(t)
	if _, err := NewJWTVerifier(JWTConfig{JWKSFile: f.path}); !errors.Is(err, ErrConfig) {
		t.Fatalf("no issuer: %v", err)
	}
	dir := t.TempDir()
	priv, _ := json.Marshal(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: f.rsaKey, KeyID: "k"}}})
	for name, content := range map[string]string{"garbage": "{", "empty": `{"keys":[]}`, "private": string(priv)} {
		p := filepath.Join(dir, name)
		os.WriteFile(p, []byte(content), 0o600)
		if _, err := NewJWTVerifier(JWTConfig{JWKSFile: p, Issuer: "x"}); !errors.Is(err, ErrConfig) {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestMiddleware(t *testing.T) {
	toks, _ := ParseTokens(strings.NewReader(tokensCSV))
	h := Middleware(toks, nil)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, _ := FromContext(r.Context())
		w.Write([]byte(p.Name + "/" + string(p.Role)))
	}))
	for _, tc := range []struct {
		header string
		code   int
		body   string
	}{
		{"", 401, "unauthorized"},
		{"Bearer clin-token-0123456789", 200, "dr.house/clinician"},
		{"bearer res-token-0123456789abc", 200, "r.franklin/researcher"},
		{"Basic dXNlcjpwYXNz", 401, "unauthorized"},
		{"Bearer wrong-token-0123456789", 401, "unauthorized"},
		{"Bearer ", 401, "unauthorized"},
	} {
		r := httptest.NewRequest("POST", "/graphql", nil)
		if tc.header != "" {
			r.Header.Set("Authorization", tc.header)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != tc.code || !strings.Contains(w.Body.String(), tc.body) {
			t.Errorf("%q: %d %q", tc.header, w.Code, w.Body.String())
		}
		if tc.code == 401 && !strings.HasPrefix(w.Header().Get("WWW-Authenticate"), "Bearer") {
			t.Errorf("%q: no challenge", tc.header)
		}
	}
}

func TestRoles(t *testing.T) {
	if !Clinician.Identified() || Researcher.Identified() || !Admin.Identified() || !Researcher.Pseudonymised() {
		t.Fatal("role predicates")
	}
	if !Admin.CanReadAudit() || Clinician.CanReadAudit() {
		t.Fatal("audit predicate")
	}
}
