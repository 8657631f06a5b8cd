package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"io"
	"net/http"
	"os"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v4"

	"github.com/klageflow/klage/complaint"
	"github.com/klageflow/klage/complaint/complainttest"
	"github.com/klageflow/klage/klagehttp"
)

var update = flag.Bool("update", false, "rewrite generated files: docs/dashboard.png, klagehttp/openapi.json from klagehttp/openapi.yaml")

// TestOpenAPIJSON: klagehttp/openapi.json is klagehttp/openapi.yaml as
// indented JSON (go test -run TestOpenAPIJSON -update rewrites it), and
// klagehttp.OpenAPI returns it.
func TestOpenAPIJSON(t *testing.T) {
	src, err := os.ReadFile("../klagehttp/openapi.yaml")
	require.NoError(t, err)
	var v any
	require.NoError(t, yaml.Unmarshal(src, &v))
	want, err := json.MarshalIndent(v, "", "  ")
	require.NoError(t, err)
	want = append(want, '\n')
	if *update {
		require.NoError(t, os.WriteFile("../klagehttp/openapi.json", want, 0o644))
	}
	assert.Equal(t, string(want), string(klagehttp.OpenAPI()), "openapi.json is stale: cd e2e && go test -run TestOpenAPIJSON -update")
}

// TestOpenAPIDocument: the document (klagehttp.OpenAPI, generated from
// klagehttp/openapi.yaml) is a valid OpenAPI 3.1 document whose enums are
// the library's wire names, and what GET /openapi.json serves.
func TestOpenAPIDocument(t *testing.T) {
	doc := contract(t).doc
	enum := func(name string) []string {
		var out []string
		for _, v := range doc.Components.Schemas[name].Value.Enum {
			out = append(out, v.(string))
		}
		slices.Sort(out)
		return out
	}
	lc := complaint.Reference()
	var states, events, roles []string
	for _, s := range lc.States {
		states = append(states, string(s.State))
	}
	events = append(events, string(complaint.EventOpen))
	for _, r := range lc.Rules {
		if !slices.Contains(events, string(r.Event)) {
			events = append(events, string(r.Event))
		}
	}
	for _, r := range lc.Roles {
		roles = append(roles, string(r))
	}
	for _, l := range [][]string{states, events, roles} {
		slices.Sort(l)
	}
	assert.Equal(t, states, enum("State"))
	assert.Equal(t, events, enum("Event"))
	assert.Equal(t, roles, enum("Role"))
	// Every route the service serves is in the document.
	for _, route := range []string{"/complaints", "/complaints/{id}", "/complaints/{id}/events", "/complaints/{id}/history",
		"/complaints/{id}/notifications", "/customers/{id}/data", "/customers/{id}/erase", "/diagram", "/healthz", "/readyz", "/openapi.json"} {
		assert.NotNil(t, doc.Paths.Value(route), route)
	}

	s := start(t, backends[0].dsn(t), complainttest.NewClock(time.Time{}))
	var served map[string]any
	status, _ := s.do("", "GET", "/openapi.json", nil, &served)
	require.Equal(t, http.StatusOK, status)
	assert.Equal(t, "3.1.0", served["openapi"])
}

// apiContract is the loaded document and its router.
type apiContract struct {
	doc    *openapi3.T
	router routers.Router
}

var (
	contractOnce sync.Once
	contractVal  *apiContract
	contractErr  error
)

func contract(t testing.TB) *apiContract {
	t.Helper()
	contractOnce.Do(func() {
		loader := openapi3.NewLoader()
		doc, err := loader.LoadFromData(klagehttp.OpenAPI())
		if err != nil {
			contractErr = err
			return
		}
		if err := doc.Validate(loader.Context); err != nil {
			contractErr = err
			return
		}
		doc.Servers = nil // match the test server's address, whatever its port
		r, err := legacy.NewRouter(doc)
		if err != nil {
			contractErr = err
			return
		}
		contractVal = &apiContract{doc: doc, router: r}
	})
	require.NoError(t, contractErr, "openapi.json")
	return contractVal
}

// checkContract validates one exchange of the service's tests against the
// document: every response must be one it documents, with the body it
// documents; a request the service accepted (2xx) must be one it
// documents. A route the document does not have must answer 404 or 405.
func checkContract(t testing.TB, req *http.Request, reqBody []byte, resp *http.Response, respBody []byte) {
	t.Helper()
	c := contract(t)
	route, params, err := c.router.FindRoute(req)
	if err != nil {
		assert.Contains(t, []int{http.StatusNotFound, http.StatusMethodNotAllowed}, resp.StatusCode,
			"%s %s is not in openapi.yaml but answered %d", req.Method, req.URL.Path, resp.StatusCode)
		return
	}
	ctx := context.Background()
	opts := &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc, IncludeResponseStatus: true, MultiError: true}
	in := &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route, Options: opts}
	req.Body = io.NopCloser(bytes.NewReader(reqBody))
	if resp.StatusCode < 300 {
		assert.NoError(t, openapi3filter.ValidateRequest(ctx, in), "request %s %s: %s", req.Method, req.URL.Path, reqBody)
	}
	out := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: resp.StatusCode, Header: resp.Header, Options: opts}
	out.SetBodyBytes(respBody)
	assert.NoError(t, openapi3filter.ValidateResponse(ctx, out), "response %d to %s %s: %s", resp.StatusCode, req.Method, req.URL.Path, respBody)
}
