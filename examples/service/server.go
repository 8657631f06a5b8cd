package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/klageflow/klage/complaint"
	"github.com/klageflow/klage/escalation"
	"github.com/klageflow/klage/glossary"
	"github.com/klageflow/klage/store"
)

// maxBody is the largest request body the API reads.
const maxBody = 1 << 20

// Storage is what the API keeps complaints in: a store and its outbox, as
// store.SQL and store.Memory both are.
type Storage interface {
	store.Store
	store.Outbox
}

// Server is the HTTP JSON API over a workflow and a store.
type Server struct {
	w   *complaint.Workflow
	s   Storage
	now func() time.Time
	log *slog.Logger
	mux *http.ServeMux
}

// NewServer returns the API. now is the clock for overdue queries (the
// workflow has its own for transitions).
func NewServer(w *complaint.Workflow, s Storage, now func() time.Time, log *slog.Logger) *Server {
	srv := &Server{w: w, s: s, now: now, log: log, mux: http.NewServeMux()}
	srv.mux.HandleFunc("POST /complaints", srv.create)
	srv.mux.HandleFunc("GET /complaints", srv.list)
	srv.mux.HandleFunc("GET /complaints/{id}", srv.get)
	srv.mux.HandleFunc("POST /complaints/{id}/events", srv.fire)
	srv.mux.HandleFunc("GET /complaints/{id}/history", srv.history)
	srv.mux.HandleFunc("GET /complaints/{id}/notifications", srv.notifications)
	srv.mux.HandleFunc("GET /diagram", srv.diagram)
	srv.mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	srv.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, "not_found", "no such route: "+r.Method+" "+r.URL.Path)
	})
	return srv
}

// ServeHTTP implements http.Handler.
func (srv *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { srv.mux.ServeHTTP(w, r) }

type apiError struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}

func writeError(w http.ResponseWriter, status int, code, message string) {
	writeJSON(w, status, map[string]apiError{"error": {Code: code, Message: message}})
}

// fail maps an error to the API's status codes.
func (srv *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	var tooLarge *http.MaxBytesError
	switch {
	case errors.As(err, &tooLarge):
		writeError(w, http.StatusRequestEntityTooLarge, "too_large", fmt.Sprintf("the body is larger than %d bytes", tooLarge.Limit))
	case errors.Is(err, errBadRequest), errors.Is(err, complaint.ErrInvalidInput), errors.Is(err, glossary.ErrUnknown),
		errors.Is(err, escalation.ErrInvalidDecision):
		writeError(w, http.StatusBadRequest, "invalid_input", err.Error())
	case errors.Is(err, complaint.ErrForbidden), errors.Is(err, complaint.ErrNotImpartial):
		writeError(w, http.StatusForbidden, "forbidden", err.Error())
	case errors.Is(err, store.ErrNotFound):
		writeError(w, http.StatusNotFound, "not_found", err.Error())
	case errors.Is(err, complaint.ErrInvalidTransition):
		writeError(w, http.StatusConflict, "invalid_transition", err.Error())
	case errors.Is(err, store.ErrConflict), errors.Is(err, store.ErrExists):
		writeError(w, http.StatusConflict, "conflict", err.Error())
	case errors.Is(err, complaint.ErrVetoed):
		writeError(w, http.StatusConflict, "vetoed", err.Error())
	default:
		srv.log.ErrorContext(r.Context(), "request failed", "method", r.Method, "path", r.URL.Path, "error", err)
		writeError(w, http.StatusInternalServerError, "internal", "internal error")
	}
}

var errBadRequest = errors.New("bad request")

// decode reads a JSON body of at most maxBody bytes into v, refusing
// unknown fields and trailing data.
func decode(w http.ResponseWriter, r *http.Request, v any) error {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return err
		}
		return fmt.Errorf("%w: malformed JSON body: %v", errBadRequest, err)
	}
	if dec.More() {
		return fmt.Errorf("%w: trailing data after the JSON body", errBadRequest)
	}
	return nil
}

// intakeRequest is the body of POST /complaints.
type intakeRequest struct {
	Customer     *complaint.Customer `json:"customer"`
	Channel      glossary.Channel    `json:"channel"`
	Kind         glossary.Term       `json:"kind"`
	Product      *complaint.Product  `json:"product"`
	Description  string              `json:"description"`
	RemedySought string              `json:"remedy_sought"`
	OpenedBy     *glossary.Actor     `json:"opened_by"` // optional: customer service registering a phone call
	Note         string              `json:"note"`
}

