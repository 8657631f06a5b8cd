package klagehttp

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"

	"github.com/klageflow/klage/glossary"
	"github.com/klageflow/klage/internal/vocab"
)

// Principal is who a request comes from, as its credential says. An
// [Authenticator] returns it; the handler carries it in the request's
// context, never in its body.
type Principal struct {
	// Actor is who acts: the id, a role of the workflow's lifecycle and,
	// for a manufacturer, which one.
	Actor glossary.Actor
	// Permissions are extra rights: "privacy" lets staff export and erase
	// a customer's data.
	Permissions []string
	// Complaint, for a customer's capability token, is the one complaint
	// the token opens; empty for every other credential.
	Complaint string
}

// staff reports whether p works for the retailer (or is its scheduler):
// the library's rule (complaint.Audience), every role but the customer's
// and the manufacturer's.
func (p *Principal) staff() bool {
	return p.Actor.Role != glossary.Customer && p.Actor.Role != glossary.Manufacturer && p.Actor.Role != ""
}

// errUnauthenticated: the credential is missing where one is needed, or
// malformed, expired or wrongly signed (401).
var errUnauthenticated = errors.New("unauthenticated")

// ErrNoCredential is what an [Authenticator] returns for a request that
// carries no credential of its kind: the next one is asked. A request that
// no authenticator knows is anonymous when it has no Authorization header
// (the web form), and refused with 401 when it has one.
var ErrNoCredential = errors.New("klagehttp: no credential of this kind")

// Authenticator establishes who makes a request, from a credential it
// verifies (a bearer token, a session cookie, a client certificate):
// never from the request's body. Authenticate returns the principal,
// [ErrNoCredential] when the request carries no credential of its kind, or
// another error when it carries one that does not hold (401). It must be
// safe for concurrent use.
//
// The handler checks what an Authenticator returns: an actor id that
// glossary.IDProblem refuses, a role the workflow's lifecycle does not
// have, or a manufacturer without its name is refused with 401.
type Authenticator interface {
	Authenticate(r *http.Request) (Principal, error)
}

// AuthenticatorFunc adapts a function to [Authenticator].
type AuthenticatorFunc func(r *http.Request) (Principal, error)

// Authenticate calls f.
func (f AuthenticatorFunc) Authenticate(r *http.Request) (Principal, error) { return f(r) }

// Authenticators combines authenticators: each is asked in turn until one
// knows the request's credential.
func Authenticators(as ...Authenticator) Authenticator {
	return authenticators(slices.DeleteFunc(slices.Clone(as), func(a Authenticator) bool { return a == nil }))
}

type authenticators []Authenticator

func (as authenticators) Authenticate(r *http.Request) (Principal, error) {
	for _, a := range as {
		p, err := a.Authenticate(r)
		if errors.Is(err, ErrNoCredential) {
			continue
		}
		return p, err
	}
	return Principal{}, ErrNoCredential
}

// roleLister is an Authenticator that knows every role its credentials
// carry (static tokens), so that [New] refuses, at start, one that the
// workflow's lifecycle lacks.
type roleLister interface{ roles() []glossary.Role }

func (as authenticators) roles() []glossary.Role {
	var out []glossary.Role
	for _, a := range as {
		if rl, ok := a.(roleLister); ok {
			out = append(out, rl.roles()...)
		}
	}
	return out
}

// bearer returns the request's bearer token, or "".
func bearer(r *http.Request) string {
	scheme, token, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return ""
	}
	return strings.TrimSpace(token)
}

// Token is a static bearer token for a small deployment, a test or a
// demo, kept as its SHA-256 (the token itself is never stored): one entry
// of a tokens file ([LoadTokens]). The JSON form is a contract.
type Token struct {
	SHA256       string        `json:"sha256"` // hex SHA-256 of the token
	ID           string        `json:"id"`
	Role         glossary.Role `json:"role"`
	Manufacturer string        `json:"manufacturer"`
	Permissions  []string      `json:"permissions"`
}

// staticTokens authenticates static bearer tokens.
type staticTokens struct {
	entries []Token
	sums    [][sha256.Size]byte
}

func (ts *staticTokens) roles() []glossary.Role {
	out := make([]glossary.Role, len(ts.entries))
	for i, t := range ts.entries {
		out[i] = t.Role
	}
	return out
}

