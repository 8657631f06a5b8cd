package klagehttp

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/klageflow/klage/complaint"
	"github.com/klageflow/klage/glossary"
	"github.com/klageflow/klage/store"
)

// reporter returns the store's reports for a staff Principal, or answers:
// 401 without a credential, 403 for anyone but staff, 501 for a store
// that computes none.
func (srv *Handler) reporter(w http.ResponseWriter, r *http.Request) (store.Reporter, bool) {
	p := needPrincipal(w, r)
	if p == nil {
		return nil, false
	}
	if !p.staff() {
		srv.fail(w, r, fmt.Errorf("%w: reports are for staff", errStaffOnly))
		return nil, false
	}
	rep, ok := srv.s.(store.Reporter)
	if !ok {
		apiFailure{status: http.StatusNotImplemented, code: "not_implemented", message: "this store computes no reports"}.write(w, r)
		return nil, false
	}
	return rep, true
}

// reportQuery reads a report's range and filters from the query string:
// from and to (RFC 3339; to defaults to now, from to 30 days before to),
// kind, channel, manufacturer, customer_type and top.
func (srv *Handler) reportQuery(r *http.Request) (store.ReportQuery, error) {
	v := r.URL.Query()
	q := store.ReportQuery{Now: srv.now(), Manufacturer: v.Get("manufacturer")}
	q.To = q.Now
	var err error
	if s := v.Get("to"); s != "" {
		if q.To, err = time.Parse(time.RFC3339, s); err != nil {
			return q, &complaint.InputError{Field: "to", Problem: "not an RFC 3339 time"}
		}
	}
	q.From = q.To.Add(-30 * 24 * time.Hour)
	if s := v.Get("from"); s != "" {
		if q.From, err = time.Parse(time.RFC3339, s); err != nil {
			return q, &complaint.InputError{Field: "from", Problem: "not an RFC 3339 time"}
		}
	}
	if !q.To.After(q.From) {
		return q, &complaint.InputError{Field: "from", Problem: "must be before to"}
	}
	if s := v.Get("kind"); s != "" {
		if q.Kind, err = glossary.ParseTerm(s); err != nil {
			return q, err
		}
	}
	if s := v.Get("channel"); s != "" {
		if q.Channel, err = glossary.ParseChannel(s); err != nil {
			return q, err
		}
	}
	if s := v.Get("customer_type"); s != "" {
		if q.CustomerType, err = complaint.ParseCustomerType(s); err != nil {
			return q, err
		}
	}
	if s := v.Get("top"); s != "" {
		if q.TopProducts, err = strconv.Atoi(s); err != nil || q.TopProducts < 1 || q.TopProducts > 100 {
			return q, &complaint.InputError{Field: "top", Problem: "must be 1 to 100"}
		}
	}
	if len(q.Manufacturer) > complaint.MaxIDLen {
		return q, &complaint.InputError{Field: "manufacturer", Problem: "too long"}
	}
	return q, nil
}

// runReport computes the report the request asks for, or answers the
// error.
func (srv *Handler) runReport(w http.ResponseWriter, r *http.Request) (store.ReportQuery, store.Report, bool) {
	rep, ok := srv.reporter(w, r)
	if !ok {
		return store.ReportQuery{}, store.Report{}, false
	}
	q, err := srv.reportQuery(r)
	if err != nil {
		srv.fail(w, r, err)
		return q, store.Report{}, false
	}
	out, err := rep.Report(r.Context(), q)
	if err != nil {
		srv.fail(w, r, err)
		return q, store.Report{}, false
	}
	return q, out, true
}

// report answers GET /reports: what the complaints opened in the range say.
func (srv *Handler) report(w http.ResponseWriter, r *http.Request) {
	if _, out, ok := srv.runReport(w, r); ok {
		writeJSON(w, http.StatusOK, out)
	}
}

// ratingBody is what a customer sends to rate their closed case.
type ratingBody struct {
	Score   int    `json:"score"`
	Comment string `json:"comment"`
}

// rate answers POST /complaints/{id}/rating: the customer rates their
// closed case, once.
func (srv *Handler) rate(w http.ResponseWriter, r *http.Request) {
	c, p, ok := srv.load(w, r)
	if !ok {
		return
	}
	rater, ok := srv.s.(store.Rater)
	if !ok {
		apiFailure{status: http.StatusNotImplemented, code: "not_implemented", message: "this store keeps no ratings"}.write(w, r)
		return
	}
	var body ratingBody
	if _, err := decode(w, r, &body); err != nil {
		srv.fail(w, r, err)
		return
	}
	rating := complaint.Rating{Score: body.Score, Comment: body.Comment, At: srv.now()}
	if err := rater.Rate(r.Context(), c.ID(), p.Actor, rating); err != nil {
		srv.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, rating)
}

