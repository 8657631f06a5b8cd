package complaint_test

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/klageflow/klage/complaint"
	"github.com/klageflow/klage/complaint/complainttest"
	"github.com/klageflow/klage/glossary"
)

// reReferred returns a complaint opened by customer service with an
// intake note, flagged and noted internally, referred to Lenovo, resumed
// with a note, re-referred to Dell, and the notifications it produced.
func reReferred(t *testing.T) (*fixture, *complaint.Complaint, []complaint.Notification) {
	t.Helper()
	f := newFixture(t, complaint.Options{})
	in := complainttest.Intake()
	in.OpenedBy, in.Note, in.RequestID = complainttest.Agent, "Caller sounded upset; VIP account.", "req-open"
	c, err := f.w.Open(ctx, in)
	require.NoError(t, err)
	steps := []complaint.Input{
		{Event: complaint.EventStart, Actor: complainttest.Agent, RequestID: "req-start"},
		{Event: complaint.EventInternalNote, Actor: complainttest.Agent, Note: "Second complaint this month."},
		{Event: complaint.EventFlagSafety, Actor: complainttest.Agent, Note: "Battery swelling reported."},
		{Event: complaint.EventRefer, Actor: complainttest.Agent, Note: "Lenovo, please call her.",
			Referral: &complaint.Referral{Manufacturer: "Lenovo", Contact: "lenovo-support@example.com"}},
		{Event: complaint.EventResume, Actor: glossary.Actor{ID: "lenovo-desk", Role: glossary.Manufacturer, Manufacturer: "Lenovo"}, Note: "Lenovo: not ours, the panel is Dell's."},
		{Event: complaint.EventRefer, Actor: complainttest.Agent, Note: "Dell, over to you.",
			Referral: &complaint.Referral{Manufacturer: "Dell", Contact: "dell-support@example.com"}},
		{Event: complaint.EventUpdate, Actor: complainttest.Agent, Note: "Dell has your case."},
	}
	for _, s := range steps {
		_, err := f.w.Fire(ctx, c, s)
		require.NoError(t, err, s.Event)
	}
	return f, c, f.rec.Notifications()
}

