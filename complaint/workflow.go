package complaint

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/klageflow/klage/escalation"
	"github.com/klageflow/klage/glossary"
	"github.com/klageflow/klage/observe"
)

// Options configure a Workflow. The zero Options are valid: Danish presets,
// the system clock, random ids, no notifier (notifications stay pending on
// the complaint) and no hooks.
type Options struct {
	// ConsumerPolicy applies to consumers; nil means DanishConsumerPolicy.
	ConsumerPolicy *Policy
	// BusinessPolicy applies to business customers; nil means
	// DanishBusinessPolicy.
	BusinessPolicy *Policy
	// Now is the clock; nil means time.Now. Tests inject a fake one.
	Now func() time.Time
	// NewID makes the id of a complaint opened without one; nil means 16
	// random bytes in hex.
	NewID func() string
	// Notifier delivers notifications. Nil leaves them pending on the
	// complaint for the caller (a store's outbox) to deliver.
	Notifier Notifier
	// Hooks run before and after transitions, in order.
	Hooks []Hook
	// ComplaintBodies are named to consumers when a complaint is wholly or
	// partly rejected; nil means escalation.DanishConsumerBodies. Each is
	// validated (the closed EU ODR platform is refused).
	ComplaintBodies []escalation.Body
	// ComplaintsDepartmentContact is how customers reach the Complaints
	// Department (an e-mail address or URL), given in final answers that
	// did not uphold the complaint in full. Optional.
	ComplaintsDepartmentContact string
	// Lifecycle is the process the workflow runs; nil means [Reference].
	// New validates it and keeps its own copy.
	Lifecycle *Lifecycle
	// Authorizer, when set, decides beyond the lifecycle's rules whether
	// an actor may fire an event on a complaint (a team directory: nobody
	// from the team that answered may review). Fire, Check, Can and
	// Available all consult it, so menus and transitions never disagree.
	Authorizer Authorizer
	// Translations add languages (or change the shipped wording): see
	// [Translation]. A customer may be written to in any language the
	// workflow has labels for.
	Translations []Translation
	// Observers watch opens and transitions, and the saves of stores that
	// use the workflow (metrics, traces): see package observe. None
	// costs nothing.
	Observers []observe.Observer
}

// Hook runs code of the embedding service around transitions.
//
// Before runs after every rule has passed and before anything changes; an
// error from it vetoes the transition (Fire returns a *VetoError and the
// complaint is unchanged). After runs once the transition is applied, before
// notifications are delivered. Both see the complaint through a read-only
// [View]: a hook cannot change it. Both run in the goroutine that called
// Fire or Open.
type Hook struct {
	// Name identifies the hook in errors.
	Name string
	// Events limits the hook to these events (EventOpen and EventUpdate
	// included); empty means every event. An unknown event is refused by
	// New.
	Events []Event
	Before func(ctx context.Context, c View, in Input, to State) error
	After  func(ctx context.Context, c View, t Transition)
}

// View is a read-only view of a complaint, as hooks see it. Its methods
// return copies, like the [Complaint]'s own accessors.
type View struct{ c *Complaint }

// ID returns the complaint's id.
func (v View) ID() string { return v.c.ID() }

// State returns the complaint's state.
func (v View) State() State { return v.c.State() }

// Version returns the complaint's version.
func (v View) Version() int { return v.c.Version() }

// Kind returns the complaint's kind.
func (v View) Kind() glossary.Term { return v.c.Kind() }

// Customer returns who made the complaint.
func (v View) Customer() Customer { return v.c.Customer() }

// Product returns what the complaint is about.
func (v View) Product() Product { return v.c.Product() }

// History returns a copy of the complaint's history.
func (v View) History() []Entry { return v.c.History() }

// Last returns the newest history entry.
func (v View) Last() Entry { return v.c.Last() }

// Deadlines returns the complaint's clocks.
func (v View) Deadlines() []Deadline { return v.c.Deadlines() }

// Snapshot returns a deep copy of the complaint's data.
func (v View) Snapshot() Snapshot { return v.c.Snapshot() }

