package complaint

import (
	"errors"
	"fmt"
	"strings"

	"github.com/klageflow/klage/escalation"
	"github.com/klageflow/klage/glossary"
)

// Sentinel errors. Every error the package returns for a refused request
// matches one of them with errors.Is; the typed errors below carry the
// details and can be extracted with errors.As.
var (
	// ErrInvalidTransition: the event is not allowed in the complaint's
	// current state (*TransitionError).
	ErrInvalidTransition = errors.New("complaint: transition not allowed")
	// ErrClosed: the complaint is closed (in a terminal state of its
	// lifecycle); nothing more can happen to it. A *TransitionError from a
	// terminal state matches both ErrClosed and ErrInvalidTransition.
	ErrClosed = errors.New("complaint: complaint is closed")
	// ErrForbidden: the actor's role may not fire the event
	// (*PermissionError).
	ErrForbidden = errors.New("complaint: role not permitted")
	// ErrNotImpartial: the reviewer is not impartial
	// (*escalation.ImpartialityError). It is escalation.ErrNotImpartial.
	ErrNotImpartial = escalation.ErrNotImpartial
	// ErrInvalidInput: required input is missing or malformed
	// (*InputError).
	ErrInvalidInput = errors.New("complaint: invalid input")
	// ErrVetoed: a before hook refused the transition (*VetoError).
	ErrVetoed = errors.New("complaint: vetoed by hook")
	// ErrUndelivered: the transition was applied but at least one
	// notification could not be delivered; it stays pending on the
	// complaint (*DeliveryError).
	ErrUndelivered = errors.New("complaint: notification not delivered")
	// ErrInvalidSnapshot: a snapshot cannot be restored, for example
	// because its history does not replay to its state (*SnapshotError).
	ErrInvalidSnapshot = errors.New("complaint: invalid snapshot")
	// ErrRemedyOwed: accept or close was refused because a granted remedy
	// has not been carried out (a *TransitionError whose Cause it is).
	ErrRemedyOwed = errors.New("complaint: a granted remedy has not been carried out")
	// ErrTimerNotDue: a timer's input came when the timer does not act
	// (it already acted for this lapse, or its clock does not run): a
	// second timer runner lost the race. A *TransitionError's Cause.
	ErrTimerNotDue = errors.New("complaint: the timer is not due")
	// ErrInvalidConfig: Options or a Policy were refused by New
	// (*ConfigError).
	ErrInvalidConfig = errors.New("complaint: invalid configuration")
)

// TransitionError reports an event that is not allowed from a state.
type TransitionError struct {
	From   State
	Event  Event
	Reason string // optional detail, e.g. why a close is still too early
	Cause  error  // a sentinel that says more, such as ErrRemedyOwed; may be nil
}

// Unwrap returns Cause.
func (e *TransitionError) Unwrap() error { return e.Cause }

// Error implements error.
func (e *TransitionError) Error() string {
	if e.Reason != "" {
		return fmt.Sprintf("complaint: %s not allowed in state %s: %s", e.Event, e.From, e.Reason)
	}
	return fmt.Sprintf("complaint: %s not allowed in state %s", e.Event, e.From)
}

// Is reports whether target is ErrInvalidTransition. A refusal because
// the complaint is in a terminal state has Cause [ErrClosed].
func (e *TransitionError) Is(target error) bool { return target == ErrInvalidTransition }

// PermissionError reports a role that may not fire an event, or a customer
// acting on someone else's complaint.
type PermissionError struct {
	Event   Event
	Actor   glossary.Actor
	Allowed []glossary.Role // the roles that may fire Event in the state
	Reason  string          // optional detail
	Err     error           // what the Authorizer returned, when it refused
}