func TestAudience(t *testing.T) {
	f, c, ns := reReferred(t)
	customer := complainttest.ActorFor(c, glossary.Customer)
	dell := glossary.Actor{ID: "dell-desk", Role: glossary.Manufacturer, Manufacturer: "Dell"}
	lenovo := glossary.Actor{ID: "lenovo-desk", Role: glossary.Manufacturer, Manufacturer: "Lenovo"}
	other := glossary.Actor{ID: "customer-2", Role: glossary.Customer}

	t.Run("staff see everything", func(t *testing.T) {
		for _, a := range []glossary.Actor{complainttest.Agent, complainttest.Reviewer, complainttest.System} {
			au := f.w.Audience(a)
			require.True(t, au.Staff())
			s, ok := au.Complaint(c)
			require.True(t, ok)
			assert.Equal(t, c.Snapshot(), s)
			assert.Equal(t, c.History(), au.Entries(c, c.History()))
			assert.Equal(t, ns, au.Notifications(c, ns))
		}
	})
	t.Run("who sees the case at all", func(t *testing.T) {
		assert.True(t, f.w.Audience(customer).Sees(c))
		assert.True(t, f.w.Audience(glossary.Actor{ID: " CUSTOMER-1", Role: glossary.Customer}).Sees(c), "the same customer")
		assert.False(t, f.w.Audience(other).Sees(c))
		assert.True(t, f.w.Audience(dell).Sees(c))
		assert.False(t, f.w.Audience(lenovo).Sees(c), "no longer referred to Lenovo")
		assert.False(t, complaint.Audience{}.Sees(c), "the zero audience sees nothing")
		_, ok := f.w.Audience(other).Complaint(c)
		assert.False(t, ok)
		assert.Nil(t, f.w.Audience(other).Entries(c, c.History()))
		assert.Nil(t, f.w.Audience(lenovo).Notifications(c, ns))
	})
	t.Run("the customer", func(t *testing.T) {
		au := f.w.Audience(customer)
		s, ok := au.Complaint(c)
		require.True(t, ok)
		raw, err := json.Marshal(s)
		require.NoError(t, err)
		for _, hidden := range []string{"VIP account", "Second complaint", "Battery swelling", "req-open", "req-start", complainttest.Agent.ID} {
			assert.NotContains(t, string(raw), hidden)
		}
		for _, e := range s.History {
			assert.NotEqual(t, complaint.EventInternalNote, e.Event)
			assert.NotEqual(t, complaint.EventFlagSafety, e.Event)
			assert.Empty(t, e.RequestID)
		}
		assert.Contains(t, string(raw), "Dell has your case.", "an update is for the customer")
		assert.Contains(t, string(raw), "dell-support@example.com", "the referral puts the customer in contact")
		for _, n := range au.Notifications(c, ns) {
			assert.Equal(t, glossary.Customer, n.Recipient)
			assert.NotContains(t, n.Data.Note, "VIP", "the acknowledgement does not carry a staff intake note")
		}
	})
	t.Run("the manufacturer of the current referral", func(t *testing.T) {
		au := f.w.Audience(dell)
		s, ok := au.Complaint(c)
		require.True(t, ok)
		raw, err := json.Marshal(s)
		require.NoError(t, err)
		for _, hidden := range []string{"lenovo-support", "Lenovo: not ours", "Lenovo, please call", "VIP account", "Second complaint", "Battery", "req-"} {
			assert.NotContains(t, string(raw), hidden, "Dell does not read Lenovo's referral or staff notes")
		}
		assert.Contains(t, string(raw), "Dell, over to you.")
		assert.Contains(t, string(raw), "karen@example.dk", "the manufacturer can reach the customer")
		assert.Nil(t, s.FinalAnswer)
		assert.Empty(t, s.Deadlines)
		got := au.Notifications(c, ns)
		require.NotEmpty(t, got)
		for _, n := range got {
			assert.Equal(t, glossary.Manufacturer, n.Recipient)
			require.NotNil(t, n.Data.Referral)
			assert.Equal(t, "Dell", n.Data.Referral.Manufacturer, "only the referral to Dell")
		}
	})
}

// TestAudienceExtended: the rules hold for an extended lifecycle: an
// extra staff role sees everything, an extra staff-only event is hidden,
// and a staff-only event that would notify the customer is refused.
func TestAudienceExtended(t *testing.T) {
	lc := withService()
	lc.Events = append(lc.Events, complaint.EventSpec{Event: "triage_note", Labels: map[glossary.Language]string{glossary.English: "triage note"}})
	lc.Rules = append(lc.Rules, complaint.Rule{Event: "triage_note", From: []complaint.State{complaint.StateReceived}, Roles: []glossary.Role{glossary.CustomerService},
		Needs: complaint.NeedsNote, StaffOnly: true})
	w, err := complaint.New(complaint.Options{Lifecycle: &lc})
	require.NoError(t, err)
	c, err := w.Open(ctx, complainttest.Intake())
	require.NoError(t, err)
	_, err = w.Fire(ctx, c, complaint.Input{Event: "triage_note", Actor: complainttest.Agent, Note: "Priority B."})
	require.NoError(t, err)
	tech := glossary.Actor{ID: "tech-1", Role: "technician"}
	assert.True(t, w.Audience(tech).Staff(), "an extended lifecycle's own role is staff")
	assert.Len(t, w.Audience(tech).Entries(c, c.History()), 2)
	assert.Len(t, w.Audience(complainttest.ActorFor(c, glossary.Customer)).Entries(c, c.History()), 1, "the triage note is hidden")

	bad := withService()
	bad.Events = append(bad.Events, complaint.EventSpec{Event: "shout", Labels: map[glossary.Language]string{glossary.English: "shout"}})
	bad.Rules = append(bad.Rules, complaint.Rule{Event: "shout", From: []complaint.State{StateService}, Roles: []glossary.Role{glossary.CustomerService},
		Needs: complaint.NeedsNote, StaffOnly: true, Notify: []complaint.Notice{{Topic: complaint.TopicProgress, To: glossary.Customer}}})
	_, err = complaint.New(complaint.Options{Lifecycle: &bad})
	require.ErrorIs(t, err, complaint.ErrInvalidConfig)
}