// Authorizer decides whether an actor may fire an event on a complaint,
// after the lifecycle's own rules have allowed it. A non-nil error refuses:
// Fire and Check return it inside a *PermissionError (matching
// ErrForbidden and the error), and Can says no. Can and Available ask with
// an Input that holds only the Event and the Actor.
//
// Authorize must be safe for concurrent use and must not change anything.
type Authorizer interface {
	Authorize(ctx context.Context, c View, in Input) error
}

// AuthorizerFunc adapts a function to the [Authorizer] interface.
type AuthorizerFunc func(ctx context.Context, c View, in Input) error

// Authorize calls f.
func (f AuthorizerFunc) Authorize(ctx context.Context, c View, in Input) error { return f(ctx, c, in) }

// Consent records that the customer agreed to a staff member accepting an
// answer or withdrawing the complaint for them: how (the channel) and when.
// It is kept in the history entry, for the audit trail.
type Consent struct {
	Channel glossary.Channel `json:"channel"`
	At      time.Time        `json:"at"`
}

// Input is one event to fire, with what it needs.
type Input struct {
	Event Event
	Actor glossary.Actor
	// Note is free text for the history and the notification. It is
	// required for EventRequestInfo (what is asked) and EventUpdate (the
	// update itself).
	Note string
	// Answer is required for EventAnswer and refused otherwise.
	Answer *Answer
	// Referral is required for EventRefer and refused otherwise. An empty
	// Manufacturer defaults to the product's manufacturer.
	Referral *Referral
	// Decision is required for EventReview and refused otherwise.
	Decision *escalation.Decision
	// Kind is the new kind, required for EventReclassify and refused
	// otherwise.
	Kind glossary.Term
	// Product, with EventReclassify only, replaces the complaint's product
	// (validated as at intake). It is required when feedback or a general
	// complaint, which has no product, becomes a kind about a product
	// (claim, DOA, warranty, ...): the claim is then assessed from its
	// purchase and delivery dates.
	Product *Product
	// DefectNoticedAt, with EventReclassify only and optional, is when the
	// customer noticed the defect (see [Intake].DefectNoticedAt).
	DefectNoticedAt time.Time
	// Fulfilment is the remedy carried out and its reference, required for
	// EventFulfil and refused otherwise.
	Fulfilment *Fulfilment
	// Consent is the customer's consent, required when staff fire an event
	// for the customer (accept, withdraw: a [Rule] with Consent set) and
	// refused otherwise.
	Consent *Consent
	// RequestID, optional, is the idempotency key of the request that
	// fires the event (an HTTP Idempotency-Key). It is kept in the history
	// entry, so that a retried request can find what its first attempt did
	// ([Complaint.ByRequest]; store.Fire does).
	RequestID string
	// Timer names the timer that fires the input (a [Timer] of the
	// lifecycle): only the system actor sets it, for what
	// [Workflow.DueTimers] returns. It is kept as the entry's note.
	Timer string
	// RequestHash, optional and only with RequestID, is a fingerprint of
	// the request (a hash of its body, as the IETF Idempotency-Key draft
	// calls it): kept in the entry, so that a retry that reuses the key
	// for another request is refused (store.Fire). At most 128 printable
	// ASCII bytes.
	RequestHash string
}

// Transition is what one successful Fire or Open did.
type Transition struct {
	Entry Entry // the new history entry
	// Produced is how many notifications the transition produced. They
	// went to the Notifier; those it did not accept, or all of them when
	// there is none, are in Complaint.Pending.
	Produced int
}

// Workflow runs complaints through a [Lifecycle]. It is built and
// validated by [New]; it holds configuration only and is safe for
// concurrent use by multiple goroutines, on different complaints. The zero
// Workflow (and a nil *Workflow) works as New(Options{}) would: the
// reference lifecycle, the Danish policies, the system clock, random ids,
// no notifier and no hooks.
type Workflow struct {
	m        *machine
	labels   *labels
	consumer Policy
	business Policy
	now      func() time.Time
	newID    func() string
	notifier Notifier
	authz    Authorizer
	before   map[Event][]*Hook
	after    map[Event][]*Hook
	bodies   []escalation.Body
	contact  string
	zones    zoneMemo
	observer observe.Observer // nil when none
}

