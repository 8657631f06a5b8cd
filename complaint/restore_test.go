package complaint_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/klageflow/klage/complaint"
	"github.com/klageflow/klage/complaint/complainttest"
	"github.com/klageflow/klage/escalation"
	"github.com/klageflow/klage/glossary"
)

func TestSnapshotRoundTrip(t *testing.T) {
	f := newFixture(t, complaint.Options{})
	for _, s := range referenceWorkflow.States() {
		t.Run(string(s), func(t *testing.T) {
			c := complainttest.InState(t, f.w, s, nil)
			data, err := json.Marshal(c)
			require.NoError(t, err)
			back, err := f.w.RestoreJSON(data)
			require.NoError(t, err)
			assert.Equal(t, c.Snapshot(), back.Snapshot())
			again, err := json.Marshal(back)
			require.NoError(t, err)
			assert.JSONEq(t, string(data), string(again))

			// The restored complaint goes on where the original was.
			assert.Equal(t, f.w.Available(ctx, c, complainttest.ActorFor(c, glossary.CustomerService)), f.w.Available(ctx, back, complainttest.ActorFor(back, glossary.CustomerService)))
		})
	}
}

// Restore keeps every field exactly as the snapshot has it, the delivery
// time's zone and undelivered notifications included, in every state.
func TestRestoreKeepsEverything(t *testing.T) {
	cph, err := time.LoadLocation("Europe/Copenhagen")
	require.NoError(t, err)
	w, err := complaint.New(complaint.Options{Now: complainttest.NewClock(time.Time{}).Now}) // no notifier: all stays pending
	require.NoError(t, err)
	in := complainttest.Intake()
	in.Product.DeliveredAt = time.Date(2026, 2, 27, 0, 0, 0, 0, cph)
	for _, st := range referenceWorkflow.States() {
		t.Run(string(st), func(t *testing.T) {
			c := complainttest.InState(t, w, st, &in)
			s := c.Snapshot()
			require.NotEmpty(t, s.Pending)
			back, err := w.Restore(s)
			require.NoError(t, err)
			assert.Equal(t, s, back.Snapshot())
			assert.Same(t, cph, back.Product().DeliveredAt.Location())
		})
	}
}

func TestSnapshotJSONFields(t *testing.T) {
	f := newFixture(t, complaint.Options{NewID: func() string { return "K-7" }})
	c := complainttest.InState(t, f.w, complaint.StateInProgress, nil)
	var m map[string]any
	data, err := json.Marshal(c)
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(data, &m))
	for _, k := range []string{"id", "state", "version", "kind", "channel", "customer", "product", "description",
		"remedy_sought", "created_at", "deadlines", "claim", "history", "final_answer", "referral", "decision"} {
		assert.Contains(t, m, k)
	}
	assert.Equal(t, "in_progress", m["state"])
	assert.Equal(t, "K-7", m["id"])
	h := m["history"].([]any)
	first := h[0].(map[string]any)
	assert.Equal(t, map[string]any{"seq": 1.0, "at": "2026-03-02T08:00:00Z", "event": "open", "from": "", "to": "received",
		"actor": map[string]any{"id": "customer-1", "role": "customer"}}, first)
}

