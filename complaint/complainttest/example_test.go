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