func (srv *Server) create(w http.ResponseWriter, r *http.Request) {
	var req intakeRequest
	if err := decode(w, r, &req); err != nil {
		srv.fail(w, r, err)
		return
	}
	switch {
	case req.Customer == nil:
		srv.fail(w, r, fmt.Errorf("%w: customer is required", errBadRequest))
		return
	case req.Product == nil:
		srv.fail(w, r, fmt.Errorf("%w: product is required", errBadRequest))
		return
	}
	in := complaint.Intake{
		Customer: *req.Customer, Channel: req.Channel, Kind: req.Kind, Product: *req.Product,
		Description: req.Description, RemedySought: req.RemedySought, Note: req.Note,
	}
	if req.OpenedBy != nil {
		in.OpenedBy = *req.OpenedBy
	}
	c, err := store.Receive(r.Context(), srv.s, srv.w, in)
	if err != nil {
		srv.fail(w, r, err)
		return
	}
	w.Header().Set("Location", "/complaints/"+c.ID())
	writeJSON(w, http.StatusCreated, c)
}

func (srv *Server) get(w http.ResponseWriter, r *http.Request) {
	c, err := srv.s.Get(r.Context(), r.PathValue("id"))
	if err != nil {
		srv.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, c)
}

func (srv *Server) list(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	var f store.Filter
	if v := q.Get("state"); v != "" {
		s, err := complaint.ParseState(v)
		if err != nil {
			srv.fail(w, r, err)
			return
		}
		f.State = s
	}
	switch v := q.Get("overdue"); v {
	case "", "false":
	case "true":
		f.OverdueAt = srv.now()
	default:
		srv.fail(w, r, fmt.Errorf("%w: overdue must be true or false, not %q", errBadRequest, v))
		return
	}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > store.MaxLimit {
			srv.fail(w, r, fmt.Errorf("%w: limit must be a number from 1 to %d", errBadRequest, store.MaxLimit))
			return
		}
		f.Limit = n
	}
	cs, err := srv.s.List(r.Context(), f)
	if err != nil {
		srv.fail(w, r, err)
		return
	}
	if cs == nil {
		cs = []*complaint.Complaint{}
	}
	writeJSON(w, http.StatusOK, cs)
}

// eventRequest is the body of POST /complaints/{id}/events.
type eventRequest struct {
	Event           string               `json:"event"`
	Actor           glossary.Actor       `json:"actor"`
	Note            string               `json:"note"`
	ExpectedVersion int                  `json:"expected_version"`
	Answer          *complaint.Answer    `json:"answer"`
	Decision        *escalation.Decision `json:"decision"`
	Referral        *complaint.Referral  `json:"referral"`
}

func (srv *Server) fire(w http.ResponseWriter, r *http.Request) {
	var req eventRequest
	if err := decode(w, r, &req); err != nil {
		srv.fail(w, r, err)
		return
	}
	e, err := complaint.ParseEvent(req.Event)
	if err != nil {
		srv.fail(w, r, err)
		return
	}
	if req.ExpectedVersion < 0 {
		srv.fail(w, r, fmt.Errorf("%w: expected_version must not be negative", errBadRequest))
		return
	}
	in := complaint.Input{Event: e, Actor: req.Actor, Note: req.Note, Answer: req.Answer, Decision: req.Decision, Referral: req.Referral}
	c, _, err := store.Fire(r.Context(), srv.s, srv.w, r.PathValue("id"), in, store.FireOptions{ExpectedVersion: req.ExpectedVersion})
	if err != nil {
		srv.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, c)
}

func (srv *Server) history(w http.ResponseWriter, r *http.Request) {
	h, err := srv.s.History(r.Context(), r.PathValue("id"))
	if err != nil {
		srv.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, h)
}

// notification is one item of GET /complaints/{id}/notifications.
type notification struct {
	Key         string          `json:"key"`
	Topic       complaint.Topic `json:"topic"`
	Recipient   glossary.Role   `json:"recipient"`
	Seq         int             `json:"seq"`
	At          time.Time       `json:"at"`
	Data        complaint.Data  `json:"data"`
	Attempts    int             `json:"attempts"`
	DeliveredAt *time.Time      `json:"delivered_at"`
	LastError   string          `json:"last_error,omitempty"`
}

func (srv *Server) notifications(w http.ResponseWriter, r *http.Request) {
	ms, err := srv.s.Notifications(r.Context(), r.PathValue("id"))
	if err != nil {
		srv.fail(w, r, err)
		return
	}
	out := make([]notification, len(ms))
	for i, m := range ms {
		out[i] = notification{Key: m.Key(), Topic: m.Topic, Recipient: m.Recipient, Seq: m.Seq, At: m.At,
			Data: m.Data, Attempts: m.Attempts, LastError: m.LastError}
		if m.Delivered() {
			at := m.DeliveredAt
			out[i].DeliveredAt = &at
		}
	}
	writeJSON(w, http.StatusOK, out)
}

func (srv *Server) diagram(w http.ResponseWriter, r *http.Request) {
	d, err := complaint.Diagram(complaint.Mermaid)
	if err != nil {
		srv.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = w.Write([]byte(d))
}
