package complaint_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/klageflow/klage/complaint"
	"github.com/klageflow/klage/complaint/complainttest"
	"github.com/klageflow/klage/glossary"
)

// TestRestoreV1Snapshots restores complaints that klage v1 stored (golden
// files written by v1's code, never rewritten) and goes on with them.
func TestRestoreV1Snapshots(t *testing.T) {
	f := newFixture(t, complaint.Options{})
	files, err := filepath.Glob("testdata/v1/*.json")
	require.NoError(t, err)
	require.Len(t, files, 3)
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			data, err := os.ReadFile(file)
			require.NoError(t, err)
			c, err := f.w.RestoreJSON(data)
			require.NoError(t, err)
			var raw map[string]any
			require.NoError(t, json.Unmarshal(data, &raw))
			assert.Equal(t, raw["state"], string(c.State()))
			assert.EqualValues(t, raw["version"], c.Version())
			assert.Equal(t, "Karen Jensen", c.Customer().Name)
			assert.Len(t, c.History(), c.Version())
			// Written back, it says what v1 said.
			again, err := json.Marshal(c)
			require.NoError(t, err)
			assert.JSONEq(t, string(data), string(again))
		})
	}
	data, err := os.ReadFile("testdata/v1/awaiting_customer.json")
	require.NoError(t, err)
	c, err := f.w.RestoreJSON(data)
	require.NoError(t, err)
	paused := 0
	for _, d := range c.Deadlines() {
		if d.Paused() {
			paused++
		}
	}
	assert.Equal(t, 2, paused, "the paused clocks are restored paused")
	_, err = f.w.Fire(ctx, c, complainttest.InputFor(c, complaint.EventProvideInfo, glossary.Customer))
	require.NoError(t, err, "a v1 complaint goes on under v2")
	assert.Equal(t, complaint.StateInProgress, c.State())
}

// StateService is the extension's extra state: the product is with an
// authorised technician.
const (
	StateService     complaint.State = "service"
	EventSendService complaint.Event = "send_to_service"
	EventBackService complaint.Event = "back_from_service"
	Technician       glossary.Role   = "technician"
)

// withService returns the reference lifecycle with a service step: customer
// service sends the product to a technician from in_progress, and the
// technician (or customer service) brings it back.
func withService() complaint.Lifecycle {
	lc := complaint.Reference()
	lc.States = append(lc.States, complaint.StateSpec{State: StateService, Handler: glossary.CustomerService,
		Labels: map[glossary.Language]string{glossary.Danish: "til service", glossary.English: "at service"}})
	lc.Roles = append(lc.Roles, Technician)
	lc.Events = append(lc.Events,
		complaint.EventSpec{Event: EventSendService, Labels: map[glossary.Language]string{glossary.English: "send to service"}},
		complaint.EventSpec{Event: EventBackService, Labels: map[glossary.Language]string{glossary.English: "back from service"}})
	lc.Rules = append(lc.Rules,
		complaint.Rule{Event: EventSendService, From: []complaint.State{complaint.StateInProgress}, To: StateService,
			Roles: []glossary.Role{glossary.CustomerService}, Needs: complaint.NeedsNote,
			Notify: []complaint.Notice{{Topic: complaint.TopicProgress, To: glossary.Customer}}},
		complaint.Rule{Event: EventBackService, From: []complaint.State{StateService}, To: complaint.StateInProgress,
			Roles:  []glossary.Role{Technician, glossary.CustomerService},
			Notify: []complaint.Notice{{Topic: complaint.TopicProgress, To: glossary.Customer}}},
	)
	// The customer may withdraw while the product is at service.
	w := lc.Find(complaint.EventWithdraw, complaint.StateInProgress)
	w.From = append(w.From, StateService)
	return lc
}

