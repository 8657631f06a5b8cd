package complainttest_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/klageflow/klage/complaint"
	"github.com/klageflow/klage/complaint/complainttest"
	"github.com/klageflow/klage/glossary"
)

var ctx = context.Background()

// spy records whether a helper failed the test instead of failing this one.
type spy struct {
	testing.TB
	failed bool
}

func (s *spy) Errorf(string, ...any) { s.failed = true }
func (s *spy) FailNow()              { s.failed = true }
func (s *spy) Helper()               {}
func (s *spy) Name() string          { return "spy" }

func newWorkflow(t *testing.T) *complaint.Workflow {
	w, err := complaint.New(complaint.Options{Now: complainttest.NewClock(time.Time{}).Now})
	require.NoError(t, err)
	return w
}

func TestAssertAllowed(t *testing.T) {
	w := newWorkflow(t)
	assert.True(t, complainttest.AssertAllowed(t, w, complaint.StateReceived, complaint.EventStart, glossary.CustomerService))
	assert.True(t, complainttest.AssertAllowed(t, w, complaint.StateEscalated, complaint.EventUpdate, glossary.ComplaintsDepartment))

	s := &spy{TB: t}
	assert.False(t, complainttest.AssertAllowed(s, w, complaint.StateReceived, complaint.EventStart, glossary.Customer))
	assert.True(t, s.failed, "a refused event fails AssertAllowed")
}

func TestAssertRefused(t *testing.T) {
	w := newWorkflow(t)
	assert.True(t, complainttest.AssertRoleRefused(t, w, complaint.StateInProgress, complaint.EventAccept, glossary.Customer, complaint.ErrInvalidTransition))
	assert.True(t, complainttest.AssertRoleRefused(t, w, complaint.StateClosed, complaint.EventStart, glossary.CustomerService, complaint.ErrClosed))

	s := &spy{TB: t}
	assert.False(t, complainttest.AssertRoleRefused(s, w, complaint.StateReceived, complaint.EventStart, glossary.CustomerService, complaint.ErrForbidden))
	assert.True(t, s.failed, "an allowed event fails AssertRoleRefused")

	s = &spy{TB: t}
	assert.False(t, complainttest.AssertRoleRefused(s, w, complaint.StateReceived, complaint.EventStart, glossary.Customer, complaint.ErrInvalidTransition))
	assert.True(t, s.failed, "the wrong error fails AssertRoleRefused")
}

func TestPairs(t *testing.T) {
	w := newWorkflow(t)
	pairs := complainttest.Pairs(w)
	assert.Len(t, pairs, len(w.States())*len(w.Events()))
	allowed := 0
	for _, p := range pairs {
		assert.NotEqual(t, complaint.EventOpen, p.Event)
		if p.Allowed {
			allowed++
			assert.NotEmpty(t, p.Roles)
			assert.Contains(t, w.States(), p.To)
		} else {
			assert.Empty(t, p.To)
		}
	}
	assert.Equal(t, len(w.Edges()), allowed)
}

func TestInStateAndInputFor(t *testing.T) {
	w := newWorkflow(t)
	for _, s := range w.States() {
		c := complainttest.InState(t, w, s, nil)
		assert.Equal(t, s, c.State())
		for _, r := range glossary.Roles() {
			for _, e := range w.Available(ctx, c, complainttest.ActorFor(c, r)) {
				assert.NoError(t, w.Check(ctx, c, complainttest.InputFor(c, e, r)), "InputFor(%q, %q) in %q", e, r, s)
			}
		}
	}
	in := complainttest.Intake()
	in.Customer.ID = "someone"
	c := complainttest.InState(t, w, complaint.StateFinalAnswer, &in)
	assert.Equal(t, "someone", c.Customer().ID)
	assert.Equal(t, "someone", complainttest.ActorFor(c, glossary.Customer).ID)
}

func TestClock(t *testing.T) {
	c := complainttest.NewClock(time.Time{})
	assert.Equal(t, complainttest.Start, c.Now())
	c.Advance(time.Hour)
	assert.Equal(t, complainttest.Start.Add(time.Hour), c.Now())
	at := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	c.Set(at)
	assert.Equal(t, at, c.Now())
}

func TestExploreDepth(t *testing.T) {
	w := newWorkflow(t)
	var longest int
	n := complainttest.Explore(t, w, 2, func(p complainttest.Path) {
		longest = max(longest, len(p.Events))
	})
	assert.Equal(t, 2, longest)
	// received allows start, answer and withdraw; each leads on.
	assert.Greater(t, n, 4)
}

func TestRecorder(t *testing.T) {
	var r complainttest.Recorder
	n := complaint.Notification{Topic: complaint.TopicStarted, Recipient: glossary.Customer, ComplaintID: "K-1", Seq: 2}
	require.NoError(t, r.Notify(context.Background(), n))
	down := errors.New("down")
	r.FailWith(func(complaint.Notification) error { return down })
	assert.ErrorIs(t, r.Notify(context.Background(), n), down)
	r.FailWith(nil)
	require.NoError(t, r.Notify(context.Background(), n))
	assert.Equal(t, []string{"K-1/2/started/customer", "K-1/2/started/customer"}, r.Keys())
	got := r.Notifications()
	got[0].Seq = 99
	assert.Equal(t, 2, r.Notifications()[0].Seq, "a copy")
	r.Reset()
	assert.Empty(t, r.Keys())
}

