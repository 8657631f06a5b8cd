package complainttest_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/klageflow/klage/complaint"
	"github.com/klageflow/klage/complaint/complainttest"
	"github.com/klageflow/klage/glossary"
)

// t stands in for the *testing.T of a user's test in the examples.
var t = &testing.T{}

var anna = glossary.Actor{ID: "anna", Role: glossary.CustomerService}

func newWorkflowFor(clock *complainttest.Clock) *complaint.Workflow {
	w, err := complaint.New(complaint.Options{Now: clock.Now})
	if err != nil {
		panic(err)
	}
	return w
}

// An advanceable clock drives the workflow's deadlines.
func ExampleNewClock() {
	clock := complainttest.NewClock(time.Time{}) // starts at complainttest.Start
	w := newWorkflowFor(clock)
	c := complainttest.InState(t, w, complaint.StateReceived, nil)
	fmt.Println(len(c.Overdue(clock.Now())))
	clock.Advance(48 * time.Hour)
	fmt.Println(len(c.Overdue(clock.Now())))
	// Output:
	// 0
	// 1
}

// AssertCan checks your own complaint and actor.
func ExampleAssertCan() {
	w := newWorkflowFor(complainttest.NewClock(time.Time{}))
	c := complainttest.InState(t, w, complaint.StateInProgress, nil)
	ok := complainttest.AssertCan(t, w, c, complaint.Input{Event: complaint.EventRequestInfo, Actor: anna, Note: "A photo, please."})
	fmt.Println(ok, c.State())
	// Output: true in_progress
}

// AssertRefused checks that Fire refuses, with which error, and that
// nothing changed.
func ExampleAssertRefused() {
	w := newWorkflowFor(complainttest.NewClock(time.Time{}))
	c := complainttest.InState(t, w, complaint.StateInProgress, nil)
	ok := complainttest.AssertRefused(t, w, c, complaint.Input{Event: complaint.EventEscalate, Actor: anna}, complaint.ErrInvalidTransition)
	fmt.Println(ok, c.Version())
	// Output: true 2
}

// AssertNotifies checks whom a transition would notify of what.
func ExampleAssertNotifies() {
	w := newWorkflowFor(complainttest.NewClock(time.Time{}))
	c := complainttest.InState(t, w, complaint.StateInProgress, nil)
	ok := complainttest.AssertNotifies(t, w, c, complaint.Input{Event: complaint.EventRequestInfo, Actor: anna, Note: "A photo, please."},
		complainttest.Sent{Topic: complaint.TopicInfoRequested, To: glossary.Customer})
	fmt.Println(ok, c.State())
	// Output: true in_progress
}

// AssertAllowed and AssertRoleRefused check the lifecycle table by role.
func ExampleAssertAllowed() {
	w := newWorkflowFor(complainttest.NewClock(time.Time{}))
	fmt.Println(complainttest.AssertAllowed(t, w, complaint.StateReceived, complaint.EventStart, glossary.CustomerService))
	fmt.Println(complainttest.AssertRoleRefused(t, w, complaint.StateReceived, complaint.EventEscalate, glossary.Customer, complaint.ErrInvalidTransition))
	// Output:
	// true
	// true
}

// InState drives a complaint to a state through legal events only, with
// Intake's complaint (or your own intake).
func ExampleInState() {
	w := newWorkflowFor(complainttest.NewClock(time.Time{}))
	c := complainttest.InState(t, w, complaint.StateEscalated, nil)
	fmt.Println(c.State(), complainttest.PathTo(w, complaint.StateEscalated))
	// Output: escalated [answer escalate]
}

// InputFor builds a valid input for an event by a role, payload included.
func ExampleInputFor() {
	w := newWorkflowFor(complainttest.NewClock(time.Time{}))
	c := complainttest.InState(t, w, complaint.StateInProgress, nil)
	in := complainttest.InputFor(c, complaint.EventAnswer, glossary.CustomerService)
	fmt.Println(in.Event, in.Actor, in.Answer.Outcome)
	// Output: answer customer_service:agent-1 rejected
}

// Pairs lists every (state, event) pair, allowed or not: a table test over
// the whole lifecycle.
func ExamplePairs() {
	w := newWorkflowFor(complainttest.NewClock(time.Time{}))
	allowed := 0
	for _, p := range complainttest.Pairs(w) {
		if p.Allowed {
			allowed++
		}
	}
	fmt.Println(allowed == len(w.Edges()))
	// Output: true
}

// Explore walks every legal event sequence up to a depth: check an
// invariant on each.
func ExampleExplore() {
	w := newWorkflowFor(complainttest.NewClock(time.Time{}))
	escalatedUnanswered := 0
	n := complainttest.Explore(t, w, 3, func(p complainttest.Path) {
		if p.Complaint.State() == complaint.StateEscalated {
			if _, answered := p.Complaint.FinalAnswer(); !answered {
				escalatedUnanswered++
			}
		}
	})
	fmt.Println(n > 10, escalatedUnanswered)
	// Output: true 0
}

// A Recorder is a Notifier for tests: it keeps what it was given, and can
// refuse some.
func ExampleRecorder() {
	rec := &complainttest.Recorder{}
	w, err := complaint.New(complaint.Options{Now: complainttest.NewClock(time.Time{}).Now, Notifier: rec})
	if err != nil {
		panic(err)
	}
	complainttest.InState(t, w, complaint.StateInProgress, nil)
	fmt.Println(rec.Keys()[0][len(rec.Keys()[0])-len("acknowledged/customer"):])
	// Output: acknowledged/customer
}