func TestExtendedLifecycleRuns(t *testing.T) {
	lc := withService()
	f := newFixture(t, complaint.Options{Lifecycle: &lc})
	c := complainttest.InState(t, f.w, complaint.StateInProgress, nil)
	tech := glossary.Actor{ID: "tech-1", Role: Technician}

	_, err := f.w.Fire(ctx, c, complaint.Input{Event: EventBackService, Actor: tech})
	require.ErrorIs(t, err, complaint.ErrInvalidTransition, "not at service yet")
	_, err = f.w.Fire(ctx, c, complaint.Input{Event: EventSendService, Actor: tech, Note: "x"})
	require.ErrorIs(t, err, complaint.ErrForbidden, "only customer service sends it")
	_, err = f.w.Fire(ctx, c, complaint.Input{Event: EventSendService, Actor: complainttest.Agent, Note: "Sent to the workshop."})
	require.NoError(t, err)
	assert.Equal(t, StateService, c.State())
	assert.Equal(t, []complaint.Event{complaint.EventWithdraw}, f.w.Available(ctx, c, complainttest.ActorFor(c, glossary.Customer)), "as the extension allows")
	assert.Equal(t, []complaint.Event{EventBackService}, f.w.Available(ctx, c, complainttest.ActorFor(c, Technician)))
	_, err = f.w.Fire(ctx, c, complaint.Input{Event: EventBackService, Actor: tech, Note: "New display fitted."})
	require.NoError(t, err)
	assert.Equal(t, complaint.StateInProgress, c.State())

	// Stored and restored by the same workflow; the reference one refuses
	// it, because service is not in its lifecycle.
	data, err := json.Marshal(c)
	require.NoError(t, err)
	back, err := f.w.RestoreJSON(data)
	require.NoError(t, err)
	assert.Equal(t, c.Snapshot(), back.Snapshot())
	ref := newFixture(t, complaint.Options{})
	_, err = ref.w.RestoreJSON(data)
	assert.ErrorIs(t, err, complaint.ErrInvalidSnapshot)

	// The rest of the process is the reference one.
	for _, e := range []complaint.Event{complaint.EventAnswer, complaint.EventEscalate, complaint.EventReview, complaint.EventFulfil, complaint.EventClose} {
		fireFirst(t, f.w, c, e)
	}
	assert.Equal(t, complaint.StateClosed, c.State())

	diagram, err := f.w.Diagram(complaint.Mermaid)
	require.NoError(t, err)
	assert.Contains(t, diagram, "in_progress --> service: send_to_service")
	assert.Contains(t, diagram, "service --> in_progress: back_from_service")
	assert.Contains(t, diagram, "service --> closed: withdraw")
	assert.Equal(t, "at service", f.w.Label(StateService, glossary.English))
	assert.Equal(t, "til service", f.w.Label(StateService, glossary.Danish))
}

// fireFirst fires e on c by the first role of w's lifecycle that may.
func fireFirst(t *testing.T, w *complaint.Workflow, c *complaint.Complaint, e complaint.Event) {
	t.Helper()
	for _, edge := range w.Edges() {
		if edge.From == c.State() && edge.Event == e {
			for _, r := range edge.Roles {
				if _, err := w.Fire(ctx, c, complainttest.InputFor(c, e, r)); err == nil {
					return
				}
			}
		}
	}
	t.Fatalf("nobody may fire %s in %s", e, c.State())
}