// TestHelpersOnExtendedLifecycle: the helpers follow the workflow's own
// lifecycle, not the reference one.
func TestHelpersOnExtendedLifecycle(t *testing.T) {
	const service complaint.State = "service"
	lc := complaint.Reference()
	lc.States = append(lc.States, complaint.StateSpec{State: service, Labels: map[glossary.Language]string{glossary.English: "at service"}})
	lc.Roles = append(lc.Roles, "technician")
	lc.Events = append(lc.Events,
		complaint.EventSpec{Event: "send_to_service", Labels: map[glossary.Language]string{glossary.English: "send"}},
		complaint.EventSpec{Event: "back_from_service", Labels: map[glossary.Language]string{glossary.English: "back"}})
	lc.Rules = append(lc.Rules,
		complaint.Rule{Event: "send_to_service", From: []complaint.State{complaint.StateInProgress}, To: service, Roles: []glossary.Role{glossary.CustomerService}},
		complaint.Rule{Event: "back_from_service", From: []complaint.State{service}, To: complaint.StateInProgress, Roles: []glossary.Role{"technician"}})
	w, err := complaint.New(complaint.Options{Lifecycle: &lc, Now: complainttest.NewClock(time.Time{}).Now})
	require.NoError(t, err)

	assert.Equal(t, []complaint.Event{complaint.EventStart, "send_to_service"}, complainttest.PathTo(w, service))
	c := complainttest.InState(t, w, service, nil)
	assert.Equal(t, service, c.State())
	assert.True(t, complainttest.AssertAllowed(t, w, service, "back_from_service", "technician"))
	assert.True(t, complainttest.AssertRoleRefused(t, w, service, "back_from_service", glossary.CustomerService, complaint.ErrForbidden))

	found := false
	for _, p := range complainttest.Pairs(w) {
		if p.From == service && p.Event == "back_from_service" {
			found = p.Allowed && p.To == complaint.StateInProgress
		}
	}
	assert.True(t, found, "Pairs lists the extension's pair")

	visited := false
	complainttest.Explore(t, w, 3, func(p complainttest.Path) {
		visited = visited || p.Complaint.State() == service
	})
	assert.True(t, visited, "Explore walks into the extension's state")
}

func TestAssertOnOwnComplaint(t *testing.T) {
	w := newWorkflow(t)
	c := complainttest.InState(t, w, complaint.StateInProgress, nil)
	anna := glossary.Actor{ID: "anna", Role: glossary.CustomerService}
	ask := complaint.Input{Event: complaint.EventRequestInfo, Actor: anna, Note: "A photo, please."}
	before := c.Snapshot()

	assert.True(t, complainttest.AssertCan(t, w, c, ask))
	assert.True(t, complainttest.AssertNotifies(t, w, c, ask, complainttest.Sent{Topic: complaint.TopicInfoRequested, To: glossary.Customer}))
	assert.Equal(t, before, c.Snapshot(), "AssertCan and AssertNotifies change nothing")

	var s spy
	assert.False(t, complainttest.AssertNotifies(&s, w, c, ask, complainttest.Sent{Topic: complaint.TopicFinalAnswer, To: glossary.Customer}))
	assert.True(t, s.failed, "the wrong notifications fail AssertNotifies")

	// Another customer's actor may not act on c: AssertCan fails, AssertRefused holds.
	other := complaint.Input{Event: complaint.EventProvideInfo, Actor: glossary.Actor{ID: "someone-else", Role: glossary.Customer}, Note: "x"}
	s = spy{}
	assert.False(t, complainttest.AssertCan(&s, w, c, other))
	assert.True(t, s.failed)
	assert.True(t, complainttest.AssertRefused(t, w, c, complaint.Input{Event: complaint.EventEscalate, Actor: anna}, complaint.ErrInvalidTransition))
	s = spy{}
	assert.False(t, complainttest.AssertRefused(&s, w, c, ask, complaint.ErrForbidden))
	assert.True(t, s.failed, "an allowed input fails AssertRefused")
	assert.Equal(t, complaint.StateAwaitingCustomer, c.State(), "the allowed input was fired by AssertRefused's Fire")
}

func TestPreviewDeliversNothing(t *testing.T) {
	rec := &complainttest.Recorder{}
	w, err := complaint.New(complaint.Options{Now: complainttest.NewClock(time.Time{}).Now, Notifier: rec})
	require.NoError(t, err)
	c := complainttest.InState(t, w, complaint.StateInProgress, nil)
	rec.Reset()
	tr, ns, err := w.Preview(context.Background(), c, complainttest.InputFor(c, complaint.EventRefer, glossary.CustomerService))
	require.NoError(t, err)
	assert.Equal(t, complaint.StateWithManufacturer, tr.Entry.To)
	require.Len(t, ns, 2)
	assert.Empty(t, rec.Keys(), "Preview delivers nothing")
	assert.Equal(t, complaint.StateInProgress, c.State(), "and changes nothing")
	_, _, err = w.Preview(context.Background(), nil, complaint.Input{})
	assert.ErrorIs(t, err, complaint.ErrInvalidInput)
}
