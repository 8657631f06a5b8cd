package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/klageflow/klage/complaint"
	"github.com/klageflow/klage/complaint/complainttest"
	"github.com/klageflow/klage/store"
)

// FuzzEventBody posts arbitrary bodies to POST /complaints/{id}/events:
// the API answers with one of its documented statuses (never a 500), with
// a JSON error body when it refuses, and a refused request changes nothing.
func FuzzEventBody(f *testing.F) {
	for _, seed := range []string{
		`{"event": "start"}`,
		`{"event": "answer", "answer": {"outcome": "rejected", "text": "No."}}`,
		`{"event": "review", "decision": {"outcome": "upheld", "explanation": "x", "findings": [{"area": "a", "description": "d"}]}}`,
		`{"event": "refer", "referral": {"contact": "x"}, "expected_version": 1}`,
		`{"event": "update", "note": "'; DROP TABLE klage_complaints; --"}`,
		`{"event": "start", "actor": {"id": "anna", "role": "boss"}}`,
		`{"event": "update", "note": "a", "NOTE": "b"}`,
		`{"event": 7}`, `[]`, `null`, `{`, `{"event": "start"} {"event": "start"}`,
		`{"event": "start", "extra": [[[[[[[[]]]]]]]]}`,
	} {
		f.Add([]byte(seed))
	}
	clock := complainttest.NewClock(time.Time{})
	w, err := complaint.New(complaint.Options{Now: clock.Now})
	if err != nil {
		f.Fatal(err)
	}
	s := store.NewMemory(w)
	h := newHandler(f, w, s, testOptions(f, clock.Now, slog.New(slog.NewTextHandler(io.Discard, nil))))
	c, err := store.Receive(context.Background(), s, w, complainttest.Intake())
	if err != nil {
		f.Fatal(err)
	}
	id := c.ID()
	f.Fuzz(func(t *testing.T, body []byte) {
		before, err := s.Get(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		rec := httptest.NewRecorder()
		req := httptest.NewRequest("POST", "/complaints/"+id+"/events", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+tokAgent)
		h.ServeHTTP(rec, req)
		switch rec.Code {
		case http.StatusOK:
			return // a legal event on the shared complaint: it moves on
		case http.StatusBadRequest, http.StatusForbidden, http.StatusNotFound, http.StatusConflict, http.StatusRequestEntityTooLarge:
		default:
			t.Fatalf("status %d for %q: %s", rec.Code, body, rec.Body)
		}
		var e struct {
			Error struct{ Code, Message string } `json:"error"`
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &e); err != nil || e.Error.Code == "" || e.Error.Message == "" {
			t.Fatalf("refusal without a JSON error: %s", rec.Body)
		}
		after, err := s.Get(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		if after.Version() != before.Version() {
			t.Fatalf("a refused request (%d %s) changed the complaint", rec.Code, e.Error.Code)
		}
	})
}
