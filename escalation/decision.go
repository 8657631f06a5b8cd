package escalation

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// MaxTextLen is the longest explanation, finding area or description, in
// bytes, that a decision may carry.
const MaxTextLen = 64 << 10

// ErrInvalidDecision is matched by every error that Decision.Validate
// returns.
var ErrInvalidDecision = errors.New("escalation: invalid decision")

// DecisionError reports which part of a decision is invalid.
type DecisionError struct {
	Field   string // "outcome", "explanation", "findings[2].area", ...
	Problem string // what is wrong with it
}

// Error implements error.
func (e *DecisionError) Error() string {
	return fmt.Sprintf("escalation: invalid decision: %s: %s", e.Field, e.Problem)
}

// Unwrap returns ErrInvalidDecision.
func (e *DecisionError) Unwrap() error { return ErrInvalidDecision }

// Finding is something the company should improve, recorded by the
// Complaints Department while it reviews a case: a procedure, a product
// page, how customer service answers, and so on.
type Finding struct {
	Area        string `json:"area"`        // where the improvement belongs, e.g. "returns", "product information"
	Description string `json:"description"` // what should change
}

// Decision is the Complaints Department's ruling on an escalated case.
type Decision struct {
	Outcome     Outcome   `json:"outcome"`
	Explanation string    `json:"explanation"`        // why, addressed to the customer
	Findings    []Finding `json:"findings,omitempty"` // improvements for the company; may be empty
	// Remedy is what the decision grants. A new decision grants one when
	// its outcome is upheld or partly upheld and none when it is rejected
	// (CheckGranted); Validate accepts one without, as klage v1 made them.
	Remedy *Remedy `json:"remedy,omitempty"`
}

// Validate reports the first problem with d as a *DecisionError, or nil.
func (d Decision) Validate() error {
	if !d.Outcome.Valid() {
		return &DecisionError{Field: "outcome", Problem: fmt.Sprintf("unknown outcome %q", d.Outcome)}
	}
	if err := checkText("explanation", d.Explanation); err != nil {
		return err
	}
	if d.Remedy != nil {
		if err := d.Remedy.validate("remedy"); err != nil {
			return err
		}
	}
	for i, f := range d.Findings {
		if err := checkText(fmt.Sprintf("findings[%d].area", i), f.Area); err != nil {
			return err
		}
		if err := checkText(fmt.Sprintf("findings[%d].description", i), f.Description); err != nil {
			return err
		}
	}
	return nil
}

// Clone returns a copy of d that shares no memory with it.
func (d Decision) Clone() Decision {
	if d.Findings != nil {
		d.Findings = append([]Finding(nil), d.Findings...)
	}
	if d.Remedy != nil {
		r := *d.Remedy
		d.Remedy = &r
	}
	return d
}

// CheckGranted checks that a ruling with outcome o grants remedy r as it
// must: a remedy for upheld and partly upheld, none for rejected. It
// returns a *DecisionError on the field "remedy", or nil.
func CheckGranted(o Outcome, r *Remedy) error {
	switch {
	case o == Rejected && r != nil:
		return &DecisionError{Field: "remedy", Problem: "a rejection grants nothing"}
	case o != Rejected && r == nil:
		return &DecisionError{Field: "remedy", Problem: fmt.Sprintf("required: an outcome %s grants a remedy", o)}
	case r != nil:
		return r.validate("remedy")
	}
	return nil
}

func checkText(field, s string) error {
	switch {
	case strings.TrimSpace(s) == "":
		return &DecisionError{Field: field, Problem: "required"}
	case len(s) > MaxTextLen:
		return &DecisionError{Field: field, Problem: fmt.Sprintf("longer than %d bytes", MaxTextLen)}
	case !utf8.ValidString(s):
		return &DecisionError{Field: field, Problem: "not valid UTF-8"}
	case strings.ContainsFunc(s, func(r rune) bool { return (r < 0x20 && r != '\t' && r != '\n' && r != '\r') || r == 0x7f }):
		return &DecisionError{Field: field, Problem: "contains a control character"}
	}
	return nil
}