// reportFailure maps the report and rating errors.
func reportFailure(err error) (apiFailure, bool) {
	switch {
	case errors.Is(err, complaint.ErrNotRatable):
		return apiFailure{status: http.StatusConflict, code: "not_ratable", message: err.Error()}, true
	case errors.Is(err, store.ErrRated):
		return apiFailure{status: http.StatusConflict, code: "already_rated", message: err.Error()}, true
	case errors.Is(err, store.ErrActionNotFound):
		return apiFailure{status: http.StatusNotFound, code: "not_found", message: "no such action"}, true
	case errors.Is(err, store.ErrInvalidReport):
		return apiFailure{status: http.StatusBadRequest, code: "invalid_input", message: err.Error()}, true
	}
	return apiFailure{}, false
}

// actioner returns the store's improvement actions for a staff Principal,
// or answers 401, 403 or 501.
func (srv *Handler) actioner(w http.ResponseWriter, r *http.Request) (store.Actioner, *Principal, bool) {
	p := needPrincipal(w, r)
	if p == nil {
		return nil, nil, false
	}
	if !p.staff() {
		srv.fail(w, r, fmt.Errorf("%w: improvement actions are for staff", errStaffOnly))
		return nil, nil, false
	}
	as, ok := srv.s.(store.Actioner)
	if !ok {
		apiFailure{status: http.StatusNotImplemented, code: "not_implemented", message: "this store keeps no improvement actions"}.write(w, r)
		return nil, nil, false
	}
	return as, p, true
}

// listActions answers GET /actions: status, owner, area and overdue=true
// filter.
func (srv *Handler) listActions(w http.ResponseWriter, r *http.Request) {
	as, _, ok := srv.actioner(w, r)
	if !ok {
		return
	}
	v := r.URL.Query()
	f := store.ActionFilter{Status: store.ActionStatus(v.Get("status")), OwnerID: v.Get("owner"), Area: v.Get("area")}
	switch f.Status {
	case "", store.ActionOpen, store.ActionDone, store.ActionDropped:
	default:
		srv.fail(w, r, &complaint.InputError{Field: "status", Problem: "open, done or dropped"})
		return
	}
	switch v.Get("overdue") {
	case "":
	case "true":
		f.OverdueAt = srv.now()
	default:
		srv.fail(w, r, &complaint.InputError{Field: "overdue", Problem: "true, or leave it out"})
		return
	}
	list, err := as.Actions(r.Context(), f)
	if err != nil {
		srv.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"actions": list})
}

// actionBody is a new improvement action: its owner is given by id and
// role, as staff assign work; the actor who creates it is the credential's.
type actionBody struct {
	ComplaintID string         `json:"complaint_id"`
	Area        string         `json:"area"`
	Description string         `json:"description"`
	Owner       glossary.Actor `json:"owner"`
	Due         time.Time      `json:"due"`
}

// createAction answers POST /actions: the Complaints Department (or the
// system) decides on an improvement.
func (srv *Handler) createAction(w http.ResponseWriter, r *http.Request) {
	as, p, ok := srv.actioner(w, r)
	if !ok {
		return
	}
	if p.Actor.Role != glossary.ComplaintsDepartment && p.Actor.Role != glossary.System {
		srv.fail(w, r, fmt.Errorf("%w: the Complaints Department decides on improvements", errStaffOnly))
		return
	}
	var body actionBody
	if _, err := decode(w, r, &body); err != nil {
		srv.fail(w, r, err)
		return
	}
	if body.ComplaintID != "" {
		if _, err := srv.s.Get(r.Context(), body.ComplaintID); err != nil {
			srv.fail(w, r, err)
			return
		}
	}
	a, err := as.CreateAction(r.Context(), store.Action{ComplaintID: body.ComplaintID, Area: body.Area, Description: body.Description,
		Owner: body.Owner, Due: body.Due})
	if err != nil {
		srv.fail(w, r, err)
		return
	}
	w.Header().Set("Location", mounted(r, "/actions/"+a.ID))
	writeJSON(w, http.StatusCreated, a)
}

// actionUpdate ends an improvement action.
type actionUpdate struct {
	Status store.ActionStatus `json:"status"`
	Note   string             `json:"note"`
}

// updateAction answers POST /actions/{id}: its owner or the Complaints
// Department marks it done (with a note) or dropped.
func (srv *Handler) updateAction(w http.ResponseWriter, r *http.Request) {
	as, p, ok := srv.actioner(w, r)
	if !ok {
		return
	}
	var body actionUpdate
	if _, err := decode(w, r, &body); err != nil {
		srv.fail(w, r, err)
		return
	}
	id := r.PathValue("id")
	if p.Actor.Role != glossary.ComplaintsDepartment && p.Actor.Role != glossary.System {
		a, err := as.Action(r.Context(), id)
		if err != nil {
			srv.fail(w, r, err)
			return
		}
		if !glossary.SameID(a.Owner.ID, p.Actor.ID) {
			srv.fail(w, r, fmt.Errorf("%w: only the action's owner or the Complaints Department ends it", errStaffOnly))
			return
		}
	}
	a, err := as.UpdateAction(r.Context(), id, body.Status, body.Note)
	if err != nil {
		srv.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, a)
}