// StaticTokens returns an [Authenticator] of static bearer tokens. It
// refuses an entry without a 64-digit hex SHA-256, with an invalid id or
// a role that is not a well-formed name (a role an extended lifecycle
// adds is fine: [New] refuses a token whose role its workflow does not
// know), for a customer (customers use the token their complaint gives
// them), or a manufacturer's without its name.
func StaticTokens(entries []Token) (Authenticator, error) {
	ts := &staticTokens{entries: slices.Clone(entries), sums: make([][sha256.Size]byte, len(entries))}
	for i, t := range ts.entries {
		sum, err := hex.DecodeString(t.SHA256)
		if err != nil || len(sum) != sha256.Size {
			return nil, fmt.Errorf("klagehttp: token %d: sha256 must be 64 hex digits", i)
		}
		copy(ts.sums[i][:], sum)
		if !vocab.WellFormed(string(t.Role)) || glossary.IDProblem(t.ID) != "" || t.ID == "" {
			return nil, fmt.Errorf("klagehttp: token %d: invalid id or role", i)
		}
		if t.Role == glossary.Customer {
			return nil, fmt.Errorf("klagehttp: token %d: customers use the token a complaint gives them", i)
		}
		if (t.Role == glossary.Manufacturer) != (t.Manufacturer != "") {
			return nil, fmt.Errorf("klagehttp: token %d: a manufacturer token, and only one, names its manufacturer", i)
		}
	}
	return ts, nil
}

// LoadTokens reads a tokens file, a JSON array of [Token], and returns its
// [StaticTokens].
func LoadTokens(path string) (Authenticator, error) {
	data, err := os.ReadFile(path) //nolint:gosec // the operator names the tokens file; nobody else chooses the path
	if err != nil {
		return nil, err
	}
	var ts []Token
	if err := json.Unmarshal(data, &ts); err != nil {
		return nil, fmt.Errorf("klagehttp: tokens file %s: %w", path, err)
	}
	a, err := StaticTokens(ts)
	if err != nil {
		return nil, fmt.Errorf("klagehttp: tokens file %s: %w", path, err)
	}
	return a, nil
}

// Authenticate implements [Authenticator].
func (ts *staticTokens) Authenticate(r *http.Request) (Principal, error) {
	token := bearer(r)
	if token == "" || strings.HasPrefix(token, customerTokenPrefix) {
		return Principal{}, ErrNoCredential
	}
	sum := sha256.Sum256([]byte(token))
	found := -1
	for i := range ts.sums { // every entry is compared, in constant time
		if subtle.ConstantTimeCompare(sum[:], ts.sums[i][:]) == 1 {
			found = i
		}
	}
	if found < 0 {
		return Principal{}, ErrNoCredential
	}
	t := ts.entries[found]
	return Principal{Actor: glossary.Actor{ID: t.ID, Role: t.Role, Manufacturer: t.Manufacturer}, Permissions: slices.Clone(t.Permissions)}, nil
}

// jwtClaims are the claims the service reads from a verified JWT besides
// the subject: the role, a manufacturer's name and extra permissions.
type jwtClaims struct {
	Role         glossary.Role `json:"klage_role"`
	Manufacturer string        `json:"klage_manufacturer"`
	Permissions  []string      `json:"klage_permissions"`
}