// New returns a Workflow configured by opts. It returns a *ConfigError
// (matching ErrInvalidConfig) for an invalid lifecycle, policy, hook or
// complaint body.
func New(opts Options) (*Workflow, error) {
	var (
		m   *machine
		err error
	)
	if opts.Lifecycle == nil {
		m, err = referenceMachine()
	} else {
		m, err = newMachine(*opts.Lifecycle)
	}
	if err != nil {
		return nil, err
	}
	ls, err := newLabels(m, opts.Translations)
	if err != nil {
		return nil, err
	}
	w := &Workflow{
		m:        m,
		labels:   ls,
		before:   map[Event][]*Hook{},
		after:    map[Event][]*Hook{},
		consumer: DanishConsumerPolicy(),
		business: DanishBusinessPolicy(),
		now:      opts.Now,
		newID:    opts.NewID,
		notifier: opts.Notifier,
		authz:    opts.Authorizer,
		bodies:   opts.ComplaintBodies,
		contact:  opts.ComplaintsDepartmentContact,
		observer: observe.Join(opts.Observers...),
	}
	if f, ok := opts.Notifier.(NotifierFunc); ok && f == nil {
		return nil, &ConfigError{Field: "Notifier", Problem: "a nil NotifierFunc (leave Notifier nil for none)"}
	}
	if opts.ConsumerPolicy != nil {
		w.consumer = *opts.ConsumerPolicy
	}
	if opts.BusinessPolicy != nil {
		w.business = *opts.BusinessPolicy
	}
	for _, p := range []struct {
		field string
		p     *Policy
		want  CustomerType
	}{{"ConsumerPolicy", &w.consumer, Consumer}, {"BusinessPolicy", &w.business, Business}} {
		if err := p.p.Validate(); err != nil {
			var ce *ConfigError
			if !errors.As(err, &ce) {
				return nil, err
			}
			ce.Field = p.field + "." + ce.Field
			return nil, ce
		}
		if p.p.Customers != p.want {
			return nil, &ConfigError{Field: p.field + ".Customers", Problem: fmt.Sprintf("is %q, want %q", p.p.Customers, p.want)}
		}
	}
	if w.now == nil {
		w.now = time.Now
	}
	if w.newID == nil {
		w.newID = randomID
	}
	switch {
	case w.bodies == nil:
		w.bodies = escalation.DanishConsumerBodies()
	case len(w.bodies) == 0:
		return nil, &ConfigError{Field: "ComplaintBodies", Problem: "a trader selling to consumers must name a complaint body (nil means the Danish ones)"}
	default:
		w.bodies = append([]escalation.Body(nil), w.bodies...)
	}
	if escalation.MentionsODR(w.contact) {
		return nil, &ConfigError{Field: "ComplaintsDepartmentContact", Problem: odrProblem}
	}
	for i, b := range w.bodies {
		if err := b.Validate(); err != nil {
			return nil, &ConfigError{Field: fmt.Sprintf("ComplaintBodies[%d]", i), Problem: err.Error()}
		}
	}
	for i := range opts.Hooks {
		h := opts.Hooks[i] // a copy: later changes to opts do not reach the workflow
		field := fmt.Sprintf("Hooks[%d]", i)
		if h.Before == nil && h.After == nil {
			return nil, &ConfigError{Field: field, Problem: "neither Before nor After is set"}
		}
		evs := h.Events
		if len(evs) == 0 {
			evs = append([]Event{EventOpen}, m.events...)
		}
		for _, e := range evs {
			if e != EventOpen && !m.known(e) {
				return nil, &ConfigError{Field: field + ".Events", Problem: fmt.Sprintf("unknown event %q", e)}
			}
			if h.Before != nil {
				w.before[e] = append(w.before[e], &h)
			}
			if h.After != nil {
				w.after[e] = append(w.after[e], &h)
			}
		}
	}
	return w, nil
}

// defaultWorkflow is what a zero Workflow runs as.
var defaultWorkflow = sync.OnceValue(func() *Workflow {
	w, err := New(Options{})
	if err != nil {
		panic("complaint: the default options are invalid: " + err.Error()) // a bug in this package, caught by every test
	}
	return w
})

