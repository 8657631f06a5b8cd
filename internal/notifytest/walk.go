// Package notifytest walks complaints through every notification the
// reference lifecycle sends, for the tests of package notify and of the
// end-to-end module.
package notifytest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/klageflow/klage/complaint"
	"github.com/klageflow/klage/complaint/complainttest"
	"github.com/klageflow/klage/escalation"
	"github.com/klageflow/klage/glossary"
)

// Sent is a notification a walk produced, with a name for its golden
// file: topic, recipient and what made it (the outcome of an answer or
// decision, else the event).
type Sent struct {
	Name string
	N    complaint.Notification
}

// NewWorkflow returns a workflow with a fake clock, numbered ids, the
// Complaints Department's contact and a recorder for its notifications.
func NewWorkflow(t testing.TB) (*complaint.Workflow, *complainttest.Clock, *complainttest.Recorder) {
	t.Helper()
	clock := complainttest.NewClock(time.Time{})
	rec := &complainttest.Recorder{}
	next := 0
	w, err := complaint.New(complaint.Options{
		Now:                         clock.Now,
		NewID:                       func() string { next++; return fmt.Sprintf("K-%04d", next) },
		Notifier:                    rec,
		ComplaintsDepartmentContact: "klageafdeling@eksempel.dk",
	})
	require.NoError(t, err)
	return w, clock, rec
}

