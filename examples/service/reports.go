package main

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

// reporter returns the store's reports for a staff principal, or answers:
// 401 without a credential, 403 for anyone but staff, 501 for a store
// that computes none.
func (srv *Server) reporter(w http.ResponseWriter, r *http.Request) (store.Reporter, bool) {
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
func (srv *Server) reportQuery(r *http.Request) (store.ReportQuery, error) {
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

// report answers GET /reports: what the complaints opened in the range say.
func (srv *Server) report(w http.ResponseWriter, r *http.Request) {
	rep, ok := srv.reporter(w, r)
	if !ok {
		return
	}
	q, err := srv.reportQuery(r)
	if err != nil {
		srv.fail(w, r, err)
		return
	}
	out, err := rep.Report(r.Context(), q)
	if err != nil {
		srv.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, out)
}

// ratingBody is what a customer sends to rate their closed case.
type ratingBody struct {
	Score   int    `json:"score"`
	Comment string `json:"comment"`
}

// rate answers POST /complaints/{id}/rating: the customer rates their
// closed case, once.
func (srv *Server) rate(w http.ResponseWriter, r *http.Request) {
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
	if err := decode(w, r, &body); err != nil {
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
	case errors.Is(err, store.ErrInvalidReport):
		return apiFailure{status: http.StatusBadRequest, code: "invalid_input", message: err.Error()}, true
	}
	return apiFailure{}, false
}