// orDefault returns w, or the default workflow when w is zero.
func (w *Workflow) orDefault() *Workflow {
	if w == nil || w.m == nil {
		return defaultWorkflow()
	}
	return w
}

func randomID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // never fails (crypto/rand documents this since Go 1.24)
	return hex.EncodeToString(b[:])
}

// ComplaintBodies returns the external complaint bodies the workflow names
// to consumers ([Options].ComplaintBodies), a new slice on every call.
func (w *Workflow) ComplaintBodies() []escalation.Body {
	return slices.Clone(w.orDefault().bodies)
}

// Notifies reports whether the workflow delivers notifications itself
// ([Options].Notifier). A store, which delivers through its outbox,
// refuses such a workflow.
func (w *Workflow) Notifies() bool { return w.orDefault().notifier != nil }

// Lifecycle returns a copy of the lifecycle the workflow runs.
func (w *Workflow) Lifecycle() Lifecycle {
	w = w.orDefault()
	return w.m.lc.clone()
}

// Edges returns every allowed (state, event) pair of the workflow's
// lifecycle, events that keep the state included, ordered by state and
// then event in lifecycle order, with the roles that may fire each. The
// slice is new on every call. The zero Workflow describes the reference
// lifecycle.
func (w *Workflow) Edges() []Edge {
	w = w.orDefault()
	return w.m.edges()
}

// Diagram renders the workflow's lifecycle's state-changing transitions,
// as drawn by looplab/fsm's visualizers: Mermaid starts with
// "[*] --> received" and has one "src --> dst: event" line per (state,
// event) pair, sorted. Events that keep the state are not drawn. The zero
// Workflow draws the reference lifecycle.
func (w *Workflow) Diagram(format DiagramFormat) (string, error) {
	w = w.orDefault()
	return w.m.diagram(format)
}

// Now returns the current time by the workflow's clock ([Options].Now).
// Stores stamp their rows with it, so that one injected clock drives a
// whole deployment in tests.
func (w *Workflow) Now() time.Time {
	w = w.orDefault()
	return w.now()
}

// Policy returns the policy that applies to customers of type t.
func (w *Workflow) Policy(t CustomerType) Policy {
	w = w.orDefault()
	return *w.policyFor(t)
}

func (w *Workflow) policyFor(t CustomerType) *Policy {
	if t == Business {
		return &w.business
	}
	return &w.consumer
}

// Intake is what opening a complaint needs.
type Intake struct {
	// ID is the complaint's id; empty means Options.NewID makes one.
	ID          string
	Customer    Customer
	Channel     glossary.Channel
	Kind        glossary.Term
	Product     Product
	Description string
	// RemedySought is what the customer asks for: a kind (repair,
	// replacement, ...) and their words; both optional.
	RemedySought escalation.Remedy
	// OpenedBy is who registered the complaint; the zero Actor means the
	// customer themselves. Customer, customer service and system may open.
	OpenedBy glossary.Actor
	// Note goes into the opening history entry.
	Note string
	// RequestID, optional, is the idempotency key of the request that
	// registers the complaint, kept in the opening entry, with
	// RequestHash, its fingerprint (see [Input].RequestHash).
	RequestID   string
	RequestHash string
	// Safety flags the complaint as a product-safety matter from the start:
	// the Complaints Department is told at once.
	Safety bool
	// DefectNoticedAt, optional, is when the customer noticed the defect:
	// the §81 notice period runs from it, and the presumption covers a
	// defect noticed within its period after delivery.
	DefectNoticedAt time.Time
	// ReceivedAt is when the complaint reached the retailer (an e-mail
	// read on Monday was received on Saturday); zero means now. It may not
	// be in the future. The claim period and the notice are judged at it.
	ReceivedAt time.Time
}

