package notify

import (
	"context"
	"errors"
	"fmt"

	"github.com/klageflow/klage/complaint"
	"github.com/klageflow/klage/glossary"
)

// Route sends each notification to the notifier for its recipient, or to
// Default: e-mail to customers, a ticket system for the manufacturer.
type Route struct {
	ByRecipient map[glossary.Role]complaint.Notifier
	// Default takes the recipients ByRecipient does not name; nil makes
	// their notifications fail (and wait in the outbox) until one is
	// configured.
	Default complaint.Notifier
}

// Notify delivers n with the recipient's notifier.
func (r Route) Notify(ctx context.Context, n complaint.Notification) error {
	to := r.ByRecipient[n.Recipient]
	if to == nil {
		to = r.Default
	}
	if to == nil {
		return fmt.Errorf("notify: no notifier for %s (%s)", n.Recipient, n.Key())
	}
	return to.Notify(ctx, n)
}

// Fanout delivers every notification to each of its notifiers, in order:
// e-mail to the people, and the same events to a staff system's webhook.
// It tries them all and fails when any fails, so that the relay offers the
// notification again; those that had taken it then get it twice, with the
// same key (Message-ID, webhook-id) to recognise it by.
type Fanout []complaint.Notifier

// Notify delivers n to each notifier. The failure is permanent only when
// every notifier that failed failed for good.
func (f Fanout) Notify(ctx context.Context, n complaint.Notification) error {
	var errs []error
	for _, to := range f {
		if err := to.Notify(ctx, n); err != nil {
			errs = append(errs, err)
		}
	}
	if len(errs) == 0 {
		return nil
	}
	return &fanoutError{errors.Join(errs...), errs}
}

// fanoutError is the failures of a Fanout.
type fanoutError struct {
	joined error
	errs   []error
}

func (e *fanoutError) Error() string   { return e.joined.Error() }
func (e *fanoutError) Unwrap() []error { return e.errs }

// Permanent reports whether every failure is permanent.
func (e *fanoutError) Permanent() bool {
	for _, err := range e.errs {
		var p interface{ Permanent() bool }
		if !errors.As(err, &p) || !p.Permanent() {
			return false
		}
	}
	return true
}