// TestExtendedLifecycleInvariants breaks the lifecycle in each way the
// design forbids and checks that New refuses it, naming the part.
func TestExtendedLifecycleInvariants(t *testing.T) {
	n := len(complaint.Reference().Rules)
	added := fmt.Sprintf("Lifecycle.Rules[%d]", n) // the first rule a case appends
	second := fmt.Sprintf("Lifecycle.Rules[%d]", n+1)
	cases := []struct {
		name    string
		breakIt func(lc *complaint.Lifecycle)
		field   string // what the *ConfigError names
	}{
		{"unknown state in a rule", func(lc *complaint.Lifecycle) {
			lc.Rules = append(lc.Rules, complaint.Rule{Event: complaint.EventUpdate, From: []complaint.State{"limbo"}, Roles: []glossary.Role{glossary.CustomerService}, Needs: complaint.NeedsNote})
		}, added + " (update)"},
		{"duplicate state", func(lc *complaint.Lifecycle) {
			lc.States = append(lc.States, complaint.StateSpec{State: complaint.StateReceived})
		}, "Lifecycle.States[9]"},
		{"malformed name", func(lc *complaint.Lifecycle) {
			lc.States = append(lc.States, complaint.StateSpec{State: "At Service", Labels: map[glossary.Language]string{glossary.English: "x"}})
		}, "Lifecycle.States[9]"},
		{"unknown event", func(lc *complaint.Lifecycle) {
			lc.Rules = append(lc.Rules, complaint.Rule{Event: "teleport", From: []complaint.State{complaint.StateReceived}, To: complaint.StateClosed, Roles: []glossary.Role{glossary.System}})
		}, added + " (teleport)"},
		{"unknown role", func(lc *complaint.Lifecycle) {
			lc.Find(complaint.EventStart, complaint.StateReceived).Roles = []glossary.Role{"intern"}
		}, "Lifecycle.Rules[0] (start)"},
		{"unreachable state", func(lc *complaint.Lifecycle) {
			lc.States = append(lc.States, complaint.StateSpec{State: StateService, Labels: map[glossary.Language]string{glossary.English: "at service"}})
		}, "Lifecycle.States"},
		{"a state that cannot end", func(lc *complaint.Lifecycle) {
			lc.States = append(lc.States, complaint.StateSpec{State: StateService, Labels: map[glossary.Language]string{glossary.English: "at service"}})
			lc.Rules = append(lc.Rules, complaint.Rule{Event: EventSendService, From: []complaint.State{complaint.StateInProgress}, To: StateService, Roles: []glossary.Role{glossary.CustomerService}})
			lc.Events = append(lc.Events, complaint.EventSpec{Event: EventSendService, Labels: map[glossary.Language]string{glossary.English: "send"}})
		}, "Lifecycle.States"},
		{"closed left again", func(lc *complaint.Lifecycle) {
			lc.Rules = append(lc.Rules, complaint.Rule{Event: complaint.EventStart, From: []complaint.State{complaint.StateClosed}, To: complaint.StateInProgress, Roles: []glossary.Role{glossary.CustomerService}})
		}, added + " (start)"},
		{"closed not terminal", func(lc *complaint.Lifecycle) {
			lc.States[len(lc.States)-1].Terminal = false
		}, "Lifecycle.States"},
		{"escalated without a final answer", func(lc *complaint.Lifecycle) {
			lc.Rules = append(lc.Rules, complaint.Rule{Event: EventSendService, From: []complaint.State{complaint.StateInProgress}, To: complaint.StateEscalated, Roles: []glossary.Role{glossary.Customer}})
			lc.Events = append(lc.Events, complaint.EventSpec{Event: EventSendService, Labels: map[glossary.Language]string{glossary.English: "skip"}})
		}, "Lifecycle.Rules"},
		{"review from a state that is not escalated", func(lc *complaint.Lifecycle) {
			lc.Find(complaint.EventReview, complaint.StateEscalated).From = []complaint.State{complaint.StateEscalated, complaint.StateFinalAnswer}
		}, "Lifecycle.Rules[10] (review)"},
		{"a decision without review's impartiality check", func(lc *complaint.Lifecycle) {
			lc.Rules = append(lc.Rules, complaint.Rule{Event: EventSendService, From: []complaint.State{complaint.StateEscalated}, To: complaint.StateReviewed, Roles: []glossary.Role{glossary.ComplaintsDepartment}, Needs: complaint.NeedsDecision})
			lc.Events = append(lc.Events, complaint.EventSpec{Event: EventSendService, Labels: map[glossary.Language]string{glossary.English: "decide"}})
		}, added + " (send_to_service)"},
		{"out of the Complaints Department's hands without a review", func(lc *complaint.Lifecycle) {
			lc.Rules = append(lc.Rules, complaint.Rule{Event: EventSendService, From: []complaint.State{complaint.StateEscalated}, To: complaint.StateReviewed, Roles: []glossary.Role{glossary.ComplaintsDepartment}})
			lc.Events = append(lc.Events, complaint.EventSpec{Event: EventSendService, Labels: map[glossary.Language]string{glossary.English: "decide"}})
		}, added + " (send_to_service)"},
		{"customer service in an escalated state", func(lc *complaint.Lifecycle) {
			r := lc.Find(complaint.EventUpdate, complaint.StateEscalated)
			r.Roles = append(r.Roles, glossary.CustomerService)
		}, "Lifecycle.Rules[15] (update)"},
		{"customer service in an escalated extra state", func(lc *complaint.Lifecycle) {
			lc.States = append(lc.States, complaint.StateSpec{State: "expert_opinion", Escalated: true, Labels: map[glossary.Language]string{glossary.English: "expert opinion"}})
			lc.Events = append(lc.Events, complaint.EventSpec{Event: "ask_expert", Labels: map[glossary.Language]string{glossary.English: "ask an expert"}},
				complaint.EventSpec{Event: "expert_done", Labels: map[glossary.Language]string{glossary.English: "expert done"}})
			lc.Rules = append(lc.Rules,
				complaint.Rule{Event: "ask_expert", From: []complaint.State{complaint.StateEscalated}, To: "expert_opinion", Roles: []glossary.Role{glossary.ComplaintsDepartment}},
				complaint.Rule{Event: "expert_done", From: []complaint.State{"expert_opinion"}, To: complaint.StateEscalated, Roles: []glossary.Role{glossary.CustomerService}})
		}, second + " (expert_done)"},
		{"an event that loops", func(lc *complaint.Lifecycle) {
			lc.Find(complaint.EventStart, complaint.StateReceived).To = complaint.StateReceived
		}, "Lifecycle.Rules[0] (start)"},
		{"two rows for one cell", func(lc *complaint.Lifecycle) {
			lc.Rules = append(lc.Rules, complaint.Rule{Event: complaint.EventStart, From: []complaint.State{complaint.StateReceived}, To: complaint.StateInProgress, Roles: []glossary.Role{glossary.System}})
		}, added + " (start)"},
		{"no review", func(lc *complaint.Lifecycle) {
			lc.Rules = slices.DeleteFunc(lc.Rules, func(r complaint.Rule) bool { return r.Event == complaint.EventReview })
		}, "Lifecycle.Rules"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			lc := complaint.Reference()
			tc.breakIt(&lc)
			_, err := complaint.New(complaint.Options{Lifecycle: &lc})
			var ce *complaint.ConfigError
			require.ErrorAs(t, err, &ce)
			assert.True(t, errors.Is(err, complaint.ErrInvalidConfig))
			assert.Equal(t, tc.field, ce.Field, "%v", err)
		})
	}
	// The reference lifecycle, and the one extended with service, pass.
	for _, lc := range []complaint.Lifecycle{complaint.Reference(), withService()} {
		_, err := complaint.New(complaint.Options{Lifecycle: &lc})
		assert.NoError(t, err)
	}
}

