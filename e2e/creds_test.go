package e2e

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
	"github.com/stretchr/testify/require"

	"github.com/klageflow/klage/complaint"
	"github.com/klageflow/klage/klagehttp"
)

// The static tokens every test service accepts (see writeTokens).
const (
	tokAgent    = "tok-anna"    // customer service
	tokAgent2   = "tok-bo"      // customer service
	tokReviewer = "tok-mette"   // the Complaints Department
	tokLenovo   = "tok-lenovo"  // Lenovo's support
	tokAsus     = "tok-asus"    // Asus's support
	tokSystem   = "tok-system"  // the scheduler
	tokPrivacy  = "tok-privacy" // customer service with the privacy permission
)

var testTokens = []struct {
	token, id, role, manufacturer string
	permissions                   []string
}{
	{tokAgent, "anna", "customer_service", "", nil},
	{tokAgent2, "bo", "customer_service", "", nil},
	{tokReviewer, "mette", "complaints_department", "", nil},
	{tokLenovo, "lenovo-1", "manufacturer", "Lenovo", nil},
	{tokAsus, "asus-1", "manufacturer", "Asus", nil},
	{tokSystem, "scheduler", "system", "", nil},
	{tokPrivacy, "dpo", "customer_service", "", []string{"privacy"}},
}

// writeTokens writes the -tokens file of testTokens and returns its path.
func writeTokens(t testing.TB) string {
	t.Helper()
	var entries []map[string]any
	for _, tt := range testTokens {
		sum := sha256.Sum256([]byte(tt.token))
		entries = append(entries, map[string]any{"sha256": hex.EncodeToString(sum[:]), "id": tt.id, "role": tt.role,
			"manufacturer": tt.manufacturer, "permissions": tt.permissions})
	}
	data, err := json.Marshal(entries)
	require.NoError(t, err)
	path := filepath.Join(t.TempDir(), "tokens.json")
	require.NoError(t, os.WriteFile(path, data, 0o600))
	return path
}

// testOptions are klagehttp.Options for a handler built in a test with
// newHandler: the static testTokens and a customers' token key.
func testOptions(t testing.TB, now func() time.Time, log *slog.Logger) klagehttp.Options {
	t.Helper()
	ts, err := klagehttp.LoadTokens(writeTokens(t))
	require.NoError(t, err)
	return klagehttp.Options{Now: now, Logger: log, Authenticator: ts, CustomerTokenSecret: []byte(testSecret), CustomerTokenTTL: time.Hour}
}

// newHandler builds the API over w and s with opts, failing the test on a
// configuration error.
func newHandler(t testing.TB, w *complaint.Workflow, s klagehttp.Storage, opts klagehttp.Options) *klagehttp.Handler {
	t.Helper()
	opts.Workflow, opts.Store = w, s
	h, err := klagehttp.New(opts)
	require.NoError(t, err)
	return h
}

// issuer is an OpenID Connect issuer for tests: a JWKS served on
// 127.0.0.1 with a key it generates, and the tokens it signs.
type issuer struct {
	url     string
	key     *ecdsa.PrivateKey
	kid     string
	jwks    string
	fetches atomic.Int64 // of the key set
}

const testAudience = "klage-test"

func newIssuer(t testing.TB) *issuer {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	iss := &issuer{key: key, kid: "test-key-1"}
	set := jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &key.PublicKey, KeyID: iss.kid, Algorithm: string(jose.ES256), Use: "sig"}}}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		iss.fetches.Add(1)
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(set)
	}))
	t.Cleanup(srv.Close)
	iss.url, iss.jwks = srv.URL, srv.URL+"/jwks"
	return iss
}

// sign returns a JWT for sub with claims, signed by key (the issuer's own
// when nil), for audience, expiring at exp.
func (iss *issuer) sign(t testing.TB, key *ecdsa.PrivateKey, sub, audience string, exp time.Time, claims map[string]any) string {
	t.Helper()
	if key == nil {
		key = iss.key
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: key}, (&jose.SignerOptions{}).WithType("JWT").WithHeader("kid", iss.kid))
	require.NoError(t, err)
	std := jwt.Claims{Issuer: iss.url, Subject: sub, Audience: jwt.Audience{audience}, Expiry: jwt.NewNumericDate(exp), IssuedAt: jwt.NewNumericDate(exp.Add(-time.Hour))}
	tok, err := jwt.Signed(signer).Claims(std).Claims(claims).Serialize()
	require.NoError(t, err)
	return tok
}
