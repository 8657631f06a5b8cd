package complaint

import (
	"errors"
	"fmt"
	"time"

	"github.com/klageflow/klage/glossary"
)

// Rating is a customer's rating of how their closed case was handled: a
// score from 1 (poor) to 5 (very good) and an optional comment, for the
// Complaints Department's measure of satisfaction.
type Rating struct {
	Score   int       `json:"score"`
	Comment string    `json:"comment,omitempty"`
	At      time.Time `json:"at"`
}

// ErrNotRatable is matched by the error of a rating for a case that is
// not closed.
var ErrNotRatable = errors.New("complaint: only a closed case can be rated")

// CheckRating reports whether actor a may rate c with r: c is closed, a is
// c's own customer, the score is 1 to 5 and the comment is valid text of
// at most MaxTextLen bytes. It returns an error matching ErrNotRatable, a
// *PermissionError (ErrForbidden) or an *InputError (ErrInvalidInput).
// Stores keep one rating per complaint (store.Rater).
func (w *Workflow) CheckRating(c *Complaint, a glossary.Actor, r Rating) error {
	w = w.orDefault()
	if c == nil {
		return &InputError{Field: "complaint", Problem: "missing"}
	}
	if a.Role != glossary.Customer || !glossary.SameID(a.ID, c.customer.ID) {
		return &PermissionError{Event: "rate", Actor: a, Allowed: []glossary.Role{glossary.Customer},
			Reason: "only the complaint's own customer rates it"}
	}
	if s := w.m.state(c.state); s == nil || !s.Terminal {
		return fmt.Errorf("%w: %s is %s", ErrNotRatable, c.id, c.state)
	}
	if r.Score < 1 || r.Score > 5 {
		return &InputError{Field: "score", Problem: "must be 1 to 5"}
	}
	return checkText("comment", r.Comment, MaxTextLen)
}
