package klagehttp_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/klageflow/klage/complaint"
	"github.com/klageflow/klage/glossary"
	"github.com/klageflow/klage/klagehttp"
	"github.com/klageflow/klage/store"
	"github.com/klageflow/klage/store/sqlite"
)

// noRedirect is a client that shows a redirect instead of following it.
var noRedirect = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

// page gets the customer's page (or any path) without a credential.
func (e *env) page(path string) (int, string) {
	e.t.Helper()
	resp, err := http.Get(e.url + path)
	require.NoError(e.t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(e.t, err)
	return resp.StatusCode, string(body)
}

// post submits the page's form with note, as a browser does.
func (e *env) post(path, note string) *http.Response {
	e.t.Helper()
	resp, err := noRedirect.PostForm(e.url+path, url.Values{"note": {note}})
	require.NoError(e.t, err)
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp
}

// createIn registers intake() for a customer who speaks lang.
func (e *env) createIn(lang string) created {
	e.t.Helper()
	in := intake()
	in["customer"].(map[string]any)["language"] = lang
	status, body := e.do(tokAgent, "POST", "/complaints", in)
	require.Equal(e.t, http.StatusCreated, status, "%s", body)
	var c created
	require.NoError(e.t, json.Unmarshal(body, &c))
	return c
}

func (e *env) fire(tok, id string, body map[string]any) {
	e.t.Helper()
	status, resp := e.do(tok, "POST", "/complaints/"+id+"/events", body)
	require.Equal(e.t, http.StatusOK, status, "%v: %s", body["event"], resp)
}

func (e *env) state(id string) (string, int) {
	e.t.Helper()
	status, body := e.do(tokAgent, "GET", "/complaints/"+id, nil)
	require.Equal(e.t, http.StatusOK, status)
	var c struct {
		State   string `json:"state"`
		Version int    `json:"version"`
	}
	require.NoError(e.t, json.Unmarshal(body, &c))
	return c.State, c.Version
}

// TestCustomerPageLanguages: the page is in the customer's language:
// Danish and English ship, an added language is used, and what it leaves
// out is English.
func TestCustomerPageLanguages(t *testing.T) {
	german := klagehttp.PageText{Title: "Ihre Beschwerde",
		States: map[complaint.State]string{complaint.StateReceived: "Wir haben Ihre Beschwerde erhalten."}}
	// The workflow speaks German too: a customer may choose it.
	w, err := complaint.New(complaint.Options{Translations: []complaint.Translation{{Language: "de",
		EscalationInstructions: "Wenn Sie mit unserer Antwort nicht zufrieden sind, wenden Sie sich an unsere Beschwerdeabteilung."}}})
	require.NoError(t, err)
	e := newEnv(t, func(o *klagehttp.Options) {
		o.Workflow, o.Store = w, store.NewMemory(w)
		o.PageTexts = map[glossary.Language]klagehttp.PageText{"de": german}
	})
	for _, tc := range []struct{ lang, htmlLang, title, state, next string }{
		{"da", `lang="da"`, "Din klage", "Vi har modtaget din klage", "Vi svarer dig senest"},
		{"en", `lang="en"`, "Your complaint", "We have received your complaint", "We answer you by"},
		{"de", `lang="de"`, "Ihre Beschwerde", "Wir haben Ihre Beschwerde erhalten.", "We answer you by"},
	} {
		t.Run(tc.lang, func(t *testing.T) {
			c := e.createIn(tc.lang)
			status, body := e.page("/case/" + c.CustomerToken)
			require.Equal(t, http.StatusOK, status)
			assert.Contains(t, body, tc.htmlLang)
			assert.Contains(t, body, "<h1>"+tc.title+" "+c.ID+"</h1>")
			assert.Contains(t, body, tc.state)
			assert.Contains(t, body, tc.next, "what happens next, and by when")
			assert.Contains(t, body, "UltraBook 14")
			assert.NotContains(t, body, "<script", "the page needs no JavaScript")
			assert.NotContains(t, body, "<form", "nothing to answer or escalate yet")
		})
	}
}

// TestCustomerPageForms: the customer answers a request for information
// and escalates a final answer from their page; what is not possible
// now, or comes without the case's token, is refused and writes nothing.
func TestCustomerPageForms(t *testing.T) {
	e := newEnv(t)
	c := e.createIn("da")
	base := "/case/" + c.CustomerToken
	e.fire(tokAgent, c.ID, map[string]any{"event": "start"})
	e.fire(tokAgent, c.ID, map[string]any{"event": "internal_note", "note": "Kunden lyder sur."})

	// Nothing to answer yet: refused, nothing written.
	_, before := e.state(c.ID)
	resp := e.post(base+"/answer", "Her er et foto.")
	assert.Equal(t, http.StatusConflict, resp.StatusCode)
	_, after := e.state(c.ID)
	assert.Equal(t, before, after, "a refused answer writes nothing")

	e.fire(tokAgent, c.ID, map[string]any{"event": "request_info", "note": "Send et foto af mærkaten."})
	status, body := e.page(base)
	require.Equal(t, http.StatusOK, status)
	assert.Contains(t, body, "Vi mangler oplysninger fra dig")
	assert.Contains(t, body, "Send et foto af mærkaten.", "the question is on the page")
	assert.Contains(t, body, `<label for="answer-note">`)
	assert.NotContains(t, body, "Kunden lyder sur", "a staff note is not the customer's to see")

	// Another case's token, a forged token and a staff credential open nothing.
	other := e.createIn("da")
	for _, tok := range []string{other.CustomerToken[:len(other.CustomerToken)-2] + "xx", "tok-anna", "", "%00"} {
		resp := e.post("/case/"+tok+"/answer", "Her er et foto.")
		assert.Contains(t, []int{http.StatusNotFound, http.StatusMethodNotAllowed, http.StatusBadRequest}, resp.StatusCode, tok)
	}
	_, v := e.state(c.ID)
	assert.Equal(t, after+1, v, "only request_info was written")

	// A browser's answer, with its CRLF line breaks.
	resp = e.post(base+"/answer", "Her er et foto.\r\nMærkaten sidder under batteriet.")
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	loc, err := resp.Location()
	require.NoError(t, err)
	assert.Equal(t, e.url+base+"?done=answered", loc.String(), "back to the page")
	st, _ := e.state(c.ID)
	assert.Equal(t, "in_progress", st)
	status, hist := e.do(tokAgent, "GET", "/complaints/"+c.ID+"/history", nil)
	require.Equal(t, http.StatusOK, status)
	assert.Contains(t, string(hist), `Her er et foto.\nMærkaten sidder under batteriet.`)
	_, body = e.page(base + "?done=answered")
	assert.Contains(t, body, "Tak: vi har fået dit svar.")

	// The same form sent twice: the second finds nothing to answer.
	resp = e.post(base+"/answer", "Her er et foto.")
	assert.Equal(t, http.StatusConflict, resp.StatusCode)

	// A final answer that does not uphold: the button to escalate, the
	// last day to use it, and the public complaint bodies.
	e.fire(tokAgent, c.ID, map[string]any{"event": "answer", "answer": map[string]any{"outcome": "rejected", "text": "Skaden er ikke dækket."}})
	_, body = e.page(base)
	assert.Contains(t, body, "Send min sag til Klageafdelingen")
	assert.Contains(t, body, "Du kan bede om det indtil ")
	assert.Contains(t, body, "Skaden er ikke dækket.")
	assert.Contains(t, body, "Nævnenes Hus")
	assert.Contains(t, body, "https://naevneneshus.dk")

	// A control character in the note: refused, nothing written.
	_, before = e.state(c.ID)
	resp = e.post(base+"/escalate", "Nej\x00tak")
	assert.Equal(t, http.StatusBadRequest, resp.StatusCode)
	_, after = e.state(c.ID)
	assert.Equal(t, before, after)

	resp = e.post(base+"/escalate", "Jeg er ikke enig.")
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	st, _ = e.state(c.ID)
	assert.Equal(t, "escalated", st)
	_, body = e.page(base + "?done=escalated")
	assert.Contains(t, body, "Din sag er nu hos Klageafdelingen.")
	assert.NotContains(t, body, "<form", "nothing more to do for the customer")

	// The department grants a repair, which is carried out.
	e.fire(tokReviewer, c.ID, map[string]any{"event": "review", "decision": map[string]any{
		"outcome": "partly_upheld", "explanation": "Reparationen er gratis.", "remedy": map[string]any{"kind": "repair"}}})
	e.fire(tokAgent, c.ID, map[string]any{"event": "fulfil", "fulfilment": map[string]any{"remedy": "repair", "reference": "W-1"}})
	_, body = e.page(base)
	assert.Contains(t, body, "Klageafdelingens afgørelse")
	assert.Contains(t, body, "Reparationen er gratis.")
	assert.Contains(t, body, "Det får du")
	assert.Contains(t, body, "W-1")
}

// TestCustomerPageAfterErasure: once the customer's data is erased, their
// link opens nothing.
func TestCustomerPageAfterErasure(t *testing.T) {
	w, err := complaint.New(complaint.Options{})
	require.NoError(t, err)
	s, err := sqlite.Open(context.Background(), w, filepath.Join(t.TempDir(), "klage.db"))
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close() })
	e := newEnv(t, func(o *klagehttp.Options) { o.Workflow, o.Store = w, s })
	c := e.createIn("en")
	status, _ := e.page("/case/" + c.CustomerToken)
	require.Equal(t, http.StatusOK, status)
	status, body := e.do(tokPrivacy, "POST", "/customers/cust-7/erase", nil)
	require.Equal(t, http.StatusOK, status, "%s", body)
	status, page := e.page("/case/" + c.CustomerToken)
	assert.Equal(t, http.StatusNotFound, status)
	assert.NotContains(t, page, "UltraBook")
	resp := e.post("/case/"+c.CustomerToken+"/escalate", "")
	assert.Equal(t, http.StatusNotFound, resp.StatusCode)
	assert.False(t, strings.Contains(page, c.ID))
}