// TestReferenceIsACopy: changing what Reference returns changes neither
// the next Reference nor a workflow built before.
func TestReferenceIsACopy(t *testing.T) {
	lc := complaint.Reference()
	f := newFixture(t, complaint.Options{Lifecycle: &lc})
	lc.Find(complaint.EventStart, complaint.StateReceived).Roles[0] = glossary.System
	lc.States[1].Handler = ""
	fresh, kept := complaint.Reference(), f.w.Lifecycle()
	assert.Equal(t, []glossary.Role{glossary.CustomerService}, fresh.Find(complaint.EventStart, complaint.StateReceived).Roles)
	assert.Equal(t, []glossary.Role{glossary.CustomerService}, kept.Find(complaint.EventStart, complaint.StateReceived).Roles)
	c := complainttest.InState(t, f.w, complaint.StateReceived, nil)
	assert.True(t, f.w.Can(ctx, c, complaint.EventStart, complainttest.ActorFor(c, glossary.CustomerService)))
}

func swedish() complaint.Translation {
	return complaint.Translation{
		Language: "sv",
		States: map[complaint.State]string{complaint.StateReceived: "mottagen", complaint.StateInProgress: "under behandling",
			complaint.StateFinalAnswer: "slutligt svar"},
		Terms:                  map[glossary.Term]string{glossary.Claim: "reklamation"},
		EscalationInstructions: "Om du inte är nöjd med vårt slutliga svar kan du vända dig till vår klageavdelning.",
	}
}