// JWTConfig configures [NewJWT]. The issuer's keys are cached and fetched
// again at most once a minute, when a signature does not verify.
type JWTConfig struct {
	// Issuer is the OpenID Connect issuer whose tokens are accepted
	// (required). Without JWKSURL, its discovery document gives the keys.
	Issuer string
	// JWKSURL, optional, is the key set that signs accepted tokens; the
	// issuer is then only checked.
	JWKSURL string
	// Audience is the audience accepted tokens must name (required).
	Audience string
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// jwtTokens authenticates JWTs with go-oidc: signature against the
// issuer's keys, issuer, audience and expiry.
type jwtTokens struct{ verifier *oidc.IDTokenVerifier }

// NewJWT returns an [Authenticator] of JWT bearer tokens verified with
// github.com/coreos/go-oidc/v3: the signature (RS256, ES256, EdDSA)
// against the issuer's keys, the issuer, the audience and the expiry. The
// subject is the actor's id; the claims klage_role, klage_manufacturer and
// klage_permissions give the rest. A customer role is refused (customers
// use the token their complaint gives them).
func NewJWT(ctx context.Context, c JWTConfig) (Authenticator, error) {
	if c.Issuer == "" || c.Audience == "" {
		return nil, errors.New("klagehttp: a JWT issuer and audience are required")
	}
	cfg := &oidc.Config{ClientID: c.Audience, Now: c.Now, SupportedSigningAlgs: []string{oidc.RS256, oidc.ES256, oidc.EdDSA}}
	jwks := c.JWKSURL
	if jwks == "" {
		provider, err := oidc.NewProvider(ctx, c.Issuer)
		if err != nil {
			return nil, fmt.Errorf("klagehttp: oidc discovery at %s: %w", c.Issuer, err)
		}
		var meta struct {
			JWKSURL string `json:"jwks_uri"`
		}
		if err := provider.Claims(&meta); err != nil || meta.JWKSURL == "" {
			return nil, fmt.Errorf("klagehttp: oidc discovery at %s names no jwks_uri", c.Issuer)
		}
		jwks = meta.JWKSURL
	}
	// The keys are cached and fetched again at most once a minute, on a
	// signature they do not verify (a rotated key), so that bad tokens
	// cannot make the service hammer the issuer.
	return &jwtTokens{verifier: oidc.NewVerifier(c.Issuer, newCachedKeySet(jwks), cfg)}, nil
}

// Authenticate implements [Authenticator].
func (j *jwtTokens) Authenticate(r *http.Request) (Principal, error) {
	token := bearer(r)
	if strings.Count(token, ".") != 2 || strings.HasPrefix(token, customerTokenPrefix) {
		return Principal{}, ErrNoCredential
	}
	idt, err := j.verifier.Verify(r.Context(), token)
	if err != nil {
		return Principal{}, err
	}
	var c jwtClaims
	if err := idt.Claims(&c); err != nil {
		return Principal{}, err
	}
	if c.Role == glossary.Customer || !vocab.WellFormed(string(c.Role)) {
		return Principal{}, fmt.Errorf("the token's klage_role %q is not a staff or manufacturer role", c.Role)
	}
	if c.Role == glossary.Manufacturer && c.Manufacturer == "" {
		return Principal{}, errors.New("a manufacturer's token must name its manufacturer (klage_manufacturer)")
	}
	return Principal{Actor: glossary.Actor{ID: idt.Subject, Role: c.Role, Manufacturer: c.Manufacturer}, Permissions: c.Permissions}, nil
}

// customerTokenPrefix starts every customer capability token.
const customerTokenPrefix = "kc1."

// customerTokens issues and checks customer capability tokens: a signed,
// expiring token that lets the customer of one complaint act on that
// complaint only. The token is kc1.<payload>.<mac>, the payload the
// base64url JSON of its claims and the mac an HMAC-SHA256 of it.
type customerTokens struct {
	secret []byte
	ttl    time.Duration
	now    func() time.Time
}

type customerClaims struct {
	Complaint string `json:"c"`
	Customer  string `json:"u"`
	Expires   int64  `json:"x"` // Unix seconds
}

// issue returns a token for the customer of complaint id.
func (ct *customerTokens) issue(id, customer string) string {
	payload, _ := json.Marshal(customerClaims{Complaint: id, Customer: customer, Expires: ct.now().Add(ct.ttl).Unix()})
	p := base64.RawURLEncoding.EncodeToString(payload)
	return customerTokenPrefix + p + "." + base64.RawURLEncoding.EncodeToString(ct.mac(p))
}

func (ct *customerTokens) mac(payload string) []byte {
	h := hmac.New(sha256.New, ct.secret)
	h.Write([]byte(customerTokenPrefix + payload))
	return h.Sum(nil)
}

func (ct *customerTokens) authenticate(token string) (Principal, error) {
	rest, ok := strings.CutPrefix(token, customerTokenPrefix)
	if !ok {
		return Principal{}, ErrNoCredential
	}
	p, sig, ok := strings.Cut(rest, ".")
	if !ok {
		return Principal{}, errors.New("malformed customer token")
	}
	got, err := base64.RawURLEncoding.DecodeString(sig)
	if err != nil || !hmac.Equal(got, ct.mac(p)) {
		return Principal{}, errors.New("the customer token's signature does not hold")
	}
	payload, err := base64.RawURLEncoding.DecodeString(p)
	if err != nil {
		return Principal{}, errors.New("malformed customer token")
	}
	var c customerClaims
	if err := json.Unmarshal(payload, &c); err != nil || c.Complaint == "" || c.Customer == "" {
		return Principal{}, errors.New("malformed customer token")
	}
	if ct.now().Unix() >= c.Expires {
		return Principal{}, errors.New("the customer token expired at " + strconv.FormatInt(c.Expires, 10))
	}
	return Principal{Actor: glossary.Actor{ID: c.Customer, Role: glossary.Customer}, Complaint: c.Complaint}, nil
}

type principalKey struct{}

// withPrincipal returns ctx carrying p: identity travels in the request's
// context, never in its body.
func withPrincipal(ctx context.Context, p *Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// principalOf returns the request's Principal, or nil when it is
// anonymous.
func principalOf(ctx context.Context) *Principal {
	p, _ := ctx.Value(principalKey{}).(*Principal)
	return p
}