func TestRestoreRefusesBadSnapshots(t *testing.T) {
	f := newFixture(t, complaint.Options{})
	base := complainttest.InState(t, f.w, complaint.StateReviewed, nil).Snapshot()
	cases := []struct {
		name string
		edit func(s *complaint.Snapshot)
	}{
		{"state does not match history", func(s *complaint.Snapshot) { s.State = complaint.StateClosed }},
		{"unknown state", func(s *complaint.Snapshot) { s.State = "lost" }},
		{"version does not match", func(s *complaint.Snapshot) { s.Version = 9 }},
		{"no history", func(s *complaint.Snapshot) { s.History = nil }},
		{"no id", func(s *complaint.Snapshot) { s.ID = "" }},
		{"gap in sequence", func(s *complaint.Snapshot) { s.History[2].Seq = 7 }},
		{"does not open", func(s *complaint.Snapshot) { s.History[0].Event = complaint.EventStart }},
		{"opening time", func(s *complaint.Snapshot) { s.CreatedAt = s.CreatedAt.Add(time.Hour) }},
		{"illegal step", func(s *complaint.Snapshot) {
			s.History[1].Event = complaint.EventReview // received -review-> ? is not allowed
		}},
		{"wrong target", func(s *complaint.Snapshot) { s.History[1].To = complaint.StateClosed }},
		{"from does not follow", func(s *complaint.Snapshot) { s.History[2].From = complaint.StateReceived }},
		{"role may not", func(s *complaint.Snapshot) { s.History[1].Actor = complainttest.Manufacturer }},
		{"unknown role", func(s *complaint.Snapshot) { s.History[1].Actor.Role = "boss" }},
		{"missing time", func(s *complaint.Snapshot) { s.History[2].At = time.Time{} }},
		{"other customer acted", func(s *complaint.Snapshot) { s.History[2].Actor.ID = "customer-2" }},
		{"final answer missing", func(s *complaint.Snapshot) { s.FinalAnswer = nil }},
		{"final answer invalid", func(s *complaint.Snapshot) { s.FinalAnswer = &complaint.Answer{Outcome: "nope", Text: "x"} }},
		{"decision missing", func(s *complaint.Snapshot) { s.Decision = nil }},
		{"decision invalid", func(s *complaint.Snapshot) { s.Decision = &escalation.Decision{Outcome: escalation.Upheld} }},
		{"referral without refer", func(s *complaint.Snapshot) { s.Referral = &complaint.Referral{Contact: "x"} }},
		{"reviewer not impartial", func(s *complaint.Snapshot) { s.History[len(s.History)-1].Actor.ID = complainttest.Agent.ID }},
		{"bad customer type", func(s *complaint.Snapshot) { s.Customer.Type = "" }},
		{"bad kind", func(s *complaint.Snapshot) { s.Kind = "refund" }},
		{"bad pending", func(s *complaint.Snapshot) {
			s.Pending = []complaint.Notification{{Topic: "gossip", Recipient: glossary.Customer, ComplaintID: s.ID, Seq: 1}}
		}},
		{"pending for another complaint", func(s *complaint.Snapshot) {
			s.Pending = []complaint.Notification{{Topic: complaint.TopicProgress, Recipient: glossary.Customer, ComplaintID: "other", Seq: 1}}
		}},
		{"bad deadline", func(s *complaint.Snapshot) {
			s.Deadlines = []complaint.Deadline{{Name: "someday", Owner: glossary.CustomerService}}
		}},
		{"remaining on a met deadline", func(s *complaint.Snapshot) {
			s.Deadlines = []complaint.Deadline{{Name: complaint.DeadlineFirstResponse, Owner: glossary.CustomerService,
				MetAt: s.CreatedAt, Remaining: time.Hour}}
		}},
		{"remaining on a running deadline", func(s *complaint.Snapshot) {
			s.Deadlines = []complaint.Deadline{{Name: complaint.DeadlineFirstResponse, Owner: glossary.CustomerService,
				Due: s.CreatedAt, Remaining: time.Hour}}
		}},
		{"deadline after the year 9999", func(s *complaint.Snapshot) {
			s.Deadlines = []complaint.Deadline{{Name: complaint.DeadlineFirstResponse, Owner: glossary.CustomerService,
				Due: time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)}}
		}},
		{"claim period ends after the year 9999", func(s *complaint.Snapshot) {
			s.Claim.PeriodEnds = time.Date(12000, 1, 1, 0, 0, 0, 0, time.UTC)
		}},
	}
	_, err := f.w.Restore(base)
	require.NoError(t, err, "the unedited snapshot restores")
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := base
			s.History = append([]complaint.Entry(nil), base.History...)
			tc.edit(&s)
			c, err := f.w.Restore(s)
			assert.Nil(t, c)
			require.ErrorIs(t, err, complaint.ErrInvalidSnapshot)
			var se *complaint.SnapshotError
			require.ErrorAs(t, err, &se)
			assert.Contains(t, err.Error(), "complaint: invalid snapshot")
		})
	}
}