// TestTranslation adds Swedish through the API: labels in Swedish where
// given, English where not (reported by MissingLabels), Swedish customers
// accepted and told in Swedish how to escalate.
func TestTranslation(t *testing.T) {
	f := newFixture(t, complaint.Options{Translations: []complaint.Translation{swedish()}})
	assert.Equal(t, "mottagen", f.w.Label(complaint.StateReceived, "sv"))
	assert.Equal(t, "reklamation", f.w.Label(glossary.Claim, "sv"))
	assert.Equal(t, "escalated", f.w.Label(complaint.StateEscalated, "sv"), "falls back to English")
	assert.Equal(t, "modtaget", f.w.Label(complaint.StateReceived, glossary.Danish), "the shipped labels stay")
	assert.Equal(t, []glossary.Language{glossary.Danish, glossary.English, "sv"}, f.w.Languages())

	missing := f.w.MissingLabels("sv")
	assert.Contains(t, missing, "state escalated")
	assert.Contains(t, missing, "event review")
	assert.Contains(t, missing, "outcome rejected")
	assert.NotContains(t, missing, "state received")
	assert.NotContains(t, missing, "escalation instructions")
	assert.Empty(t, f.w.MissingLabels(glossary.Danish), "Danish ships complete")
	assert.Empty(t, f.w.MissingLabels(glossary.English), "English ships complete")
	assert.Contains(t, f.w.MissingLabels("fi"), "escalation instructions")

	in := complainttest.Intake()
	in.Customer.Language = "sv"
	c, err := f.w.Open(ctx, in)
	require.NoError(t, err)
	_, err = f.w.Fire(ctx, c, complainttest.InputFor(c, complaint.EventAnswer, glossary.CustomerService))
	require.NoError(t, err)
	ns := f.rec.Notifications()
	last := ns[len(ns)-1]
	assert.Equal(t, glossary.Language("sv"), last.Data.Language)
	require.NotNil(t, last.Data.Escalation)
	assert.Equal(t, swedish().EscalationInstructions, last.Data.Escalation.Instructions)

	in.Customer.Language = "fi"
	_, err = f.w.Open(ctx, in)
	var ie *complaint.InputError
	require.ErrorAs(t, err, &ie, "a language the workflow does not write in is refused")
	assert.Equal(t, "customer.language", ie.Field)
}

func TestTranslationRefused(t *testing.T) {
	for name, tr := range map[string]complaint.Translation{
		"not a code":    {Language: "Swedish"},
		"unknown state": {Language: "sv", States: map[complaint.State]string{"service": "service"}},
		"unknown role":  {Language: "sv", Roles: map[glossary.Role]string{"technician": "tekniker"}},
	} {
		_, err := complaint.New(complaint.Options{Translations: []complaint.Translation{tr}})
		assert.ErrorIs(t, err, complaint.ErrInvalidConfig, name)
	}
	_, err := complaint.New(complaint.Options{Translations: []complaint.Translation{swedish(), swedish()}})
	assert.ErrorIs(t, err, complaint.ErrInvalidConfig, "two translations for one language")
}

