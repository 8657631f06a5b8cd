// Package errkind names the kind of an error of the workflow, for the
// metrics and traces packages, which must not quote an error's text (it
// may hold input).
package errkind

import (
	"context"
	"errors"

	"github.com/klageflow/klage/complaint"
	"github.com/klageflow/klage/escalation"
)

// Of names the kind of an error of Open or Fire: invalid_input, closed,
// remedy_owed, not_allowed, not_impartial, forbidden, vetoed, undelivered,
// cancelled, or other; "" for nil.
func Of(err error) string {
	switch {
	case err == nil:
		return ""
	case errors.Is(err, complaint.ErrInvalidInput):
		return "invalid_input"
	case errors.Is(err, complaint.ErrClosed):
		return "closed"
	case errors.Is(err, complaint.ErrRemedyOwed):
		return "remedy_owed"
	case errors.Is(err, complaint.ErrInvalidTransition):
		return "not_allowed"
	case errors.Is(err, escalation.ErrNotImpartial):
		return "not_impartial"
	case errors.Is(err, complaint.ErrForbidden):
		return "forbidden"
	case errors.Is(err, complaint.ErrVetoed):
		return "vetoed"
	case errors.Is(err, complaint.ErrUndelivered):
		return "undelivered"
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return "cancelled"
	}
	return "other"
}