// Error implements error.
func (e *PermissionError) Error() string {
	if e.Reason != "" {
		return fmt.Sprintf("complaint: %s may not %s: %s", e.Actor.Role, e.Event, e.Reason)
	}
	allowed := make([]string, len(e.Allowed))
	for i, r := range e.Allowed {
		allowed[i] = string(r)
	}
	return fmt.Sprintf("complaint: %s may not %s (allowed: %s)", e.Actor.Role, e.Event, strings.Join(allowed, ", "))
}

// Unwrap returns ErrForbidden and, when the Authorizer refused, its error.
func (e *PermissionError) Unwrap() []error {
	if e.Err != nil {
		return []error{ErrForbidden, e.Err}
	}
	return []error{ErrForbidden}
}

// InputError reports missing or malformed input.
type InputError struct {
	Field   string // "actor.id", "answer.text", "customer.email", ...
	Problem string
	Err     error // the underlying error, if any (e.g. a *glossary.ParseError)
}

// Error implements error.
func (e *InputError) Error() string {
	return fmt.Sprintf("complaint: invalid input: %s: %s", e.Field, e.Problem)
}

// Unwrap returns ErrInvalidInput and the underlying error.
func (e *InputError) Unwrap() []error {
	if e.Err != nil {
		return []error{ErrInvalidInput, e.Err}
	}
	return []error{ErrInvalidInput}
}

// VetoError reports a before hook that refused a transition. Nothing was
// changed.
type VetoError struct {
	Hook  string // the hook's Name
	Event Event
	Err   error // what the hook returned
}

// Error implements error.
func (e *VetoError) Error() string {
	return fmt.Sprintf("complaint: hook %q vetoed %s: %v", e.Hook, e.Event, e.Err)
}

// Unwrap returns ErrVetoed and the hook's error.
func (e *VetoError) Unwrap() []error { return []error{ErrVetoed, e.Err} }

// DeliveryError reports notifications that the Notifier did not accept.
// The transition that produced them was applied; they stay pending on the
// complaint (Complaint.Pending) until Workflow.Deliver succeeds.
type DeliveryError struct {
	Key     string // the idempotency key of the notification that failed
	Pending int    // how many notifications are pending on the complaint
	Err     error  // what the Notifier returned (or the context's error)
}

// Error implements error.
func (e *DeliveryError) Error() string {
	return fmt.Sprintf("complaint: notification %s not delivered (%d pending): %v", e.Key, e.Pending, e.Err)
}

// Unwrap returns ErrUndelivered and the notifier's error.
func (e *DeliveryError) Unwrap() []error { return []error{ErrUndelivered, e.Err} }

// SnapshotError reports why a snapshot was refused by Restore.
type SnapshotError struct {
	ID     string // the snapshot's complaint id, if any
	Seq    int    // the history entry at fault, or 0
	Reason string
	Err    error // underlying error, if any
}

// Error implements error.
func (e *SnapshotError) Error() string {
	s := "complaint: invalid snapshot"
	if e.ID != "" {
		s += " " + e.ID
	}
	if e.Seq > 0 {
		s += fmt.Sprintf(" at history entry %d", e.Seq)
	}
	return s + ": " + e.Reason
}

// Unwrap returns ErrInvalidSnapshot and the underlying error.
func (e *SnapshotError) Unwrap() []error {
	if e.Err != nil {
		return []error{ErrInvalidSnapshot, e.Err}
	}
	return []error{ErrInvalidSnapshot}
}

// ConfigError reports a workflow configuration that New refused.
type ConfigError struct {
	Field   string // "Hooks[0].Events", "ConsumerPolicy.FirstResponse", ...
	Problem string
}

// Error implements error.
func (e *ConfigError) Error() string {
	return fmt.Sprintf("complaint: invalid configuration: %s: %s", e.Field, e.Problem)
}

// Unwrap returns ErrInvalidConfig.
func (e *ConfigError) Unwrap() error { return ErrInvalidConfig }

// parseError reports input that is not in the vocabulary kind, as the
// glossary package does.
func parseError(kind, input string) error { return &glossary.ParseError{Kind: kind, Input: input} }
