package complaint_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/klageflow/klage/complaint"
	"github.com/klageflow/klage/complaint/complainttest"
	"github.com/klageflow/klage/escalation"
	"github.com/klageflow/klage/glossary"
)

var ctx = context.Background()

func TestOpen(t *testing.T) {
	f := newFixture(t, complaint.Options{NewID: func() string { return "K-1" }})
	c, err := f.w.Open(ctx, complainttest.Intake())
	require.NoError(t, err)
	assert.Equal(t, "K-1", c.ID())
	assert.Equal(t, complaint.StateReceived, c.State())
	assert.Equal(t, 1, c.Version())
	assert.Equal(t, complainttest.Start, c.CreatedAt())
	assert.Equal(t, []complaint.Entry{{
		Seq: 1, At: complainttest.Start, Event: complaint.EventOpen, From: "", To: complaint.StateReceived,
		Actor: complainttest.Customer,
	}}, c.History())
	got := f.rec.Notifications()
	require.Len(t, got, 1)
	assert.Equal(t, complaint.TopicAcknowledged, got[0].Topic)
	assert.Equal(t, glossary.Customer, got[0].Recipient)
	assert.Equal(t, "K-1/1/acknowledged/customer", got[0].Key())
	assert.Equal(t, "karen@example.dk", got[0].Data.Customer.Email)
	assert.Empty(t, c.Pending())
}

func TestOpenDefaultsAndActors(t *testing.T) {
	f := newFixture(t, complaint.Options{})
	in := complainttest.Intake()
	in.Customer.Language = ""
	in.OpenedBy = complainttest.Agent
	in.Channel = glossary.Phone
	c, err := f.w.Open(ctx, in)
	require.NoError(t, err)
	assert.Equal(t, glossary.Danish, c.Customer().Language)
	assert.Equal(t, complainttest.Agent, c.Last().Actor)
	assert.Len(t, c.ID(), 32, "random id")

	other, err := f.w.Open(ctx, in)
	require.NoError(t, err)
	assert.NotEqual(t, c.ID(), other.ID())
}

func TestOpenRefused(t *testing.T) {
	f := newFixture(t, complaint.Options{})
	long := strings.Repeat("x", complaint.MaxTextLen+1)
	cases := []struct {
		name   string
		edit   func(*complaint.Intake)
		field  string
		target error
	}{
		{"no customer id", func(in *complaint.Intake) { in.Customer.ID = "" }, "customer.id", complaint.ErrInvalidInput},
		{"bad customer type", func(in *complaint.Intake) { in.Customer.Type = "person" }, "customer.type", complaint.ErrInvalidInput},
		{"bad language", func(in *complaint.Intake) { in.Customer.Language = "sv" }, "customer.language", complaint.ErrInvalidInput},
		{"bad email", func(in *complaint.Intake) { in.Customer.Email = "not an address" }, "customer.email", complaint.ErrInvalidInput},
		{"email with name", func(in *complaint.Intake) { in.Customer.Email = "Karen <karen@example.dk>" }, "customer.email", complaint.ErrInvalidInput},
		{"unknown channel", func(in *complaint.Intake) { in.Channel = "fax" }, "channel", glossary.ErrUnknown},
		{"unknown kind", func(in *complaint.Intake) { in.Kind = "refund" }, "kind", glossary.ErrUnknown},
		{"no product", func(in *complaint.Intake) { in.Product.SKU, in.Product.Name = "", "" }, "product", complaint.ErrInvalidInput},
		{"no description", func(in *complaint.Intake) { in.Description = "  " }, "description", complaint.ErrInvalidInput},
		{"long description", func(in *complaint.Intake) { in.Description = long }, "description", complaint.ErrInvalidInput},
		{"bad utf-8", func(in *complaint.Intake) { in.RemedySought.Text = "\xff" }, "remedy_sought.text", complaint.ErrInvalidInput},
		{"unknown remedy", func(in *complaint.Intake) { in.RemedySought.Kind = "voucher" }, "remedy_sought.kind", glossary.ErrUnknown},
		{"NUL in description", func(in *complaint.Intake) { in.Description = "dead\x00laptop" }, "description", complaint.ErrInvalidInput},
		{"escape in note", func(in *complaint.Intake) { in.Note = "\x1b[31mred" }, "note", complaint.ErrInvalidInput},
		{"line break in name", func(in *complaint.Intake) { in.Customer.Name = "a\nb" }, "customer.name", complaint.ErrInvalidInput},
		{"id with slash", func(in *complaint.Intake) { in.ID = "a/b" }, "id", complaint.ErrInvalidInput},
		{"long id", func(in *complaint.Intake) { in.ID = strings.Repeat("k", complaint.MaxIDLen+1) }, "id", complaint.ErrInvalidInput},
		{"delivery out of range", func(in *complaint.Intake) { in.Product.DeliveredAt = time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC) }, "product.delivered_at", complaint.ErrInvalidInput},
		{"manufacturer opens", func(in *complaint.Intake) { in.OpenedBy = complainttest.Manufacturer }, "", complaint.ErrForbidden},
		{"customer opens for another", func(in *complaint.Intake) {
			in.OpenedBy = glossary.Actor{ID: "someone-else", Role: glossary.Customer}
		}, "", complaint.ErrForbidden},
		{"opener without id", func(in *complaint.Intake) { in.OpenedBy = glossary.Actor{Role: glossary.CustomerService} }, "opened_by.id", complaint.ErrInvalidInput},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			in := complainttest.Intake()
			tc.edit(&in)
			c, err := f.w.Open(ctx, in)
			require.ErrorIs(t, err, tc.target)
			assert.Nil(t, c)
			if tc.field != "" {
				var ie *complaint.InputError
				require.ErrorAs(t, err, &ie)
				assert.Equal(t, tc.field, ie.Field)
				assert.True(t, strings.HasPrefix(err.Error(), "complaint: "), err.Error())
			}
		})
	}
	assert.Empty(t, f.rec.Notifications(), "a refused intake notifies nobody")
}