// Walk runs complaints of one customer type in one language through every
// notification the reference lifecycle sends and returns them in order.
func Walk(t testing.TB, typ complaint.CustomerType, lang glossary.Language) []Sent {
	t.Helper()
	w, clock, rec := NewWorkflow(t)
	ctx := context.Background()
	intake := complainttest.Intake()
	intake.Customer.Type, intake.Customer.Language = typ, lang
	if typ == complaint.Business {
		intake.Customer.Name = "Jensen ApS"
	}
	say := func(en, da string) string {
		if lang == glossary.Danish {
			return da
		}
		return en
	}
	var out []Sent
	collect := func(variant string) {
		for _, n := range rec.Notifications() {
			v := variant
			if v == "" {
				v = string(n.Data.Event)
			}
			out = append(out, Sent{Name: fmt.Sprintf("%s.%s.%s", n.Topic, n.Recipient, v), N: n})
		}
		rec.Reset()
	}
	open := func(in complaint.Intake) *complaint.Complaint {
		c, err := w.Open(ctx, in)
		require.NoError(t, err)
		collect("open")
		return c
	}
	fire := func(c *complaint.Complaint, e complaint.Event, r glossary.Role, edit func(*complaint.Input)) {
		t.Helper()
		clock.Advance(time.Hour)
		in := complainttest.InputFor(c, e, r)
		variant := ""
		if edit != nil {
			edit(&in)
		}
		switch {
		case in.Answer != nil:
			variant = string(in.Answer.Outcome)
		case in.Decision != nil:
			variant = string(in.Decision.Outcome)
		}
		_, err := w.Fire(ctx, c, in)
		require.NoError(t, err, "%s by %s", e, r)
		collect(variant)
	}
	cs, cd, cu, mf := glossary.CustomerService, glossary.ComplaintsDepartment, glossary.Customer, glossary.Manufacturer
	replacement := &escalation.Remedy{Kind: escalation.Replacement, Text: say("A new laptop is on its way.", "En ny computer er sendt til dig.")}
	answer := func(o escalation.Outcome, text string, r *escalation.Remedy) func(*complaint.Input) {
		return func(in *complaint.Input) { in.Answer = &complaint.Answer{Outcome: o, Text: text, Remedy: r} }
	}
	decide := func(o escalation.Outcome, text string, r *escalation.Remedy) func(*complaint.Input) {
		return func(in *complaint.Input) {
			in.Decision = &escalation.Decision{Outcome: o, Explanation: text, Remedy: r,
				Findings: []escalation.Finding{{Area: "returns", Description: "Offer a replacement at once for DOA."}}}
		}
	}
	note := func(s string) func(*complaint.Input) { return func(in *complaint.Input) { in.Note = s } }

	// The whole way: asked for information, referred, answered in part,
	// escalated, upheld by the Complaints Department, carried out, closed.
	c := open(intake)
	fire(c, complaint.EventStart, cs, nil)
	fire(c, complaint.EventRequestInfo, cs, note(say("Send us a photo of the serial number label.", "Send os et billede af mærkaten med serienummeret.")))
	fire(c, complaint.EventProvideInfo, cu, note(say("Photo attached.", "Billedet er vedhæftet.")))
	fire(c, complaint.EventRefer, cs, nil)
	fire(c, complaint.EventResume, mf, note(say("The manufacturer confirms the fault.", "Producenten bekræfter fejlen.")))
	fire(c, complaint.EventUpdate, cs, note(say("We expect to answer by Friday.", "Vi regner med at svare senest fredag.")))
	fire(c, complaint.EventAnswer, cs, answer(escalation.PartlyUpheld, say("We repair the laptop instead of replacing it.", "Vi reparerer computeren i stedet for at ombytte den."),
		&escalation.Remedy{Kind: escalation.Repair, Text: say("A free repair.", "Gratis reparation.")}))
	fire(c, complaint.EventEscalate, cu, nil)
	fire(c, complaint.EventReview, cd, decide(escalation.Upheld, say("A DOA laptop is replaced, not repaired.", "En computer, der er defekt ved levering, skal ombyttes, ikke repareres."), replacement))
	fire(c, complaint.EventFulfil, cs, func(in *complaint.Input) { in.Fulfilment.Reference = "GLS 0123456789" })
	fire(c, complaint.EventClose, cd, nil)

	// Rejected, escalated, rejected again, closed.
	c = open(intake)
	fire(c, complaint.EventAnswer, cs, answer(escalation.Rejected, say("The damage was caused by a fall.", "Skaden skyldes et fald."), nil))
	fire(c, complaint.EventEscalate, cu, nil)
	fire(c, complaint.EventReview, cd, decide(escalation.Rejected, say("The photos show impact damage.", "Billederne viser slagskader."), nil))
	fire(c, complaint.EventFlagSafety, cd, note(say("The battery was swollen.", "Batteriet var svulmet op.")))

	// Upheld and accepted.
	c = open(intake)
	fire(c, complaint.EventStart, cs, nil)
	fire(c, complaint.EventAnswer, cs, answer(escalation.Upheld, say("You get a new laptop.", "Du får en ny computer."), replacement))
	fire(c, complaint.EventFulfil, cs, nil)
	fire(c, complaint.EventAccept, cu, nil)

	// Withdrawn while with the manufacturer, and while escalated.
	c = open(intake)
	fire(c, complaint.EventStart, cs, nil)
	fire(c, complaint.EventRefer, cs, nil)
	fire(c, complaint.EventWithdraw, cu, nil)
	c = open(intake)
	fire(c, complaint.EventAnswer, cs, answer(escalation.Rejected, say("The warranty has expired.", "Garantien er udløbet."), nil))
	fire(c, complaint.EventEscalate, cu, nil)
	fire(c, complaint.EventWithdraw, cu, nil)

	// Feedback, and a safety matter at intake.
	fb := intake
	fb.Kind, fb.Product, fb.RemedySought, fb.Description = glossary.Feedback, complaint.Product{}, escalation.Remedy{}, say("The website's returns page is hard to find.", "Siden om returnering er svær at finde på hjemmesiden.")
	open(fb)
	safety := intake
	safety.Safety = true
	late := open(safety)

	// Reminders: the first response is overdue on the last complaint, the
	// review decision on an escalated one.
	c = open(intake)
	fire(c, complaint.EventAnswer, cs, answer(escalation.Rejected, say("The warranty has expired.", "Garantien er udløbet."), nil))
	fire(c, complaint.EventEscalate, cu, nil)
	for _, n := range w.Sweep(clock.Now().Add(60*24*time.Hour), []*complaint.Complaint{late, c}) {
		out = append(out, Sent{Name: fmt.Sprintf("%s.%s.%s", n.Topic, n.Recipient, n.Data.Deadline.Name), N: n})
	}

	// The timers: a customer asked for information is chased, and, with a
	// policy that closes such cases, the case lapses.
	p := w.Policy(typ)
	p.CustomerLapse = complaint.Days(21)
	opts := complaint.Options{Now: clock.Now, Notifier: rec, ComplaintsDepartmentContact: "klageafdeling@eksempel.dk",
		NewID: func() string { return "K-0100" }}
	if typ == complaint.Business {
		opts.BusinessPolicy = &p
	} else {
		opts.ConsumerPolicy = &p
	}
	lw, err := complaint.New(opts)
	require.NoError(t, err)
	c, err = lw.Open(ctx, intake)
	require.NoError(t, err)
	rec.Reset()
	for _, e := range []complaint.Event{complaint.EventStart, complaint.EventRequestInfo} {
		_, err := lw.Fire(ctx, c, complainttest.InputFor(c, e, cs))
		require.NoError(t, err)
	}
	rec.Reset()
	for range 6 {
		clock.Advance(7 * 24 * time.Hour)
		for _, in := range lw.DueTimers(c, clock.Now()) {
			_, err := lw.Fire(ctx, c, in)
			require.NoError(t, err)
			collect(in.Timer)
		}
	}
	return out
}

// Find returns the first notification of topic to the recipient to in
// the walk of typ and lang, or fails the test.
func Find(t testing.TB, typ complaint.CustomerType, lang glossary.Language, topic complaint.Topic, to glossary.Role) complaint.Notification {
	t.Helper()
	for _, s := range Walk(t, typ, lang) {
		if s.N.Topic == topic && s.N.Recipient == to {
			return s.N
		}
	}
	t.Fatalf("no %s to %s", topic, to)
	return complaint.Notification{}
}
