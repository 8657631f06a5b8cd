package store

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/klageflow/klage/complaint"
	"github.com/klageflow/klage/glossary"
)

// Filter selects complaints for List. The zero Filter lists every
// complaint, by id, DefaultLimit at a time.
type Filter struct {
	// State, when set, keeps complaints in that state.
	State complaint.State
	// OverdueAt, when set, keeps complaints with a clock overdue at that
	// time, earliest due first.
	OverdueAt time.Time
	// CustomerID, when set, keeps that customer's complaints.
	CustomerID string
	// Manufacturer, when set, keeps complaints about that manufacturer's
	// products or referred to it (compared as glossary.SameID does).
	Manufacturer string
	// Kind, when set, keeps complaints of that kind.
	Kind glossary.Term
	// CreatedFrom and CreatedBefore, when set, keep complaints created at
	// or after CreatedFrom and before CreatedBefore.
	CreatedFrom, CreatedBefore time.Time
	// Limit caps the page; 0 means DefaultLimit, and it is capped at
	// MaxLimit.
	Limit int
	// Cursor is Page.Next of the page before, or empty for the first.
	Cursor string
}

// Limits of List and HistoryPage.
const (
	DefaultLimit = 100
	MaxLimit     = 1000
)

func limitOf(n int) int {
	switch {
	case n <= 0:
		return DefaultLimit
	case n > MaxLimit:
		return MaxLimit
	}
	return n
}

func (f Filter) limit() int { return limitOf(f.Limit) }

// Page is one page of [Store.List].
type Page struct {
	Complaints []*complaint.Complaint
	// Next is the cursor of the next page; empty on the last one.
	Next string
	// Corrupt are the rows of this page that could not be decoded: they
	// are skipped, not fatal, so that one bad row does not hide the rest.
	Corrupt []*DecodeError
}

// HistoryPage is one page of [Store.HistoryPage].
type HistoryPage struct {
	Entries []complaint.Entry
	Next    string // the cursor of the next page; empty on the last one
}

// ErrInvalidCursor is returned for a cursor that List or HistoryPage did not make for
// the same query (*InvalidCursorError).
var ErrInvalidCursor = errors.New("store: invalid cursor")

// InvalidCursorError reports a cursor that cannot be used.
type InvalidCursorError struct{ Reason string }

// Error implements error.
func (e *InvalidCursorError) Error() string { return "store: invalid cursor: " + e.Reason }

// Unwrap returns [ErrInvalidCursor].
func (e *InvalidCursorError) Unwrap() error { return ErrInvalidCursor }

// cursor is where a page ends: the sort key of its last complaint (or
// history entry), and a digest of the query it belongs to. It travels as
// base64url JSON: opaque to callers, plain to read when debugging.
type cursor struct {
	Query string `json:"q"`
	ID    string `json:"id,omitempty"`
	Due   int64  `json:"due,omitempty"`
	Seq   int    `json:"seq,omitempty"`
}

func (c cursor) encode() string {
	raw, _ := json.Marshal(c) // a struct of strings and numbers always encodes
	return base64.RawURLEncoding.EncodeToString(raw)
}

func decodeCursor(s, query string) (cursor, error) {
	var c cursor
	if s == "" {
		return c, nil
	}
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || json.Unmarshal(raw, &c) != nil {
		return cursor{}, &InvalidCursorError{Reason: "not a cursor"}
	}
	if c.Query != query {
		return cursor{}, &InvalidCursorError{Reason: "made for another query"}
	}
	return c, nil
}

// query is a digest of what f selects, without its page.
func (f Filter) query() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s|%d|%s|%s|%s|%d|%d", f.State, f.OverdueAt.UnixNano(), f.CustomerID, glossary.NormalID(f.Manufacturer), f.Kind,
		f.CreatedFrom.UnixNano(), f.CreatedBefore.UnixNano())
	sum := sha256.Sum256([]byte(b.String()))
	return base64.RawURLEncoding.EncodeToString(sum[:9])
}

// historyQuery is the digest of a history page's query.
func historyQuery(id string) string {
	sum := sha256.Sum256([]byte("history|" + id))
	return base64.RawURLEncoding.EncodeToString(sum[:9])
}