func TestFireRefusedInput(t *testing.T) {
	f := newFixture(t, complaint.Options{})
	long := strings.Repeat("x", complaint.MaxTextLen+1)
	cases := []struct {
		name  string
		state complaint.State
		in    complaint.Input
		field string
	}{
		{"unknown event", complaint.StateInProgress, complaint.Input{Event: "finish", Actor: complainttest.Agent}, "event"},
		{"open", complaint.StateReceived, complaint.Input{Event: complaint.EventOpen, Actor: complainttest.Agent}, "event"},
		{"no actor id", complaint.StateReceived, complaint.Input{Event: complaint.EventStart, Actor: glossary.Actor{Role: glossary.CustomerService}}, "actor.id"},
		{"unknown role", complaint.StateReceived, complaint.Input{Event: complaint.EventStart, Actor: glossary.Actor{ID: "x", Role: "boss"}}, "actor.role"},
		{"long note", complaint.StateReceived, complaint.Input{Event: complaint.EventStart, Actor: complainttest.Agent, Note: long}, "note"},
		{"request without note", complaint.StateInProgress, complaint.Input{Event: complaint.EventRequestInfo, Actor: complainttest.Agent}, "note"},
		{"update without note", complaint.StateInProgress, complaint.Input{Event: complaint.EventUpdate, Actor: complainttest.Agent, Note: " "}, "note"},
		{"answer missing", complaint.StateInProgress, complaint.Input{Event: complaint.EventAnswer, Actor: complainttest.Agent}, "answer"},
		{"answer on start", complaint.StateReceived, complaint.Input{Event: complaint.EventStart, Actor: complainttest.Agent,
			Answer: &complaint.Answer{Outcome: escalation.Upheld, Text: "yes"}}, "answer"},
		{"answer bad outcome", complaint.StateInProgress, complaint.Input{Event: complaint.EventAnswer, Actor: complainttest.Agent,
			Answer: &complaint.Answer{Outcome: "maybe", Text: "yes"}}, "answer.outcome"},
		{"answer no text", complaint.StateInProgress, complaint.Input{Event: complaint.EventAnswer, Actor: complainttest.Agent,
			Answer: &complaint.Answer{Outcome: escalation.Upheld}}, "answer.text"},
		{"referral missing", complaint.StateInProgress, complaint.Input{Event: complaint.EventRefer, Actor: complainttest.Agent}, "referral"},
		{"referral no contact", complaint.StateInProgress, complaint.Input{Event: complaint.EventRefer, Actor: complainttest.Agent,
			Referral: &complaint.Referral{Manufacturer: "Lenovo"}}, "referral.contact"},
		{"decision missing", complaint.StateEscalated, complaint.Input{Event: complaint.EventReview, Actor: complainttest.Reviewer}, "decision"},
		{"decision on update", complaint.StateEscalated, complaint.Input{Event: complaint.EventUpdate, Actor: complainttest.Reviewer, Note: "n",
			Decision: &escalation.Decision{Outcome: escalation.Upheld, Explanation: "x"}}, "decision"},
		{"decision no explanation", complaint.StateEscalated, complaint.Input{Event: complaint.EventReview, Actor: complainttest.Reviewer,
			Decision: &escalation.Decision{Outcome: escalation.Upheld}}, "decision.explanation"},
		{"finding without area", complaint.StateEscalated, complaint.Input{Event: complaint.EventReview, Actor: complainttest.Reviewer,
			Decision: &escalation.Decision{Outcome: escalation.Upheld, Explanation: "x", Findings: []escalation.Finding{{Description: "d"}}}}, "decision.findings[0].area"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := complainttest.InState(t, f.w, tc.state, nil)
			before := c.Snapshot()
			f.rec.Reset()
			_, err := f.w.Fire(ctx, c, tc.in)
			require.ErrorIs(t, err, complaint.ErrInvalidInput)
			var ie *complaint.InputError
			require.ErrorAs(t, err, &ie)
			assert.Equal(t, tc.field, ie.Field, err.Error())
			assert.Equal(t, before, c.Snapshot(), "refused input changed the complaint")
			assert.Empty(t, f.rec.Notifications())
			assert.Equal(t, err, f.w.Check(ctx, c, tc.in), "Check and Fire agree")
		})
	}
	_, err := f.w.Fire(ctx, nil, complaint.Input{Event: complaint.EventStart, Actor: complainttest.Agent})
	assert.ErrorIs(t, err, complaint.ErrInvalidInput)
	_, err = f.w.Fire(ctx, &complaint.Complaint{}, complaint.Input{Event: complaint.EventStart, Actor: complainttest.Agent})
	assert.ErrorIs(t, err, complaint.ErrInvalidInput, "the zero Complaint is not a complaint")
}