func TestRestoreJSONRefusesBadInput(t *testing.T) {
	f := newFixture(t, complaint.Options{})
	good, err := json.Marshal(complainttest.InState(t, f.w, complaint.StateInProgress, nil))
	require.NoError(t, err)
	for name, data := range map[string]string{
		"empty":         "",
		"not json":      "complaint",
		"array":         "[]",
		"unknown field": `{"id":"x","surprise":1}`,
		"bad state":     `{"id":"x","state":"limbo"}`,
		"trailing data": string(good) + "{}",
	} {
		t.Run(name, func(t *testing.T) {
			_, err := f.w.RestoreJSON([]byte(data))
			require.ErrorIs(t, err, complaint.ErrInvalidSnapshot)
		})
	}
}

func TestRestoreSharesNoMemory(t *testing.T) {
	f := newFixture(t, complaint.Options{})
	s := complainttest.InState(t, f.w, complaint.StateReviewed, nil).Snapshot()
	c, err := f.w.Restore(s)
	require.NoError(t, err)
	s.History[0].Note = "changed"
	s.Decision.Explanation = "changed"
	s.Decision.Findings[0].Area = "changed"
	s.FinalAnswer.Text = "changed"
	assert.Empty(t, c.History()[0].Note)
	d, _ := c.Decision()
	assert.NotEqual(t, "changed", d.Explanation)
	assert.NotEqual(t, "changed", d.Findings[0].Area)
	a, _ := c.FinalAnswer()
	assert.NotEqual(t, "changed", a.Text)
}

// TestGrantedRemedySharesNoMemory: the answer's remedy and the claim's
// missing facts are copied at every boundary (the Input, FinalAnswer,
// Snapshot, Restore), so that a store may keep a decoded snapshot and
// restore several complaints from it.
func TestGrantedRemedySharesNoMemory(t *testing.T) {
	ctx := t.Context()
	f := newFixture(t, complaint.Options{})
	c := complainttest.InState(t, f.w, complaint.StateInProgress, nil)
	remedy := &escalation.Remedy{Kind: escalation.Repair, Text: "We repair the hinge."}
	in := complainttest.InputFor(c, complaint.EventAnswer, glossary.CustomerService)
	in.Answer = &complaint.Answer{Outcome: escalation.PartlyUpheld, Text: "We repair it.", Remedy: remedy}
	_, err := f.w.Fire(ctx, c, in)
	require.NoError(t, err)
	remedy.Text = "changed by the caller"

	a, _ := c.FinalAnswer()
	require.NotNil(t, a.Remedy)
	assert.Equal(t, "We repair the hinge.", a.Remedy.Text, "the complaint keeps the Input's remedy")
	a.Remedy.Text = "changed through FinalAnswer"

	s := c.Snapshot()
	require.NotEmpty(t, s.Claim.Missing, "the fixture's intake lacks some facts")
	assert.Equal(t, "We repair the hinge.", s.FinalAnswer.Remedy.Text)
	s.FinalAnswer.Remedy.Text = "changed in the snapshot"
	s.Claim.Missing[0] = "changed in the snapshot"
	assert.Equal(t, "We repair the hinge.", c.Snapshot().FinalAnswer.Remedy.Text)
	assert.NotEqual(t, "changed in the snapshot", c.Snapshot().Claim.Missing[0])

	got := c.ClaimAssessment()
	got.Missing[0] = "changed through ClaimAssessment"
	assert.NotEqual(t, got.Missing[0], c.ClaimAssessment().Missing[0])

	s = c.Snapshot()
	r1, err := f.w.Restore(s)
	require.NoError(t, err)
	r2, err := f.w.Restore(s)
	require.NoError(t, err)
	s.FinalAnswer.Remedy.Text = "changed after Restore"
	s.Claim.Missing[0] = "changed after Restore"
	for _, r := range []*complaint.Complaint{r1, r2} {
		a, _ := r.FinalAnswer()
		assert.Equal(t, "We repair the hinge.", a.Remedy.Text)
		assert.NotEqual(t, "changed after Restore", r.ClaimAssessment().Missing[0])
	}
}
