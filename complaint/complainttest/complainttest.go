// Package complainttest helps test suites of services built on klage: it
// builds complaints in any state through legal events only, asserts which
// events are allowed or refused, lists the lifecycle as a table, and explores
// every legal event sequence up to a depth so that a suite can check an
// invariant on every path.
//
// The helpers take a testing.TB, call tb.Helper, and report failures with
// github.com/stretchr/testify.
package complainttest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/klageflow/klage/complaint"
	"github.com/klageflow/klage/escalation"
	"github.com/klageflow/klage/glossary"
)

// The actors the helpers use. The reviewer never acts for customer service,
// so reviews built by the helpers are impartial.
var (
	Customer     = glossary.Actor{ID: "customer-1", Role: glossary.Customer}
	Agent        = glossary.Actor{ID: "agent-1", Role: glossary.CustomerService}
	Reviewer     = glossary.Actor{ID: "reviewer-1", Role: glossary.ComplaintsDepartment}
	Manufacturer = glossary.Actor{ID: "manufacturer-1", Role: glossary.Manufacturer}
	System       = glossary.Actor{ID: "scheduler", Role: glossary.System}
)

// Start is the time a Clock made by NewClock(time.Time{}) starts at:
// Monday 2 March 2026, 09:00 in Copenhagen.
var Start = time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC)