// Open registers a complaint in StateReceived, records the opening in its
// history, assesses the claim against the policy's claim period (a late
// claim is registered and flagged, never refused), starts its deadlines and
// acknowledges it to the customer.
//
// Errors: ctx's error if it is done; *InputError for invalid intake;
// *PermissionError for an actor who may not open; *VetoError from a hook.
// If the acknowledgement could not be delivered, Open returns the complaint
// and a *DeliveryError: the complaint was opened and the acknowledgement
// stays pending on it.
func (w *Workflow) Open(ctx context.Context, in Intake) (*Complaint, error) {
	w = w.orDefault()
	if w.observer == nil {
		return w.open(ctx, in)
	}
	ctx, end := w.observer.Begin(ctx, observe.Operation{Op: observe.Open, ComplaintID: in.ID, Event: string(EventOpen)})
	c, err := w.open(ctx, in)
	end(err)
	return c, err
}

func (w *Workflow) open(ctx context.Context, in Intake) (*Complaint, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if in.OpenedBy == (glossary.Actor{}) {
		in.OpenedBy = glossary.Actor{ID: in.Customer.ID, Role: glossary.Customer}
	}
	if in.Customer.Language == "" {
		in.Customer.Language = glossary.Danish
	}
	if err := w.validateIntake(&in); err != nil {
		return nil, err
	}
	if !slices.Contains(w.m.lc.Openers, in.OpenedBy.Role) {
		return nil, &PermissionError{Event: EventOpen, Actor: in.OpenedBy, Allowed: slices.Clone(w.m.lc.Openers)}
	}
	if in.OpenedBy.Role == glossary.Customer && !glossary.SameID(in.OpenedBy.ID, in.Customer.ID) {
		return nil, &PermissionError{Event: EventOpen, Actor: in.OpenedBy, Reason: "a customer may open only their own complaint"}
	}
	if in.ID == "" {
		in.ID = w.newID()
		if err := checkID("id", in.ID); err != nil {
			return nil, err
		}
	}
	now := stamp(w.now())
	received := now
	if !in.ReceivedAt.IsZero() {
		received = stamp(in.ReceivedAt)
	}
	// In received with no history yet: the opening entry that apply adds
	// makes the version 1.
	c := &Complaint{id: in.ID, state: StateReceived, created: now, kind: in.Kind, channel: in.Channel, customer: in.Customer,
		product: in.Product, description: in.Description, remedy: in.RemedySought,
		claim: ClaimAssessment{Policy: w.policyFor(in.Customer.Type).Name, ReceivedAt: received}}
	c.safety = in.Safety
	c.noContact = in.Customer.Type == Consumer && in.Customer.Email == "" && strings.TrimSpace(in.Customer.Address) == ""
	c.claim.DefectNoticedAt = stampOrZero(in.DefectNoticedAt)
	w.reassess(c, time.Time{})
	input := Input{Event: EventOpen, Actor: in.OpenedBy, Note: in.Note}
	if err := w.runBefore(ctx, c, input, StateReceived); err != nil {
		return nil, err
	}
	e := Entry{Seq: 1, At: now, Event: EventOpen, To: StateReceived, Actor: in.OpenedBy, Note: in.Note, RequestID: in.RequestID, RequestHash: in.RequestHash}
	_, err := w.apply(ctx, c, &e, &input, nil, true)
	return c, err
}

// reassess assesses c's claim from its kind and product, as at intake,
// with noticed as when the defect was noticed when it is set: a complaint
// about a product gets a claim assessment, feedback and a general
// complaint none.
func (w *Workflow) reassess(c *Complaint, noticed time.Time) {
	if !noticed.IsZero() {
		c.claim.DefectNoticedAt = stamp(noticed)
	}
	p := w.policyFor(c.customer.Type)
	received := c.receivedAt()
	if !c.kind.AboutProduct() {
		c.claim = ClaimAssessment{Policy: p.Name, ReceivedAt: received, DefectNoticedAt: c.claim.DefectNoticedAt}
		return
	}
	c.claim = assessClaim(p, claimFacts{purchased: c.product.PurchasedAt, delivered: c.product.DeliveredAt,
		noticed: c.claim.DefectNoticedAt, received: received, kind: c.kind, manufacturer: c.product.Manufacturer})
}

// stampOrZero is stamp, keeping the zero time zero.
func stampOrZero(t time.Time) time.Time {
	if t.IsZero() {
		return t
	}
	return stamp(t)
}