// TestZeroWorkflow: the zero Workflow runs as New(Options{}) would, and a
// nil one too, without panicking.
func TestZeroWorkflow(t *testing.T) {
	for name, w := range map[string]*complaint.Workflow{"zero": {}, "nil": nil} {
		t.Run(name, func(t *testing.T) {
			c, err := w.Open(ctx, complainttest.Intake())
			require.NoError(t, err)
			assert.True(t, w.Can(ctx, c, complaint.EventStart, complainttest.ActorFor(c, glossary.CustomerService)))
			assert.Equal(t, []complaint.Event{complaint.EventStart, complaint.EventAnswer, complaint.EventWithdraw,
				complaint.EventInternalNote, complaint.EventReclassify, complaint.EventFlagSafety}, w.Available(ctx, c, complainttest.ActorFor(c, glossary.CustomerService)))
			_, err = w.Fire(ctx, c, complainttest.InputFor(c, complaint.EventStart, glossary.CustomerService))
			require.NoError(t, err)
			back, err := w.Restore(c.Snapshot())
			require.NoError(t, err)
			assert.Equal(t, c.Snapshot(), back.Snapshot())
			assert.Len(t, c.Pending(), 2, "no notifier: they wait on the complaint")
			assert.Equal(t, referenceWorkflow.Edges(), w.Edges())
			assert.Equal(t, "modtaget", w.Label(complaint.StateReceived, glossary.Danish))
		})
	}
}

// TestCheckAndCanAgree: for every (state, event, role), Can says yes
// exactly when Check accepts the helpers' input by that role, so a menu
// built from Available never offers what Fire refuses.
func TestCheckAndCanAgree(t *testing.T) {
	f := newFixture(t, complaint.Options{})
	for _, p := range complainttest.Pairs(f.w) {
		c := complainttest.InState(t, f.w, p.From, nil)
		for _, r := range f.w.Lifecycle().Roles {
			err := f.w.Check(ctx, c, complainttest.InputFor(c, p.Event, r))
			assert.Equal(t, err == nil, f.w.Can(ctx, c, p.Event, complainttest.ActorFor(c, r)), "%s in %s by %s: Check says %v", p.Event, p.From, r, err)
			assert.Equal(t, err == nil, slices.Contains(f.w.Available(ctx, c, complainttest.ActorFor(c, r)), p.Event), "Available(%s) in %s", r, p.From)
		}
	}
}

// TestSafetyAndContact: a complaint flagged as a safety matter, at intake
// or later (once), tells the Complaints Department at once; a consumer
// with no e-mail or postal address is accepted and flagged.
func TestSafetyAndContact(t *testing.T) {
	f := newFixture(t, complaint.Options{})
	in := complainttest.Intake()
	in.Safety = true
	c, err := f.w.Open(ctx, in)
	require.NoError(t, err)
	assert.True(t, c.Safety())
	ns := f.rec.Notifications()
	require.Len(t, ns, 2)
	assert.Equal(t, complaint.TopicSafety, ns[1].Topic)
	assert.Equal(t, glossary.ComplaintsDepartment, ns[1].Recipient)

	d := complainttest.InState(t, f.w, complaint.StateInProgress, nil)
	assert.False(t, d.Safety())
	f.rec.Reset()
	flag := complaint.Input{Event: complaint.EventFlagSafety, Actor: complainttest.Agent, Note: "The charger overheats."}
	_, err = f.w.Fire(ctx, d, flag)
	require.NoError(t, err)
	assert.True(t, d.Safety())
	require.Len(t, f.rec.Notifications(), 1)
	assert.Equal(t, glossary.ComplaintsDepartment, f.rec.Notifications()[0].Recipient)
	_, err = f.w.Fire(ctx, d, flag)
	assert.ErrorIs(t, err, complaint.ErrInvalidInput, "flagged once")
	back, err := f.w.Restore(d.Snapshot())
	require.NoError(t, err)
	assert.True(t, back.Safety(), "the flag is kept")

	phone := complainttest.Intake()
	phone.Channel, phone.Customer.Email, phone.Customer.Address = glossary.Phone, "", ""
	p, err := f.w.Open(ctx, phone)
	require.NoError(t, err, "accepted")
	assert.True(t, p.NoWrittenContact(), "but flagged")
	phone.Customer.Address = "Strandvejen 1, 2900 Hellerup"
	p, err = f.w.Open(ctx, phone)
	require.NoError(t, err)
	assert.False(t, p.NoWrittenContact())
	business := complainttest.Intake()
	business.Customer.Type, business.Customer.Email = complaint.Business, ""
	p, err = f.w.Open(ctx, business)
	require.NoError(t, err)
	assert.False(t, p.NoWrittenContact(), "the written duty is to consumers")
}