func TestErrorTypes(t *testing.T) {
	f := newFixture(t, complaint.Options{})
	closed := complainttest.InState(t, f.w, complaint.StateClosed, nil)
	_, err := f.w.Fire(ctx, closed, complainttest.InputFor(closed, complaint.EventStart, glossary.CustomerService))
	var te *complaint.TransitionError
	require.ErrorAs(t, err, &te)
	assert.Equal(t, complaint.StateClosed, te.From)
	assert.Equal(t, complaint.EventStart, te.Event)
	assert.ErrorIs(t, err, complaint.ErrClosed)
	assert.ErrorIs(t, err, complaint.ErrInvalidTransition)
	assert.EqualError(t, err, "complaint: start not allowed in state closed")

	open := complainttest.InState(t, f.w, complaint.StateInProgress, nil)
	_, err = f.w.Fire(ctx, open, complainttest.InputFor(open, complaint.EventAccept, glossary.Customer))
	assert.ErrorIs(t, err, complaint.ErrInvalidTransition)
	assert.NotErrorIs(t, err, complaint.ErrClosed)

	_, err = f.w.Fire(ctx, open, complainttest.InputFor(open, complaint.EventRefer, glossary.Customer))
	var pe *complaint.PermissionError
	require.ErrorAs(t, err, &pe)
	assert.Equal(t, []glossary.Role{glossary.CustomerService}, pe.Allowed)
	assert.EqualError(t, err, "complaint: customer may not refer (allowed: customer_service)")
}

func TestCustomerActsOnlyOnOwnComplaint(t *testing.T) {
	f := newFixture(t, complaint.Options{})
	c := complainttest.InState(t, f.w, complaint.StateFinalAnswer, nil)
	_, err := f.w.Fire(ctx, c, complaint.Input{Event: complaint.EventAccept, Actor: glossary.Actor{ID: "customer-2", Role: glossary.Customer}})
	var pe *complaint.PermissionError
	require.ErrorAs(t, err, &pe)
	assert.Contains(t, pe.Reason, "own complaint")
	assert.Equal(t, complaint.StateFinalAnswer, c.State())
}

func TestImpartiality(t *testing.T) {
	f := newFixture(t, complaint.Options{})
	// agent-1 answered as customer service; the same person may not review.
	c := complainttest.InState(t, f.w, complaint.StateEscalated, nil)
	in := complainttest.InputFor(c, complaint.EventReview, glossary.ComplaintsDepartment)
	in.Actor.ID = complainttest.Agent.ID
	_, err := f.w.Fire(ctx, c, in)
	require.ErrorIs(t, err, complaint.ErrNotImpartial)
	require.ErrorIs(t, err, escalation.ErrNotImpartial)
	var ie *escalation.ImpartialityError
	require.ErrorAs(t, err, &ie)
	assert.Equal(t, complainttest.Agent.ID, ie.Reviewer.ID)
	assert.Equal(t, complaint.StateEscalated, c.State())

	// Someone who acted only as the manufacturer, or for the Complaints
	// Department, may review.
	in.Actor.ID = complainttest.Manufacturer.ID
	_, err = f.w.Fire(ctx, c, in)
	require.NoError(t, err)
	assert.Equal(t, complaint.StateReviewed, c.State())
}

func TestCloseWindow(t *testing.T) {
	f := newFixture(t, complaint.Options{})
	c := complainttest.InState(t, f.w, complaint.StateFinalAnswer, nil)
	answered := c.Last().At
	cd := complaint.Input{Event: complaint.EventClose, Actor: complainttest.Reviewer}
	sys := complaint.Input{Event: complaint.EventClose, Actor: complainttest.System}

	for _, in := range []complaint.Input{cd, sys} {
		_, err := f.w.Fire(ctx, c, in)
		var te *complaint.TransitionError
		require.ErrorAs(t, err, &te, "%s closes inside the window", in.Actor.Role)
		assert.Contains(t, te.Reason, "escalation window is open until")
		assert.False(t, f.w.Can(ctx, c, complaint.EventClose, in.Actor))
	}
	assert.True(t, f.w.Can(ctx, c, complaint.EventEscalate, complainttest.ActorFor(c, glossary.Customer)))

	// Two calendar months in Copenhagen after the answer, to the end of
	// that day (the date the letter names), not a second before.
	loc := f.w.Policy(complaint.Consumer).Location
	y, m, d := complaint.Months(2).AddTo(answered, loc).In(loc).Date()
	until := time.Date(y, m, d+1, 0, 0, 0, 0, loc)
	f.clock.Set(until.Add(-time.Second))
	_, err := f.w.Fire(ctx, c, cd)
	require.ErrorIs(t, err, complaint.ErrInvalidTransition)
	f.clock.Set(until)
	assert.True(t, f.w.Can(ctx, c, complaint.EventClose, complainttest.System))
	assert.False(t, f.w.Can(ctx, c, complaint.EventEscalate, complainttest.ActorFor(c, glossary.Customer)), "the window has closed for the customer")
	_, err = f.w.Fire(ctx, c, cd)
	require.NoError(t, err)
	assert.Equal(t, complaint.StateClosed, c.State())

	// With no limit, nobody closes from final_answer: the case ends when
	// the customer accepts or withdraws, or is escalated.
	p := complaint.DanishConsumerPolicy()
	p.EscalationWindow = complaint.Period{}
	g := newFixture(t, complaint.Options{ConsumerPolicy: &p})
	c3 := complainttest.InState(t, g.w, complaint.StateFinalAnswer, nil)
	g.clock.Advance(10 * 365 * 24 * time.Hour)
	for _, in := range []complaint.Input{cd, sys} {
		_, err = g.w.Fire(ctx, c3, in)
		var te *complaint.TransitionError
		require.ErrorAs(t, err, &te)
		assert.Contains(t, te.Reason, "no limit")
	}
	assert.True(t, g.w.Can(ctx, c3, complaint.EventEscalate, complainttest.ActorFor(c3, glossary.Customer)), "no limit: the customer may always escalate")

	// From reviewed, the Complaints Department closes at once, once the
	// remedy it granted has been carried out.
	c4 := complainttest.InState(t, f.w, complaint.StateReviewed, nil)
	_, err = f.w.Fire(ctx, c4, cd)
	require.ErrorIs(t, err, complaint.ErrRemedyOwed)
	_, err = f.w.Fire(ctx, c4, complainttest.InputFor(c4, complaint.EventFulfil, glossary.CustomerService))
	require.NoError(t, err)
	_, err = f.w.Fire(ctx, c4, cd)
	require.NoError(t, err)
}

