package klagehttp_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/klageflow/klage/complaint"
	"github.com/klageflow/klage/glossary"
	"github.com/klageflow/klage/klagehttp"
	"github.com/klageflow/klage/store"
	"github.com/klageflow/klage/store/storetest"
)

// TestExtendedLifecycleOverHTTP: the handler parses events and states by
// its workflow's lifecycle, not the reference one: an extension's event
// fires, its state filters the list, and the diagram is the extension's.
func TestExtendedLifecycleOverHTTP(t *testing.T) {
	lc := storetest.Extended()
	const tokWarehouse = "tok-warehouse"
	tokens := []klagehttp.Token{token(tokAgent, "anna", "customer_service"), token(tokWarehouse, "lager-1", string(storetest.Warehouse))}
	e := newEnv(t, func(o *klagehttp.Options) {
		w, err := complaint.New(complaint.Options{Lifecycle: &lc})
		require.NoError(t, err)
		o.Workflow, o.Store = w, store.NewMemory(w)
		o.Authenticator, err = klagehttp.StaticTokens(tokens)
		require.NoError(t, err, "a token may carry the extension's own role")
	})
	c := e.create()
	e.fire(tokAgent, c.ID, map[string]any{"event": "start", "expected_version": 1})
	e.fire(tokWarehouse, c.ID, map[string]any{"event": string(storetest.EventScrap), "note": "Beyond repair.", "expected_version": 2})

	status, body := e.do(tokAgent, "GET", "/complaints?state="+string(storetest.StateScrapped), nil)
	require.Equal(t, http.StatusOK, status, "%s", body)
	var list struct {
		Complaints []struct {
			ID    string `json:"id"`
			State string `json:"state"`
		} `json:"complaints"`
	}
	require.NoError(t, json.Unmarshal(body, &list), "%s", body)
	require.Len(t, list.Complaints, 1, "%s", body)
	assert.Equal(t, string(storetest.StateScrapped), list.Complaints[0].State)

	status, body = e.do(tokAgent, "GET", "/diagram", nil)
	require.Equal(t, http.StatusOK, status)
	assert.Contains(t, string(body), "in_progress --> scrapped: scrap")

	// The contract it serves names the extension's states, events and
	// roles, so that a client generated from it accepts them.
	status, body = e.do("", "GET", "/openapi.json", nil)
	require.Equal(t, http.StatusOK, status)
	var doc struct {
		Components struct {
			Schemas map[string]struct {
				Enum []string `json:"enum"`
			} `json:"schemas"`
		} `json:"components"`
	}
	require.NoError(t, json.Unmarshal(body, &doc))
	assert.Contains(t, doc.Components.Schemas["State"].Enum, string(storetest.StateScrapped))
	assert.Contains(t, doc.Components.Schemas["State"].Enum, "closed")
	assert.Contains(t, doc.Components.Schemas["Event"].Enum, string(storetest.EventScrap))
	assert.Contains(t, doc.Components.Schemas["Event"].Enum, "open")
	assert.Contains(t, doc.Components.Schemas["Role"].Enum, string(storetest.Warehouse))
	assert.Equal(t, len(bytes.Split(klagehttp.OpenAPI(), []byte("\n")))+3, len(bytes.Split(body, []byte("\n"))),
		"the same document, laid out the same, with a line for each of the three extra names")

	// The reference handler serves the document as it is.
	ref := newEnv(t)
	status, body = ref.do("", "GET", "/openapi.json", nil)
	require.Equal(t, http.StatusOK, status)
	assert.Equal(t, string(klagehttp.OpenAPI()), string(body))
}

// TestUnknownRoleRefused: a role the workflow's lifecycle does not know
// is refused: in a static token when the handler is built, and in any
// other credential as unauthenticated, writing nothing.
func TestUnknownRoleRefused(t *testing.T) {
	w, err := complaint.New(complaint.Options{})
	require.NoError(t, err)
	static, err := klagehttp.StaticTokens([]klagehttp.Token{token("tok-warehouse", "lager-1", "warehouse")})
	require.NoError(t, err, "a well-formed role loads: the workflow decides")
	_, err = klagehttp.New(klagehttp.Options{Workflow: w, Store: store.NewMemory(w), CustomerTokenSecret: bytes.Repeat([]byte("k"), 32),
		Authenticator: klagehttp.Authenticators(nil, static)})
	var ce *klagehttp.ConfigError
	require.ErrorAs(t, err, &ce)
	assert.Equal(t, "Authenticator", ce.Field)

	e := newEnv(t, func(o *klagehttp.Options) {
		o.Authenticator = klagehttp.AuthenticatorFunc(func(*http.Request) (klagehttp.Principal, error) {
			return klagehttp.Principal{Actor: glossary.Actor{ID: "lager-1", Role: "warehouse"}}, nil
		})
	})
	status, body := e.do("any", "POST", "/complaints", intake())
	assert.Equal(t, http.StatusUnauthorized, status, "%s", body)
	page, err := e.s.List(context.Background(), store.Filter{})
	require.NoError(t, err)
	assert.Empty(t, page.Complaints)
}
