package main

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
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"

	"github.com/klageflow/klage/glossary"
)

// principal is who a request comes from, as its credential says.
type principal struct {
	Actor       glossary.Actor
	Permissions []string
	// Complaint, for a customer's capability token, is the one complaint
	// the token opens; empty for every other credential.
	Complaint string
}

// staff reports whether p works for the retailer (or is its scheduler).
func (p *principal) staff() bool {
	switch p.Actor.Role {
	case glossary.CustomerService, glossary.ComplaintsDepartment, glossary.System:
		return true
	}
	return false
}

// errUnauthenticated: the credential is missing where one is needed, or
// malformed, expired or wrongly signed (401).
var errUnauthenticated = errors.New("unauthenticated")

// authenticator turns a bearer token into a principal. Each kind of
// credential the service accepts is one.
type authenticator interface {
	// authenticate returns the principal of token, errSkip when the token
	// is not of its kind, or another error when it is but does not hold.
	authenticate(ctx context.Context, token string) (principal, error)
}

var errSkip = errors.New("not this kind of credential")

// authenticators tries each in turn.
type authenticators []authenticator

func (as authenticators) authenticate(ctx context.Context, token string) (principal, error) {
	for _, a := range as {
		p, err := a.authenticate(ctx, token)
		if errors.Is(err, errSkip) {
			continue
		}
		if err != nil {
			return principal{}, fmt.Errorf("%w: %w", errUnauthenticated, err)
		}
		if problem := glossary.IDProblem(p.Actor.ID); p.Actor.ID == "" || problem != "" || !p.Actor.Role.Valid() {
			return principal{}, fmt.Errorf("%w: the credential names no valid actor", errUnauthenticated)
		}
		return p, nil
	}
	return principal{}, fmt.Errorf("%w: unknown credential", errUnauthenticated)
}

// tokenEntry is one line of the -tokens file: a static bearer token for a
// small deployment, a test or the demo, kept as its SHA-256 (the token
// itself is never stored). The format is a contract.
type tokenEntry struct {
	SHA256       string        `json:"sha256"` // hex SHA-256 of the token
	ID           string        `json:"id"`
	Role         glossary.Role `json:"role"`
	Manufacturer string        `json:"manufacturer"`
	Permissions  []string      `json:"permissions"`
	sum          [sha256.Size]byte
}

// staticTokens authenticates the tokens of a -tokens file.
type staticTokens []tokenEntry

// loadTokens reads a -tokens file: a JSON array of tokenEntry.
func loadTokens(path string) (staticTokens, error) {
	data, err := os.ReadFile(path) //nolint:gosec // the operator names the -tokens file; nobody else chooses the path
	if err != nil {
		return nil, err
	}
	var ts staticTokens
	if err := json.Unmarshal(data, &ts); err != nil {
		return nil, fmt.Errorf("tokens file %s: %w", path, err)
	}
	for i := range ts {
		t := &ts[i]
		sum, err := hex.DecodeString(t.SHA256)
		if err != nil || len(sum) != sha256.Size {
			return nil, fmt.Errorf("tokens file %s: entry %d: sha256 must be 64 hex digits", path, i)
		}
		copy(t.sum[:], sum)
		if !t.Role.Valid() || glossary.IDProblem(t.ID) != "" || t.ID == "" {
			return nil, fmt.Errorf("tokens file %s: entry %d: invalid id or role", path, i)
		}
		if t.Role == glossary.Customer {
			return nil, fmt.Errorf("tokens file %s: entry %d: customers use the token a complaint gives them", path, i)
		}
		if (t.Role == glossary.Manufacturer) != (t.Manufacturer != "") {
			return nil, fmt.Errorf("tokens file %s: entry %d: a manufacturer token, and only one, names its manufacturer", path, i)
		}
	}
	return ts, nil
}

func (ts staticTokens) authenticate(_ context.Context, token string) (principal, error) {
	sum := sha256.Sum256([]byte(token))
	found := -1
	for i := range ts { // every entry is compared, in constant time
		if subtle.ConstantTimeCompare(sum[:], ts[i].sum[:]) == 1 {
			found = i
		}
	}
	if found < 0 {
		return principal{}, errSkip
	}
	t := ts[found]
	return principal{Actor: glossary.Actor{ID: t.ID, Role: t.Role, Manufacturer: t.Manufacturer}, Permissions: t.Permissions}, nil
}