func TestUpdateKeepsState(t *testing.T) {
	f := newFixture(t, complaint.Options{})
	c := complainttest.InState(t, f.w, complaint.StateWithManufacturer, nil)
	f.rec.Reset()
	f.clock.Advance(time.Hour)
	tr, err := f.w.Fire(ctx, c, complaint.Input{Event: complaint.EventUpdate, Actor: complainttest.Agent, Note: "The manufacturer has your laptop."})
	require.NoError(t, err)
	assert.Equal(t, complaint.StateWithManufacturer, c.State())
	assert.Equal(t, complaint.Entry{Seq: 4, At: complainttest.Start.Add(time.Hour), Event: complaint.EventUpdate,
		From: complaint.StateWithManufacturer, To: complaint.StateWithManufacturer, Actor: complainttest.Agent,
		Note: "The manufacturer has your laptop."}, tr.Entry)
	got := f.rec.Notifications()
	require.Len(t, got, 1)
	assert.Equal(t, complaint.TopicProgress, got[0].Topic)
	assert.Equal(t, "The manufacturer has your laptop.", got[0].Data.Note)
}

func TestHistoryIsACopy(t *testing.T) {
	f := newFixture(t, complaint.Options{})
	c := complainttest.InState(t, f.w, complaint.StateInProgress, nil)
	h := c.History()
	h[0].Actor.ID = "forged"
	h[1].Event = complaint.EventAnswer
	assert.Equal(t, complainttest.Customer, c.History()[0].Actor)
	assert.Equal(t, complaint.EventStart, c.History()[1].Event)

	s := c.Snapshot()
	s.History[0].Note = "forged"
	assert.Empty(t, c.History()[0].Note)
}