// Clock is a fake clock for Options.Now. It is safe for concurrent use.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// NewClock returns a clock at t, or at Start when t is zero.
func NewClock(t time.Time) *Clock {
	if t.IsZero() {
		t = Start
	}
	return &Clock{t: t}
}

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Advance moves the clock forward by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// Set moves the clock to t.
func (c *Clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

// Intake returns a valid intake: a consumer's DOA complaint about a laptop
// delivered the day before Start, by e-mail.
func Intake() complaint.Intake {
	return complaint.Intake{
		Customer: complaint.Customer{ID: Customer.ID, Name: "Karen Jensen", Email: "karen@example.dk", Phone: "+45 20 30 40 50",
			Address: "Nørregade 1, 1165 København K", Type: complaint.Consumer, Language: glossary.Danish},
		Channel: glossary.Email,
		Kind:    glossary.DOA,
		Product: complaint.Product{SKU: "NB-1042", Name: "UltraBook 14", Manufacturer: "Lenovo",
			DeliveredAt: Start.Add(-24 * time.Hour)},
		Description:  "The laptop does not power on.",
		RemedySought: escalation.Remedy{Kind: escalation.Replacement, Text: "A new laptop."},
	}
}

// ActorFor returns the helpers' actor for role r on c: the complaint's own
// customer for glossary.Customer, and the package's actors otherwise.
func ActorFor(c *complaint.Complaint, r glossary.Role) glossary.Actor {
	switch r {
	case glossary.Customer:
		return glossary.Actor{ID: c.Customer().ID, Role: glossary.Customer}
	case glossary.CustomerService:
		return Agent
	case glossary.ComplaintsDepartment:
		return Reviewer
	case glossary.Manufacturer:
		// Bound to the manufacturer the case was referred to, or the
		// product's, so that it may act on the case.
		m := Manufacturer
		m.Manufacturer = c.Product().Manufacturer
		if ref, ok := c.Referral(); ok {
			m.Manufacturer = ref.Manufacturer
		}
		return m
	case glossary.System:
		return System
	}
	return glossary.Actor{ID: "unknown", Role: r}
}

// InputFor returns a valid input for event e on c by an actor in role r,
// with the payload the event needs: a rejecting answer, a referral, a
// partly upholding decision with one finding and a repair, a new kind (with
// a product when the complaint has none), the
// remedy granted carried out (a replacement when none is), a note, and the
// customer's consent (by phone, at the last entry's time) when staff accept
// or withdraw for the customer.
func InputFor(c *complaint.Complaint, e complaint.Event, r glossary.Role) complaint.Input {
	in := complaint.Input{Event: e, Actor: ActorFor(c, r), Note: fmt.Sprintf("%s by %s", e, r)}
	switch e {
	case complaint.EventAnswer:
		in.Answer = &complaint.Answer{Outcome: escalation.Rejected, Text: "The fault is not covered."}
	case complaint.EventRefer:
		in.Referral = &complaint.Referral{Contact: "support@manufacturer.example"}
	case complaint.EventAccept, complaint.EventWithdraw:
		if r != glossary.Customer {
			in.Consent = &complaint.Consent{Channel: glossary.Phone, At: c.Last().At}
		}
	case complaint.EventReclassify:
		in.Kind = glossary.Claim
		if c.Kind() == glossary.Claim {
			in.Kind = glossary.Warranty
		}
		if p := c.Product(); p.SKU == "" && p.Name == "" {
			// Feedback or a general complaint becoming a claim brings its
			// product.
			in.Product = &complaint.Product{SKU: "NB-1042", Name: "UltraBook 14", Manufacturer: "Lenovo"}
		}
	case complaint.EventReview:
		in.Decision = &escalation.Decision{
			Outcome:     escalation.PartlyUpheld,
			Explanation: "Customer service should have offered a repair.",
			Findings:    []escalation.Finding{{Area: "returns", Description: "Offer repair before refusing."}},
			Remedy:      &escalation.Remedy{Kind: escalation.Repair, Text: "A free repair."},
		}
	case complaint.EventFulfil:
		kind := escalation.Replacement
		if g, ok := c.Granted(); ok {
			kind = g.Kind
		}
		in.Fulfilment = &complaint.Fulfilment{Remedy: kind, Reference: "REF-" + r.String()}
	}
	return in
}

// PathTo returns the shortest sequence of state-changing events of w's
// lifecycle from received to s, or nil for received itself or a state the
// lifecycle does not have.
func PathTo(w *complaint.Workflow, s complaint.State) []complaint.Event {
	type node struct {
		s    complaint.State
		path []complaint.Event
	}
	seen := map[complaint.State]bool{complaint.StateReceived: true}
	queue := []node{{s: complaint.StateReceived}}
	for len(queue) > 0 {
		n := queue[0]
		queue = queue[1:]
		if n.s == s {
			return n.path
		}
		for _, e := range w.Edges() {
			if e.From == n.s && !seen[e.To] {
				seen[e.To] = true
				queue = append(queue, node{s: e.To, path: append(append([]complaint.Event(nil), n.path...), e.Event)})
			}
		}
	}
	return nil
}

// InState opens a complaint with intake (Intake() when nil) and moves it
// to state s through the shortest legal path, each event fired by the first
// role that may fire it. It fails the test if any step is refused.
func InState(tb testing.TB, w *complaint.Workflow, s complaint.State, intake *complaint.Intake) *complaint.Complaint {
	tb.Helper()
	in := Intake()
	if intake != nil {
		in = *intake
	}
	ctx := context.Background()
	c, err := w.Open(ctx, in)
	require.NoError(tb, err, "Open")
	if s != complaint.StateReceived {
		path := PathTo(w, s)
		require.NotEmpty(tb, path, "no path to state %q", s)
		for _, e := range path {
			_, err := fireFirst(ctx, w, c, e)
			require.NoError(tb, err, "Fire(%q) on the way to %q", e, s)
		}
	}
	require.Equal(tb, s, c.State())
	return c
}

// fireFirst fires e by the first role whose input Check accepts. fired
// reports whether Fire was called; err is Fire's error, or Check's last one
// when no role could fire e. An undelivered notification is not an error
// here: the transition was applied.
func fireFirst(ctx context.Context, w *complaint.Workflow, c *complaint.Complaint, e complaint.Event) (fired bool, err error) {
	err = fmt.Errorf("complainttest: no role may fire %s in %s", e, c.State())
	for _, r := range w.Lifecycle().Roles {
		in := InputFor(c, e, r)
		if cerr := w.Check(ctx, c, in); cerr != nil {
			err = cerr
			continue
		}
		_, err = w.Fire(ctx, c, in)
		if errors.Is(err, complaint.ErrUndelivered) {
			err = nil
		}
		return true, err
	}
	return false, err
}

// AssertAllowed asserts that an actor in role r can fire e on a complaint
// in state from and that it lands where the lifecycle says.
func AssertAllowed(tb testing.TB, w *complaint.Workflow, from complaint.State, e complaint.Event, r glossary.Role) bool {
	tb.Helper()
	c := InState(tb, w, from, nil)
	t, err := w.Fire(context.Background(), c, InputFor(c, e, r))
	if !assert.NoError(tb, err, "Fire(%q) from %q as %q", e, from, r) {
		return false
	}
	want := targetOf(w, from, e)
	return assert.Equal(tb, want, c.State(), "Fire(%q) from %q as %q", e, from, r) &&
		assert.Equal(tb, e, t.Entry.Event)
}

// AssertRoleRefused asserts that an actor in role r cannot fire e on a
// complaint in state from, that the error matches target (errors.Is), and
// that the complaint is unchanged: a check of the lifecycle table. To
// check your own complaint and actor, use AssertRefused.
func AssertRoleRefused(tb testing.TB, w *complaint.Workflow, from complaint.State, e complaint.Event, r glossary.Role, target error) bool {
	tb.Helper()
	c := InState(tb, w, from, nil)
	return AssertRefused(tb, w, c, InputFor(c, e, r), target)
}

// AssertCan asserts that in is allowed on c, the caller's own complaint,
// for in's own actor: Check accepts it and Can agrees. Nothing is fired;
// c is unchanged.
func AssertCan(tb testing.TB, w *complaint.Workflow, c *complaint.Complaint, in complaint.Input) bool {
	tb.Helper()
	ctx := context.Background()
	return assert.NoError(tb, w.Check(ctx, c, in), "Check(%q) by %s in %s", in.Event, in.Actor, c.State()) &&
		assert.True(tb, w.Can(ctx, c, in.Event, in.Actor), "Can(%q) by %s in %s", in.Event, in.Actor, c.State())
}

// AssertRefused asserts that Fire refuses in on c, the caller's own
// complaint, with an error that matches target (errors.Is), that Check
// gives the same answer, and that c is unchanged.
func AssertRefused(tb testing.TB, w *complaint.Workflow, c *complaint.Complaint, in complaint.Input, target error) bool {
	tb.Helper()
	ctx := context.Background()
	before := c.Snapshot()
	checked := w.Check(ctx, c, in)
	_, err := w.Fire(ctx, c, in)
	return assert.ErrorIs(tb, err, target, "Fire(%q) by %s in %s", in.Event, in.Actor, before.State) &&
		assert.Equal(tb, err, checked, "Check and Fire agree on %q", in.Event) &&
		assert.Equal(tb, before, c.Snapshot(), "a refused Fire(%q) changed the complaint", in.Event)
}

// Sent is a notification as AssertNotifies compares it: its topic and
// recipient.
type Sent struct {
	Topic complaint.Topic
	To    glossary.Role
}

// AssertNotifies asserts that firing in on c would produce exactly the
// notifications want, in order (Workflow.Preview: c is unchanged and
// nothing is delivered).
func AssertNotifies(tb testing.TB, w *complaint.Workflow, c *complaint.Complaint, in complaint.Input, want ...Sent) bool {
	tb.Helper()
	_, ns, err := w.Preview(context.Background(), c, in)
	if !assert.NoError(tb, err, "Preview(%q)", in.Event) {
		return false
	}
	got := make([]Sent, len(ns))
	for i, n := range ns {
		got[i] = Sent{Topic: n.Topic, To: n.Recipient}
	}
	if len(want) == 0 {
		want = []Sent{}
	}
	return assert.Equal(tb, want, got, "notifications of %q in %s", in.Event, c.State())
}

func targetOf(w *complaint.Workflow, from complaint.State, e complaint.Event) complaint.State {
	for _, edge := range w.Edges() {
		if edge.From == from && edge.Event == e {
			return edge.To
		}
	}
	return ""
}

// Pair is one (state, event) pair of the lifecycle.
type Pair struct {
	From    complaint.State
	Event   complaint.Event
	Allowed bool            // the lifecycle has this pair
	To      complaint.State // where it leads when Allowed (From for an update)
	Roles   []glossary.Role // who may fire it when Allowed
}

// Pairs returns every (state, event) pair of w's lifecycle, allowed or
// not, for every fireable event (all but EventOpen), ordered by state and
// event. Use it to drive table tests over the whole lifecycle;
// Workflow.Edges lists the allowed pairs only.
func Pairs(w *complaint.Workflow) []Pair {
	allowed := map[[2]string]complaint.Edge{}
	for _, e := range w.Edges() {
		allowed[[2]string{string(e.From), string(e.Event)}] = e
	}
	lc := w.Lifecycle()
	var out []Pair
	for _, spec := range lc.States {
		s := spec.State
		for _, e := range fireable(w) {
			p := Pair{From: s, Event: e}
			if edge, ok := allowed[[2]string{string(s), string(e)}]; ok {
				p.Allowed, p.To, p.Roles = true, edge.To, edge.Roles
			}
			out = append(out, p)
		}
	}
	return out
}

// fireable lists the fireable events of w's lifecycle, in rule order.
func fireable(w *complaint.Workflow) []complaint.Event {
	var out []complaint.Event
	for _, r := range w.Lifecycle().Rules {
		if !slices.Contains(out, r.Event) {
			out = append(out, r.Event)
		}
	}
	return out
}

// Path is one legal event sequence found by Explore.
type Path struct {
	Events    []complaint.Event    // the events fired after the opening, in order
	Complaint *complaint.Complaint // the complaint after them; the visitor may read it but not fire on it
}

// Explore opens a complaint with Intake() and walks every legal event
// sequence of up to depth events (progress updates included), each event
// fired by the first role that may fire it. It calls visit for every
// sequence, the empty one first, and returns how many it visited. It fails
// the test when a step that Check allowed is refused by Fire.
func Explore(tb testing.TB, w *complaint.Workflow, depth int, visit func(Path)) int {
	tb.Helper()
	ctx := context.Background()
	root, err := w.Open(ctx, Intake())
	require.NoError(tb, err, "Open")
	count := 0
	var walk func(c *complaint.Complaint, events []complaint.Event)
	walk = func(c *complaint.Complaint, events []complaint.Event) {
		count++
		visit(Path{Events: events, Complaint: c})
		if len(events) == depth {
			return
		}
		for _, e := range fireable(w) {
			next, err := w.Restore(c.Snapshot())
			require.NoError(tb, err, "Restore after %v", events)
			fired, err := fireFirst(ctx, w, next, e)
			if !fired {
				continue
			}
			require.NoError(tb, err, "Fire(%q) after %v", e, events)
			walk(next, append(append([]complaint.Event(nil), events...), e))
		}
	}
	walk(root, nil)
	return count
}

// Recorder is a complaint.Notifier for tests: it records the notifications
// it accepts, in order, and refuses those its fail function returns an
// error for. The zero Recorder accepts everything. It is safe for
// concurrent use.
type Recorder struct {
	mu   sync.Mutex
	got  []complaint.Notification
	fail func(complaint.Notification) error
}

// Notify implements complaint.Notifier.
func (r *Recorder) Notify(_ context.Context, n complaint.Notification) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.fail != nil {
		if err := r.fail(n); err != nil {
			return err
		}
	}
	r.got = append(r.got, n)
	return nil
}

// FailWith makes Notify refuse a notification when fail returns an error
// for it; nil accepts everything again.
func (r *Recorder) FailWith(fail func(complaint.Notification) error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.fail = fail
}

// Notifications returns a copy of what was accepted, oldest first.
func (r *Recorder) Notifications() []complaint.Notification {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.got)
}

// Keys returns the idempotency keys of what was accepted, oldest first.
func (r *Recorder) Keys() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]string, len(r.got))
	for i := range r.got {
		out[i] = r.got[i].Key()
	}
	return out
}

// Reset forgets what was accepted.
func (r *Recorder) Reset() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.got = nil
}