// Fire applies one event to c. On success c has moved to the event's
// target state (or, for EventUpdate, stayed in it) with one more history
// entry, and the notifications it produced have been delivered or left
// pending.
//
// Errors, all leaving c unchanged:
//   - ctx's error when ctx is done before the transition;
//   - *InputError (ErrInvalidInput) for an unknown event, a missing actor or
//     a missing, malformed or misplaced payload;
//   - *TransitionError (ErrInvalidTransition; ErrClosed too when c is
//     closed) when the event is not allowed in c's state, or a close comes
//     before the escalation window has lapsed;
//   - *PermissionError (ErrForbidden) when the actor's role may not fire it,
//     or a customer acts on another customer's complaint;
//   - *escalation.ImpartialityError (ErrNotImpartial) when a reviewer acted
//     on the complaint for customer service;
//   - *VetoError (ErrVetoed) when a before hook refused.
//
// One error leaves c changed: a *DeliveryError (ErrUndelivered) means the
// transition was applied but a notification was not delivered; it stays
// pending on c.
func (w *Workflow) Fire(ctx context.Context, c *Complaint, in Input) (Transition, error) {
	w = w.orDefault()
	if w.observer == nil {
		return w.fire(ctx, c, in, true)
	}
	op := observe.Operation{Op: observe.Fire, Event: string(in.Event)}
	if c != nil {
		op.ComplaintID = c.id
	}
	ctx, end := w.observer.Begin(ctx, op)
	t, err := w.fire(ctx, c, in, true)
	end(err)
	return t, err
}

// fire is Fire; without deliver, the transition's notifications stay
// pending on c and no after hook runs (Preview).
func (w *Workflow) fire(ctx context.Context, c *Complaint, in Input, deliver bool) (Transition, error) {
	if err := ctx.Err(); err != nil {
		return Transition{}, err
	}
	r, err := w.check(ctx, c, &in)
	if err != nil {
		return Transition{}, err
	}
	from, to := c.state, r.To
	if to == "" {
		to = from
	}
	if err := w.runBefore(ctx, c, in, to); err != nil {
		return Transition{}, err
	}
	if r.To != "" {
		if err := w.m.step(ctx, from, r); err != nil {
			if cerr := ctx.Err(); cerr != nil {
				return Transition{}, cerr
			}
			return Transition{}, fmt.Errorf("complaint: state machine refused %s from %s: %w", in.Event, from, err)
		}
	}
	e := Entry{Seq: c.Version() + 1, At: stamp(w.now()), Event: in.Event, From: from, To: to, Actor: in.Actor, Note: in.Note,
		RequestID: in.RequestID, RequestHash: in.RequestHash}
	if in.Timer != "" {
		e.Note = in.Timer // the audit trail says which timer acted
	}
	if in.Consent != nil {
		consent := Consent{Channel: in.Consent.Channel, At: stamp(in.Consent.At)}
		e.Consent = &consent
	}
	return w.apply(ctx, c, &e, &in, r, deliver)
}

// Preview returns what Fire would do with in on c: the transition and the
// notifications it would produce, in order. It fires on a copy: c is
// unchanged and nothing is delivered. Before hooks run (they may veto, as
// with Fire); after hooks do not. It returns the error Fire would return.
func (w *Workflow) Preview(ctx context.Context, c *Complaint, in Input) (Transition, []Notification, error) {
	w = w.orDefault()
	if c == nil || len(c.history) == 0 {
		_, err := w.check(ctx, c, &in)
		return Transition{}, nil, err
	}
	cp, err := w.Restore(c.Snapshot())
	if err != nil {
		return Transition{}, nil, err
	}
	t, err := w.fire(ctx, cp, in, false)
	if err != nil {
		return Transition{}, nil, err
	}
	return t, cp.pending[len(c.pending):], nil
}