// jwtClaims are the claims the service reads from a verified JWT besides
// the subject: the role, a manufacturer's name and extra permissions.
type jwtClaims struct {
	Role         glossary.Role `json:"klage_role"`
	Manufacturer string        `json:"klage_manufacturer"`
	Permissions  []string      `json:"klage_permissions"`
}

// jwtTokens authenticates JWTs with go-oidc: signature against the
// issuer's keys, issuer, audience and expiry.
type jwtTokens struct{ verifier *oidc.IDTokenVerifier }

// newJWT builds the JWT authenticator: with jwksURL, the keys come from
// that JWKS and issuer is only checked; without, from issuer's OpenID
// Connect discovery document.
func newJWT(ctx context.Context, issuer, jwksURL, audience string, now func() time.Time) (*jwtTokens, error) {
	if issuer == "" || audience == "" {
		return nil, errors.New("-oidc-issuer and -audience are required for JWTs")
	}
	cfg := &oidc.Config{ClientID: audience, Now: now, SupportedSigningAlgs: []string{oidc.RS256, oidc.ES256, oidc.EdDSA}}
	if jwksURL != "" {
		// The key set fetches lazily, with the context given here.
		return &jwtTokens{verifier: oidc.NewVerifier(issuer, oidc.NewRemoteKeySet(context.WithoutCancel(ctx), jwksURL), cfg)}, nil
	}
	provider, err := oidc.NewProvider(ctx, issuer)
	if err != nil {
		return nil, fmt.Errorf("oidc discovery at %s: %w", issuer, err)
	}
	return &jwtTokens{verifier: provider.Verifier(cfg)}, nil
}

func (j *jwtTokens) authenticate(ctx context.Context, token string) (principal, error) {
	if strings.Count(token, ".") != 2 || strings.HasPrefix(token, customerTokenPrefix) {
		return principal{}, errSkip
	}
	idt, err := j.verifier.Verify(ctx, token)
	if err != nil {
		return principal{}, err
	}
	var c jwtClaims
	if err := idt.Claims(&c); err != nil {
		return principal{}, err
	}
	if c.Role == glossary.Customer || !c.Role.Valid() {
		return principal{}, fmt.Errorf("the token's klage_role %q is not a staff or manufacturer role", c.Role)
	}
	if c.Role == glossary.Manufacturer && c.Manufacturer == "" {
		return principal{}, errors.New("a manufacturer's token must name its manufacturer (klage_manufacturer)")
	}
	return principal{Actor: glossary.Actor{ID: idt.Subject, Role: c.Role, Manufacturer: c.Manufacturer}, Permissions: c.Permissions}, nil
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

func (ct *customerTokens) authenticate(_ context.Context, token string) (principal, error) {
	rest, ok := strings.CutPrefix(token, customerTokenPrefix)
	if !ok {
		return principal{}, errSkip
	}
	p, sig, ok := strings.Cut(rest, ".")
	if !ok {
		return principal{}, errors.New("malformed customer token")
	}
	got, err := base64.RawURLEncoding.DecodeString(sig)
	if err != nil || !hmac.Equal(got, ct.mac(p)) {
		return principal{}, errors.New("the customer token's signature does not hold")
	}
	payload, err := base64.RawURLEncoding.DecodeString(p)
	if err != nil {
		return principal{}, errors.New("malformed customer token")
	}
	var c customerClaims
	if err := json.Unmarshal(payload, &c); err != nil || c.Complaint == "" || c.Customer == "" {
		return principal{}, errors.New("malformed customer token")
	}
	if ct.now().Unix() >= c.Expires {
		return principal{}, errors.New("the customer token expired at " + strconv.FormatInt(c.Expires, 10))
	}
	return principal{Actor: glossary.Actor{ID: c.Customer, Role: glossary.Customer}, Complaint: c.Complaint}, nil
}

type principalKey struct{}

// withPrincipal returns ctx carrying p: identity travels in the request's
// context, never in its body.
func withPrincipal(ctx context.Context, p *principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// principalOf returns the request's principal, or nil when it is
// anonymous.
func principalOf(ctx context.Context) *principal {
	p, _ := ctx.Value(principalKey{}).(*principal)
	return p
}