func TestNotifications(t *testing.T) {
	type want struct {
		topic     complaint.Topic
		recipient glossary.Role
	}
	cases := []struct {
		name   string
		state  complaint.State
		event  complaint.Event
		role   glossary.Role
		edit   func(*complaint.Input)
		intake func(*complaint.Intake)
		want   []want
		check  func(t *testing.T, ns []complaint.Notification)
	}{
		{name: "start", state: complaint.StateReceived, event: complaint.EventStart, role: glossary.CustomerService,
			want: []want{{complaint.TopicStarted, glossary.Customer}}},
		{name: "request info", state: complaint.StateInProgress, event: complaint.EventRequestInfo, role: glossary.CustomerService,
			want: []want{{complaint.TopicInfoRequested, glossary.Customer}},
			check: func(t *testing.T, ns []complaint.Notification) {
				assert.Equal(t, "request_info by customer_service", ns[0].Data.Note, "the question reaches the customer")
			}},
		{name: "refer", state: complaint.StateInProgress, event: complaint.EventRefer, role: glossary.CustomerService,
			want: []want{{complaint.TopicReferred, glossary.Customer}, {complaint.TopicReferred, glossary.Manufacturer}},
			check: func(t *testing.T, ns []complaint.Notification) {
				for _, n := range ns {
					require.NotNil(t, n.Data.Referral)
					assert.Equal(t, "support@manufacturer.example", n.Data.Referral.Contact)
					assert.Equal(t, "Lenovo", n.Data.Referral.Manufacturer, "defaults to the product's manufacturer")
				}
				assert.Equal(t, "The laptop does not power on.", ns[1].Data.Description, "the manufacturer gets the case")
				assert.Equal(t, "karen@example.dk", ns[1].Data.Customer.Email, "the manufacturer can contact the customer")
			}},
		{name: "answer rejected consumer", state: complaint.StateInProgress, event: complaint.EventAnswer, role: glossary.CustomerService,
			want: []want{{complaint.TopicFinalAnswer, glossary.Customer}},
			check: func(t *testing.T, ns []complaint.Notification) {
				d := ns[0].Data
				require.NotNil(t, d.Answer)
				assert.Equal(t, escalation.Rejected, d.Answer.Outcome)
				require.NotNil(t, d.Escalation, "a rejection says how to escalate")
				assert.Contains(t, d.Escalation.Instructions, "Klageafdeling")
				assert.Equal(t, "klage@example.dk", d.Escalation.Contact)
				assert.Equal(t, complaint.Months(2).AddTo(complainttest.Start, nil).Month(), d.Escalation.Until.Month())
				require.Len(t, d.ComplaintBodies, 2, "a consumer is told the complaint bodies")
				assert.Equal(t, "Center for Klageløsning", d.ComplaintBodies[0].Name)
				assert.Equal(t, "Forbrugerklagenævnet", d.ComplaintBodies[1].Name)
			}},
		{name: "answer upheld", state: complaint.StateInProgress, event: complaint.EventAnswer, role: glossary.CustomerService,
			edit: func(in *complaint.Input) {
				in.Answer.Outcome, in.Answer.Remedy = escalation.Upheld, &escalation.Remedy{Kind: escalation.Replacement}
			},
			want: []want{{complaint.TopicFinalAnswer, glossary.Customer}},
			check: func(t *testing.T, ns []complaint.Notification) {
				assert.Nil(t, ns[0].Data.Escalation)
				assert.Empty(t, ns[0].Data.ComplaintBodies)
			}},
		{name: "answer partly upheld business in English", state: complaint.StateInProgress, event: complaint.EventAnswer, role: glossary.CustomerService,
			edit: func(in *complaint.Input) {
				in.Answer.Outcome, in.Answer.Remedy = escalation.PartlyUpheld, &escalation.Remedy{Kind: escalation.Repair}
			},
			intake: func(in *complaint.Intake) {
				in.Customer.Type = complaint.Business
				in.Customer.Language = glossary.English
			},
			want: []want{{complaint.TopicFinalAnswer, glossary.Customer}},
			check: func(t *testing.T, ns []complaint.Notification) {
				require.NotNil(t, ns[0].Data.Escalation)
				assert.Contains(t, ns[0].Data.Escalation.Instructions, "Complaints Department")
				assert.Empty(t, ns[0].Data.ComplaintBodies, "complaint bodies are for consumers")
			}},
		{name: "escalate", state: complaint.StateFinalAnswer, event: complaint.EventEscalate, role: glossary.Customer,
			want: []want{{complaint.TopicEscalated, glossary.Customer}, {complaint.TopicEscalated, glossary.ComplaintsDepartment}},
			check: func(t *testing.T, ns []complaint.Notification) {
				cd := ns[1].Data
				require.NotNil(t, cd.Answer, "the Complaints Department sees the answer it reviews")
				assert.Equal(t, "The laptop does not power on.", cd.Description)
				assert.Equal(t, escalation.Remedy{Kind: escalation.Replacement, Text: "A new laptop."}, cd.RemedySought)
				assert.Empty(t, ns[0].Data.Description, "the customer is not sent their own case file")
			}},
		{name: "review partly upheld consumer", state: complaint.StateEscalated, event: complaint.EventReview, role: glossary.ComplaintsDepartment,
			want: []want{{complaint.TopicReviewed, glossary.Customer}},
			check: func(t *testing.T, ns []complaint.Notification) {
				d := ns[0].Data
				require.NotNil(t, d.Decision)
				assert.Equal(t, escalation.PartlyUpheld, d.Decision.Outcome)
				assert.Len(t, d.Decision.Findings, 1)
				assert.Len(t, d.ComplaintBodies, 2)
			}},
		{name: "review upheld", state: complaint.StateEscalated, event: complaint.EventReview, role: glossary.ComplaintsDepartment,
			edit: func(in *complaint.Input) {
				in.Decision.Outcome, in.Decision.Remedy = escalation.Upheld, &escalation.Remedy{Kind: escalation.Replacement}
			},
			want: []want{{complaint.TopicReviewed, glossary.Customer}},
			check: func(t *testing.T, ns []complaint.Notification) {
				assert.Empty(t, ns[0].Data.ComplaintBodies)
			}},
		{name: "review rejected business", state: complaint.StateEscalated, event: complaint.EventReview, role: glossary.ComplaintsDepartment,
			edit:   func(in *complaint.Input) { in.Decision.Outcome, in.Decision.Remedy = escalation.Rejected, nil },
			intake: func(in *complaint.Intake) { in.Customer.Type = complaint.Business },
			want:   []want{{complaint.TopicReviewed, glossary.Customer}},
			check: func(t *testing.T, ns []complaint.Notification) {
				assert.Empty(t, ns[0].Data.ComplaintBodies)
			}},
		{name: "withdraw with manufacturer", state: complaint.StateWithManufacturer, event: complaint.EventWithdraw, role: glossary.Customer,
			want: []want{{complaint.TopicClosed, glossary.Customer}, {complaint.TopicClosed, glossary.Manufacturer}}},
		{name: "withdraw escalated", state: complaint.StateEscalated, event: complaint.EventWithdraw, role: glossary.Customer,
			want: []want{{complaint.TopicClosed, glossary.Customer}, {complaint.TopicClosed, glossary.ComplaintsDepartment}}},
		{name: "accept", state: complaint.StateFinalAnswer, event: complaint.EventAccept, role: glossary.Customer,
			want: []want{{complaint.TopicClosed, glossary.Customer}}},
		{name: "resume", state: complaint.StateWithManufacturer, event: complaint.EventResume, role: glossary.Manufacturer,
			want: []want{{complaint.TopicProgress, glossary.Customer}}},
		{name: "provide info", state: complaint.StateAwaitingCustomer, event: complaint.EventProvideInfo, role: glossary.Customer,
			want: []want{{complaint.TopicProgress, glossary.Customer}}},
		{name: "escalated update", state: complaint.StateEscalated, event: complaint.EventUpdate, role: glossary.ComplaintsDepartment,
			want: []want{{complaint.TopicProgress, glossary.Customer}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, complaint.Options{ComplaintsDepartmentContact: "klage@example.dk"})
			intake := complainttest.Intake()
			if tc.intake != nil {
				tc.intake(&intake)
			}
			c := complainttest.InState(t, f.w, tc.state, &intake)
			f.rec.Reset()
			in := complainttest.InputFor(c, tc.event, tc.role)
			if tc.edit != nil {
				tc.edit(&in)
			}
			tr, err := f.w.Fire(ctx, c, in)
			require.NoError(t, err)
			got := f.rec.Notifications()
			assert.Equal(t, len(got), tr.Produced, "the notifier got all Fire produced")
			require.Len(t, got, len(tc.want))
			for i, n := range got {
				assert.Equal(t, tc.want[i].topic, n.Topic)
				assert.Equal(t, tc.want[i].recipient, n.Recipient)
				assert.Equal(t, fmt.Sprintf("%s/%d/%s/%s", c.ID(), c.Version(), n.Topic, n.Recipient), n.Key())
				assert.Equal(t, c.ID(), n.ComplaintID)
				assert.Equal(t, c.Version(), n.Seq)
				assert.Equal(t, tc.event, n.Data.Event)
				assert.Equal(t, c.State(), n.Data.State)
				assert.Equal(t, tc.role, n.Data.By)
				assert.Equal(t, c.Customer().Language, n.Data.Language)
				if n.Recipient == glossary.Customer {
					assert.Equal(t, c.Customer(), n.Data.Customer, "a customer notification is addressed")
				}
			}
			if tc.check != nil {
				tc.check(t, got)
			}
		})
	}
}

