package escalation

import (
	"errors"
	"fmt"

	"github.com/klageflow/klage/glossary"
)

// ErrNotImpartial is matched by the *ImpartialityError that CheckImpartial
// returns.
var ErrNotImpartial = errors.New("escalation: reviewer is not impartial")

// ImpartialityError reports why a reviewer may not decide a case.
type ImpartialityError struct {
	Reviewer glossary.Actor
	Reason   string
}

// Error implements error.
func (e *ImpartialityError) Error() string {
	return fmt.Sprintf("escalation: reviewer %s is not impartial: %s", e.Reviewer, e.Reason)
}

// Unwrap returns ErrNotImpartial.
func (e *ImpartialityError) Unwrap() error { return ErrNotImpartial }

// CheckImpartial applies the impartiality rule: the reviewer must act for
// the Complaints Department and must never have acted on the case for
// customer service. acted lists everyone who has acted on the case, in any
// role (a complaint's history). Ids are compared as one person, not as
// bytes: "Anna", " anna" and "ａｎｎａ" are "anna" (glossary.SameID), and an
// id that looks like another (a Cyrillic "сео" for a Latin "ceo", "agent-l"
// for "agent-1": glossary.LookAlike, a UTS #39 confusable skeleton) counts
// as that person too.
//
// It returns nil or an *ImpartialityError.
func CheckImpartial(reviewer glossary.Actor, acted []glossary.Actor) error {
	if reviewer.ID == "" {
		return &ImpartialityError{Reviewer: reviewer, Reason: "the reviewer has no id"}
	}
	if reviewer.Role != glossary.ComplaintsDepartment {
		return &ImpartialityError{Reviewer: reviewer,
			Reason: fmt.Sprintf("a review is made for the %s, not as %s", glossary.ComplaintsDepartment, reviewer.Role)}
	}
	for _, a := range acted {
		if a.Role == glossary.CustomerService && glossary.LookAlike(a.ID, reviewer.ID) {
			return &ImpartialityError{Reviewer: reviewer,
				Reason: "the reviewer acted on this complaint for customer service"}
		}
	}
	return nil
}