// Can reports whether actor a may fire event e on c now: every rule that
// needs only the event and the actor holds (the state, the role, the
// customer's own complaint, the manufacturer a case was referred to, the
// escalation window, the Authorizer). Rules that need the event's input
// (payloads, consent, impartiality) are checked by Check and Fire. Without
// an Authorizer, Can does not allocate.
func (w *Workflow) Can(ctx context.Context, c *Complaint, e Event, a glossary.Actor) bool {
	w = w.orDefault()
	if c == nil || len(c.history) == 0 {
		return false
	}
	_, f := w.allowed(ctx, c, e, a, false)
	return f.why == allowedOK
}

// Available returns the events actor a can fire on c now ([Workflow.Can]),
// in lifecycle order: a menu.
func (w *Workflow) Available(ctx context.Context, c *Complaint, a glossary.Actor) []Event {
	w = w.orDefault()
	var out []Event
	for _, e := range w.m.events {
		if w.Can(ctx, c, e, a) {
			out = append(out, e)
		}
	}
	return out
}

// Check reports whether Fire would accept in on c, without changing
// anything and without running hooks. It returns the error Fire would
// return, or nil.
func (w *Workflow) Check(ctx context.Context, c *Complaint, in Input) error {
	w = w.orDefault()
	_, err := w.check(ctx, c, &in)
	return err
}

func (w *Workflow) runBefore(ctx context.Context, c *Complaint, in Input, to State) error {
	if len(w.before) == 0 {
		return nil
	}
	for _, h := range w.before[in.Event] {
		if err := h.Before(ctx, View{c}, in, to); err != nil {
			return &VetoError{Hook: h.Name, Event: in.Event, Err: err}
		}
		if err := ctx.Err(); err != nil {
			return err
		}
	}
	return nil
}

// apply changes c and delivers what the transition owes (or, without
// deliver, leaves it pending and runs no after hook); everything has been
// checked. r is the rule that allowed it, nil for the opening.
func (w *Workflow) apply(ctx context.Context, c *Complaint, e *Entry, in *Input, r *Rule, deliver bool) (Transition, error) {
	var needs Payload
	if r != nil {
		needs = r.Needs
	}
	switch needs {
	case NeedsAnswer:
		a := in.Answer.clone()
		a.At = e.At
		c.answer = &a
	case NeedsReferral:
		ref := *in.Referral
		if ref.Manufacturer == "" {
			ref.Manufacturer = c.product.Manufacturer
		}
		ref.Seq = e.Seq
		c.referral = &ref
	case NeedsDecision:
		d := in.Decision.Clone()
		c.decision = &d
	case NeedsKind:
		c.kind = in.Kind
		if in.Product != nil {
			c.product = *in.Product
		}
		w.reassess(c, in.DefectNoticedAt)
	case NeedsFulfilment:
		f := Fulfilment{Remedy: in.Fulfilment.Remedy, Reference: in.Fulfilment.Reference, At: e.At, Seq: e.Seq}
		c.fulfilments = append(c.fulfilments, f)
	}
	if r != nil && r.Safety {
		c.safety = true
	}
	if in.Timer != "" {
		w.markTimer(c, in.Timer)
	}
	c.state = e.To
	c.history = append(c.history, *e)
	w.updateDeadlines(c, e, r)

	// The notifications are built on the stack. When nothing older is
	// pending they go straight to the Notifier, and only those it does not
	// accept are kept; otherwise they queue behind the older ones.
	var buf [2]Notification // most transitions produce one or two; more grow the slice
	ns := w.notifications(buf[:0], c, e, r)
	t := Transition{Entry: *e, Produced: len(ns)}
	if !deliver {
		c.pending = append(c.pending, ns...)
		return t, nil
	}
	if len(w.after) > 0 {
		for _, h := range w.after[e.Event] {
			h.After(ctx, View{c}, t)
		}
	}
	if w.notifier == nil || len(c.pending) > 0 {
		c.pending = append(c.pending, ns...)
		return t, w.Deliver(ctx, c)
	}
	for i := range ns {
		err := ctx.Err()
		if err == nil {
			err = w.notifier.Notify(ctx, ns[i])
		}
		if err != nil {
			c.pending = append(c.pending, ns[i:]...)
			return t, &DeliveryError{Key: ns[i].Key(), Pending: len(c.pending), Err: err}
		}
	}
	return t, nil
}