func TestHooks(t *testing.T) {
	var calls []string
	veto := errors.New("order system is down")
	var failNext bool
	f := newFixture(t, complaint.Options{Hooks: []complaint.Hook{
		{
			Name:   "order-check",
			Events: []complaint.Event{complaint.EventAnswer},
			Before: func(_ context.Context, c complaint.View, in complaint.Input, to complaint.State) error {
				calls = append(calls, "before "+string(in.Event)+" "+string(c.State())+"->"+string(to))
				if failNext {
					return veto
				}
				return nil
			},
		},
		{
			Name: "audit",
			After: func(_ context.Context, c complaint.View, tr complaint.Transition) {
				calls = append(calls, "after "+string(tr.Entry.Event)+" "+string(c.State()))
			},
		},
	}})
	c := complainttest.InState(t, f.w, complaint.StateInProgress, nil)
	assert.Equal(t, []string{"after open received", "after start in_progress"}, calls)

	calls, failNext = nil, true
	before := c.Snapshot()
	f.rec.Reset()
	_, err := f.w.Fire(ctx, c, complainttest.InputFor(c, complaint.EventAnswer, glossary.CustomerService))
	require.ErrorIs(t, err, complaint.ErrVetoed)
	require.ErrorIs(t, err, veto, "the hook's own error is matched")
	var ve *complaint.VetoError
	require.ErrorAs(t, err, &ve)
	assert.Equal(t, "order-check", ve.Hook)
	assert.Equal(t, before, c.Snapshot(), "a veto changes nothing")
	assert.Empty(t, f.rec.Notifications(), "a veto notifies nobody")
	assert.Equal(t, []string{"before answer in_progress->final_answer"}, calls)

	calls, failNext = nil, false
	_, err = f.w.Fire(ctx, c, complainttest.InputFor(c, complaint.EventAnswer, glossary.CustomerService))
	require.NoError(t, err)
	assert.Equal(t, []string{"before answer in_progress->final_answer", "after answer final_answer"}, calls)

	// A refused event never reaches a hook.
	calls = nil
	_, err = f.w.Fire(ctx, c, complainttest.InputFor(c, complaint.EventAnswer, glossary.CustomerService))
	require.ErrorIs(t, err, complaint.ErrInvalidTransition)
	assert.Empty(t, calls)
}

// TestHookCannotChangeComplaint: a hook sees the complaint through a
// read-only View (it has no *Complaint to fire on), and what it changes in
// the copies the View gives is not the complaint.
func TestHookCannotChangeComplaint(t *testing.T) {
	meddle := func(c complaint.View) {
		if c.Version() == 0 {
			return // the opening's before hook: nothing to change yet
		}
		h := c.History()
		h[0].Note, h[0].Actor.ID = "rewritten", "mallory"
		s := c.Snapshot()
		s.History[0].Note = "rewritten"
		s.Customer.Email = "mallory@example.com"
		if d := c.Deadlines(); len(d) > 0 {
			d[0].Breached = true
		}
	}
	f := newFixture(t, complaint.Options{Hooks: []complaint.Hook{{
		Name: "meddler",
		Before: func(_ context.Context, c complaint.View, _ complaint.Input, _ complaint.State) error {
			meddle(c)
			return nil
		},
		After: func(_ context.Context, c complaint.View, _ complaint.Transition) { meddle(c) },
	}}})
	c := complainttest.InState(t, f.w, complaint.StateReceived, nil)
	before := c.Snapshot()
	_, err := f.w.Fire(ctx, c, complainttest.InputFor(c, complaint.EventStart, glossary.CustomerService))
	require.NoError(t, err)
	after := c.Snapshot()
	assert.Equal(t, before.History, after.History[:1], "the opening entry is as it was")
	assert.Equal(t, before.Customer, after.Customer)
	for _, d := range after.Deadlines {
		assert.False(t, d.Breached, d.Name)
	}
	assert.Equal(t, complaint.StateInProgress, c.State())
}

func TestOpenVetoed(t *testing.T) {
	f := newFixture(t, complaint.Options{Hooks: []complaint.Hook{{
		Name:   "blocklist",
		Events: []complaint.Event{complaint.EventOpen},
		Before: func(_ context.Context, c complaint.View, _ complaint.Input, _ complaint.State) error {
			if c.Customer().ID == "customer-1" {
				return errors.New("blocked")
			}
			return nil
		},
	}}})
	c, err := f.w.Open(ctx, complainttest.Intake())
	require.ErrorIs(t, err, complaint.ErrVetoed)
	assert.Nil(t, c)
	assert.Empty(t, f.rec.Notifications())
}

// TestNoODRInAnswers: an answer that links to the closed EU ODR platform
// is refused; a consumer workflow must name a complaint body.
func TestNoODRInAnswers(t *testing.T) {
	f := newFixture(t, complaint.Options{})
	c := complainttest.InState(t, f.w, complaint.StateInProgress, nil)
	in := complainttest.InputFor(c, complaint.EventAnswer, glossary.CustomerService)
	in.Answer.Text = "Not covered. You may complain at https://ec.europa.eu/consumers/odr/."
	_, err := f.w.Fire(ctx, c, in)
	var ie *complaint.InputError
	require.ErrorAs(t, err, &ie)
	assert.Equal(t, "answer.text", ie.Field)
	_, err = complaint.New(complaint.Options{ComplaintBodies: []escalation.Body{}})
	assert.ErrorIs(t, err, complaint.ErrInvalidConfig, "no complaint body at all")
}

