package klagehttp_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/klageflow/klage/complaint"
	"github.com/klageflow/klage/complaint/complainttest"
	"github.com/klageflow/klage/klagehttp"
	"github.com/klageflow/klage/store"
)

// The static tokens of the package's tests.
const (
	tokAgent    = "tok-anna"
	tokReviewer = "tok-mette"
	tokPrivacy  = "tok-privacy"
)

func token(tok, id, role string, permissions ...string) klagehttp.Token {
	sum := sha256.Sum256([]byte(tok))
	return klagehttp.Token{SHA256: hex.EncodeToString(sum[:]), ID: id, Role: glossaryRole(role), Permissions: permissions}
}

// env is a handler over a memory store, served on 127.0.0.1.
type env struct {
	t     testing.TB
	clock *complainttest.Clock
	w     *complaint.Workflow
	s     *store.Memory
	h     *klagehttp.Handler
	url   string
}

func newEnv(t testing.TB, change ...func(*klagehttp.Options)) *env {
	t.Helper()
	clock := complainttest.NewClock(time.Time{})
	w, err := complaint.New(complaint.Options{Now: clock.Now})
	require.NoError(t, err)
	s := store.NewMemory(w)
	auth, err := klagehttp.StaticTokens([]klagehttp.Token{
		token(tokAgent, "anna", "customer_service"),
		token(tokReviewer, "mette", "complaints_department"),
		token(tokPrivacy, "dpo", "customer_service", "privacy"),
	})
	require.NoError(t, err)
	opts := klagehttp.Options{Workflow: w, Store: s, Authenticator: auth, CustomerTokenSecret: bytes.Repeat([]byte("k"), 32), IntakeRate: 1000, IntakeBurst: 1000}
	for _, c := range change {
		c(&opts)
	}
	h, err := klagehttp.New(opts)
	require.NoError(t, err)
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return &env{t: t, clock: clock, w: w, s: s, h: h, url: srv.URL}
}

// do sends a request with a bearer token (none when empty) and extra
// headers, and returns the status and the body.
func (e *env) do(tok, method, path string, body any, headers ...string) (int, []byte) {
	e.t.Helper()
	var r io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		r = bytes.NewReader([]byte(b))
	case []byte:
		r = bytes.NewReader(b)
	default:
		data, err := json.Marshal(b)
		require.NoError(e.t, err)
		r = bytes.NewReader(data)
	}
	req, err := http.NewRequest(method, e.url+path, r)
	require.NoError(e.t, err)
	req.Header.Set("Content-Type", "application/json")
	if tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(e.t, err)
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	require.NoError(e.t, err)
	return resp.StatusCode, data
}

// intake is a complaint by phone, as customer service registers it.
func intake() map[string]any {
	return map[string]any{
		"customer":      map[string]any{"id": "cust-7", "name": "Karen Jensen", "email": "karen@example.dk", "type": "consumer"},
		"channel":       "phone",
		"kind":          "doa",
		"product":       map[string]any{"sku": "NB-1042", "name": "UltraBook 14", "manufacturer": "Lenovo", "delivered_at": "2026-02-20T12:00:00Z"},
		"description":   "The laptop does not power on.",
		"remedy_sought": map[string]any{"kind": "replacement", "text": "A new laptop."},
	}
}

// created is the answer to POST /complaints.
type created struct {
	ID            string `json:"id"`
	Version       int    `json:"version"`
	Description   string `json:"description"`
	CustomerToken string `json:"customer_token"`
}

// create registers intake() as customer service.
func (e *env) create() created {
	e.t.Helper()
	status, body := e.do(tokAgent, "POST", "/complaints", intake())
	require.Equal(e.t, http.StatusCreated, status, "%s", body)
	var c created
	require.NoError(e.t, json.Unmarshal(body, &c))
	return c
}