// TestExtendedLifecycleFacts: the rules the reference lifecycle gets from
// its facts apply to an extension's own states and events, named nowhere
// in the library: a terminal state of its own refuses everything as
// closed; an event of its own that ends a case in final_answer without
// the customer's decision waits for the escalation window, like close;
// an event marked Safety flags the complaint once.
func TestExtendedLifecycleFacts(t *testing.T) {
	const (
		scrapped complaint.State = "scrapped"
		scrap    complaint.Event = "scrap"
		recall   complaint.Event = "recall"
	)
	lc := complaint.Reference()
	lc.States = append(lc.States, complaint.StateSpec{State: scrapped, Terminal: true,
		Labels: map[glossary.Language]string{glossary.English: "scrapped"}})
	lc.Events = append(lc.Events,
		complaint.EventSpec{Event: scrap, Labels: map[glossary.Language]string{glossary.English: "scrap"}},
		complaint.EventSpec{Event: recall, Labels: map[glossary.Language]string{glossary.English: "recall"}})
	cs := []glossary.Role{glossary.CustomerService}
	lc.Rules = append(lc.Rules,
		complaint.Rule{Event: scrap, From: []complaint.State{complaint.StateInProgress, complaint.StateFinalAnswer}, To: scrapped, Roles: cs,
			Notify: []complaint.Notice{{Topic: complaint.TopicClosed, To: glossary.Customer}}},
		complaint.Rule{Event: recall, From: []complaint.State{complaint.StateInProgress}, Roles: cs, Needs: complaint.NeedsNote, Safety: true,
			StaffOnly: true, Notify: []complaint.Notice{{Topic: complaint.TopicSafety, To: glossary.ComplaintsDepartment}}})
	f := newFixture(t, complaint.Options{Lifecycle: &lc})

	t.Run("terminal", func(t *testing.T) {
		c := complainttest.InState(t, f.w, complaint.StateInProgress, nil)
		_, err := f.w.Fire(ctx, c, complaint.Input{Event: scrap, Actor: complainttest.Agent})
		require.NoError(t, err)
		_, err = f.w.Fire(ctx, c, complaint.Input{Event: complaint.EventUpdate, Actor: complainttest.Agent, Note: "x"})
		require.ErrorIs(t, err, complaint.ErrClosed, "scrapped is terminal")
		require.ErrorIs(t, err, complaint.ErrInvalidTransition)
	})
	t.Run("window", func(t *testing.T) {
		c := complainttest.InState(t, f.w, complaint.StateFinalAnswer, nil)
		_, err := f.w.Fire(ctx, c, complaint.Input{Event: scrap, Actor: complainttest.Agent})
		require.ErrorIs(t, err, complaint.ErrInvalidTransition, "the customer may still escalate")
		assert.ErrorContains(t, err, "escalation window is open")
		f.clock.Advance(365 * 24 * time.Hour)
		_, err = f.w.Fire(ctx, c, complaint.Input{Event: scrap, Actor: complainttest.Agent})
		require.NoError(t, err, "the window has lapsed")
		assert.Equal(t, scrapped, c.State())
	})
	t.Run("safety", func(t *testing.T) {
		c := complainttest.InState(t, f.w, complaint.StateInProgress, nil)
		require.False(t, c.Safety())
		_, err := f.w.Fire(ctx, c, complaint.Input{Event: recall, Actor: complainttest.Agent, Note: "Batch recalled."})
		require.NoError(t, err)
		assert.True(t, c.Safety())
		_, err = f.w.Fire(ctx, c, complaint.Input{Event: recall, Actor: complainttest.Agent, Note: "Again."})
		require.ErrorIs(t, err, complaint.ErrInvalidInput, "flagged once")
	})
}