func TestNewRefusesBadConfig(t *testing.T) {
	negative := complaint.DanishConsumerPolicy()
	negative.FirstResponse = complaint.Hours(-1)
	short := complaint.DanishConsumerPolicy()
	short.ClaimPeriod = complaint.Months(23)
	swapped := complaint.DanishBusinessPolicy()
	noClaim := complaint.DanishBusinessPolicy()
	noClaim.ClaimPeriod = complaint.Period{}
	cases := []struct {
		name  string
		opts  complaint.Options
		field string
	}{
		{"negative period", complaint.Options{ConsumerPolicy: &negative}, "ConsumerPolicy.FirstResponse"},
		{"consumer claim period shortened", complaint.Options{ConsumerPolicy: &short}, "ConsumerPolicy.ClaimPeriod"},
		{"business policy for consumers", complaint.Options{ConsumerPolicy: &swapped}, "ConsumerPolicy.Customers"},
		{"no claim period", complaint.Options{BusinessPolicy: &noClaim}, "BusinessPolicy.ClaimPeriod"},
		{"misspelt hook event", complaint.Options{Hooks: []complaint.Hook{{Name: "h", Events: []complaint.Event{"anwser"},
			After: func(context.Context, complaint.View, complaint.Transition) {}}}}, "Hooks[0].Events"},
		{"empty hook", complaint.Options{Hooks: []complaint.Hook{{Name: "h"}}}, "Hooks[0]"},
		{"ODR platform", complaint.Options{ComplaintBodies: []escalation.Body{{Name: "ODR", Website: "https://ec.europa.eu/consumers/odr"}}}, "ComplaintBodies[0]"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			w, err := complaint.New(tc.opts)
			assert.Nil(t, w)
			require.ErrorIs(t, err, complaint.ErrInvalidConfig)
			var ce *complaint.ConfigError
			require.ErrorAs(t, err, &ce)
			assert.Equal(t, tc.field, ce.Field)
		})
	}
}

func TestDeliveryFailureKeepsNotificationsPending(t *testing.T) {
	f := newFixture(t, complaint.Options{})
	down := errors.New("smtp: connection refused")
	f.rec.FailWith(func(complaint.Notification) error { return down })

	c, err := f.w.Open(ctx, complainttest.Intake())
	require.ErrorIs(t, err, complaint.ErrUndelivered)
	require.ErrorIs(t, err, down)
	require.NotNil(t, c, "the complaint was opened")
	var de *complaint.DeliveryError
	require.ErrorAs(t, err, &de)
	assert.Equal(t, c.ID()+"/1/acknowledged/customer", de.Key)

	_, err = f.w.Fire(ctx, c, complainttest.InputFor(c, complaint.EventStart, glossary.CustomerService))
	require.ErrorIs(t, err, complaint.ErrUndelivered)
	assert.Equal(t, complaint.StateInProgress, c.State(), "the transition was applied")
	pending := c.Pending()
	require.Len(t, pending, 2)
	assert.Equal(t, complaint.TopicAcknowledged, pending[0].Topic)
	assert.Equal(t, complaint.TopicStarted, pending[1].Topic)
	assert.Empty(t, f.rec.Notifications())

	// The snapshot carries pending notifications across a restore.
	restored, err := f.w.Restore(c.Snapshot())
	require.NoError(t, err)
	assert.Equal(t, pending, restored.Pending())

	f.rec.FailWith(nil)
	require.NoError(t, f.w.Deliver(ctx, restored))
	assert.Empty(t, restored.Pending())
	got := f.rec.Notifications()
	require.Len(t, got, 2)
	assert.Equal(t, pending, got, "delivered in order with the same keys")
}

func TestDeliveryStopsAtFirstFailure(t *testing.T) {
	f := newFixture(t, complaint.Options{})
	c := complainttest.InState(t, f.w, complaint.StateFinalAnswer, nil)
	f.rec.Reset()
	// escalate notifies the customer, then the Complaints Department; the
	// first fails, so the second must wait behind it, not overtake it.
	f.rec.FailWith(func(n complaint.Notification) error {
		if n.Recipient == glossary.Customer {
			return errors.New("mailbox full")
		}
		return nil
	})
	_, err := f.w.Fire(ctx, c, complainttest.InputFor(c, complaint.EventEscalate, glossary.Customer))
	require.ErrorIs(t, err, complaint.ErrUndelivered)
	assert.Empty(t, f.rec.Keys(), "nothing after the failure was sent")
	var recipients []glossary.Role
	for _, n := range c.Pending() {
		recipients = append(recipients, n.Recipient)
	}
	assert.Equal(t, []glossary.Role{glossary.Customer, glossary.ComplaintsDepartment}, recipients, "both wait, in order")

	f.rec.FailWith(nil)
	require.NoError(t, f.w.Deliver(ctx, c))
	assert.Equal(t, []string{
		fmt.Sprintf("%s/%d/escalated/customer", c.ID(), c.Version()),
		fmt.Sprintf("%s/%d/escalated/complaints_department", c.ID(), c.Version()),
	}, f.rec.Keys())
}

func TestNoNotifierLeavesPending(t *testing.T) {
	w, err := complaint.New(complaint.Options{})
	require.NoError(t, err)
	// Every path keeps every notification it produced, in order.
	for _, s := range referenceWorkflow.States() {
		c := complainttest.InState(t, w, s, nil)
		require.NoError(t, w.Deliver(ctx, c), "without a notifier Deliver does nothing")
		p := c.Pending()
		require.NotEmpty(t, p)
		seen := map[string]bool{}
		seq := 0
		for _, n := range p {
			assert.False(t, seen[n.Key()], "duplicate key %s", n.Key())
			seen[n.Key()] = true
			assert.GreaterOrEqual(t, n.Seq, seq, "in order")
			seq = n.Seq
		}
		assert.Equal(t, 1, p[0].Seq)
		assert.Equal(t, c.Version(), p[len(p)-1].Seq, "%s: the last transition notified", s)
	}
}

// flipContext reports no error on its first Err call and Canceled after,
// and its Done channel is closed: to the workflow's own check it looks live,
// and it is cancelled by the time looplab derives its context inside Event,
// the moment at which looplab leaves a machine wedged for good.
type flipContext struct {
	context.Context
	mu    sync.Mutex
	calls int
	done  chan struct{}
}

func newFlipContext() *flipContext {
	done := make(chan struct{})
	close(done)
	return &flipContext{Context: context.Background(), done: done}
}

func (c *flipContext) Err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.calls++
	if c.calls == 1 {
		return nil
	}
	return context.Canceled
}

func (c *flipContext) Done() <-chan struct{} { return c.done }

func TestContextDone(t *testing.T) {
	f := newFixture(t, complaint.Options{})
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	expired, cancel2 := context.WithDeadline(ctx, time.Unix(0, 0))
	defer cancel2()

	for _, tc := range []struct {
		name string
		ctx  context.Context
		want error
	}{
		{"cancelled", cancelled, context.Canceled},
		{"expired", expired, context.DeadlineExceeded},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := f.w.Open(tc.ctx, complainttest.Intake())
			require.ErrorIs(t, err, tc.want)

			c := complainttest.InState(t, f.w, complaint.StateReceived, nil)
			before := c.Snapshot()
			_, err = f.w.Fire(tc.ctx, c, complainttest.InputFor(c, complaint.EventStart, glossary.CustomerService))
			require.ErrorIs(t, err, tc.want)
			assert.Equal(t, before, c.Snapshot())

			// The complaint and the workflow stay usable.
			_, err = f.w.Fire(ctx, c, complainttest.InputFor(c, complaint.EventStart, glossary.CustomerService))
			require.NoError(t, err)
			assert.Equal(t, complaint.StateInProgress, c.State())
		})
	}
}

func TestContextCancelledDuringTransition(t *testing.T) {
	f := newFixture(t, complaint.Options{})
	c := complainttest.InState(t, f.w, complaint.StateReceived, nil)
	before := c.Snapshot()
	_, err := f.w.Fire(newFlipContext(), c, complainttest.InputFor(c, complaint.EventStart, glossary.CustomerService))
	require.ErrorIs(t, err, context.Canceled)
	assert.Equal(t, before, c.Snapshot())

	// looplab wedged the machine it was given; the workflow dropped it, so
	// every later transition, on this complaint or another, goes through.
	for i := 0; i < 50; i++ {
		other := complainttest.InState(t, f.w, complaint.StateReceived, nil)
		_, err := f.w.Fire(ctx, other, complainttest.InputFor(other, complaint.EventStart, glossary.CustomerService))
		require.NoError(t, err)
	}
	_, err = f.w.Fire(ctx, c, complainttest.InputFor(c, complaint.EventStart, glossary.CustomerService))
	require.NoError(t, err)
}

func TestContextCancelledDuringDelivery(t *testing.T) {
	cctx, cancel := context.WithCancel(ctx)
	armed := false
	f := newFixture(t, complaint.Options{Notifier: complaint.NotifierFunc(func(context.Context, complaint.Notification) error {
		if armed {
			cancel() // the caller gives up while the first notification goes out
		}
		return nil
	})})
	c := complainttest.InState(t, f.w, complaint.StateFinalAnswer, nil)
	armed = true
	_, err := f.w.Fire(cctx, c, complainttest.InputFor(c, complaint.EventEscalate, glossary.Customer))
	require.ErrorIs(t, err, complaint.ErrUndelivered)
	require.ErrorIs(t, err, context.Canceled)
	assert.Equal(t, complaint.StateEscalated, c.State())
	require.Len(t, c.Pending(), 1, "the second notification stays pending")
	assert.Equal(t, glossary.ComplaintsDepartment, c.Pending()[0].Recipient)
}

func TestConcurrentWorkflowUse(t *testing.T) {
	f := newFixture(t, complaint.Options{})
	var wg sync.WaitGroup
	errs := make(chan error, 32)
	for g := 0; g < 32; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := f.w.Open(ctx, complainttest.Intake())
			if err != nil {
				errs <- err
				return
			}
			for _, step := range []struct {
				e complaint.Event
				r glossary.Role
			}{
				{complaint.EventStart, glossary.CustomerService},
				{complaint.EventRequestInfo, glossary.CustomerService},
				{complaint.EventProvideInfo, glossary.Customer},
				{complaint.EventAnswer, glossary.CustomerService},
				{complaint.EventEscalate, glossary.Customer},
				{complaint.EventReview, glossary.ComplaintsDepartment},
				{complaint.EventFulfil, glossary.CustomerService},
				{complaint.EventClose, glossary.ComplaintsDepartment},
			} {
				if _, err := f.w.Fire(ctx, c, complainttest.InputFor(c, step.e, step.r)); err != nil {
					errs <- err
					return
				}
			}
			if c.State() != complaint.StateClosed || c.Version() != 9 {
				errs <- errors.New("complaint did not close in 9 steps")
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	assert.Equal(t, 32*10, len(f.rec.Notifications()), "10 notifications per complaint")
}

func TestCanDoesNotAllocate(t *testing.T) {
	f := newFixture(t, complaint.Options{})
	c := complainttest.InState(t, f.w, complaint.StateFinalAnswer, nil)
	allocs := testing.AllocsPerRun(100, func() {
		f.w.Can(ctx, c, complaint.EventClose, complainttest.ActorFor(c, glossary.ComplaintsDepartment))
		f.w.Can(ctx, c, complaint.EventEscalate, complainttest.ActorFor(c, glossary.Customer))
	})
	assert.Zero(t, allocs)
}
