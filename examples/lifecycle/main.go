// Command lifecycle walks complaints through the paths of klage's
// lifecycle and prints a timeline of states, actors, deadlines and
// notifications.
//
//	go run ./examples/lifecycle                       # SQLite, in a temporary folder
//	go run ./examples/lifecycle -sqlite klage.db      # SQLite, in a file you keep
//	go run ./examples/lifecycle -postgres postgres://user@127.0.0.1:5432/klage
//
// Complaints are kept in a store; every transition writes its notifications
// to the store's outbox in the same transaction, and a relay delivers them.
// It ends with a short report of the complaints it ran, computed by the
// store. It runs on a simulated clock, so the output is the same on every
// run.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/klageflow/klage/complaint"
	"github.com/klageflow/klage/complaint/complainttest"
	"github.com/klageflow/klage/escalation"
	"github.com/klageflow/klage/glossary"
	"github.com/klageflow/klage/store"
	"github.com/klageflow/klage/store/postgres"
	"github.com/klageflow/klage/store/sqlite"
)

func main() {
	pg := flag.String("postgres", "", "run on the PostgreSQL database at this URL instead of SQLite")
	lite := flag.String("sqlite", "", "run on this SQLite file (default: a new file in a temporary folder)")
	flag.Parse()
	if err := demo(*pg, *lite); err != nil {
		fmt.Fprintln(os.Stderr, "lifecycle:", err)
		os.Exit(1)
	}
}

// demo runs the scenarios on PostgreSQL at pg, or on SQLite at lite, or on
// a SQLite file in a temporary folder that it removes after.
func demo(pg, lite string) (err error) {
	dsn := pg
	if dsn == "" {
		dsn = lite
	}
	if dsn == "" {
		dir, err := os.MkdirTemp("", "klage-lifecycle-")
		if err != nil {
			return err
		}
		defer func() { err = errors.Join(err, os.RemoveAll(dir)) }()
		dsn = filepath.Join(dir, "klage.db")
	}
	return run(context.Background(), os.Stdout, dsn)
}

var (
	agent    = glossary.Actor{ID: "anna", Role: glossary.CustomerService}
	reviewer = glossary.Actor{ID: "mette", Role: glossary.ComplaintsDepartment}
	lenovo   = glossary.Actor{ID: "lenovo-support", Role: glossary.Manufacturer, Manufacturer: "Lenovo"}
)

// step is one event of a scenario, fired after the clock has moved on by
// wait. A step without an event lets time pass and runs the timers
// instead (store.Timers): reminders, a customer chased, a lapsed window
// closed, each by the system.
type step struct {
	wait time.Duration
	in   func(customer glossary.Actor) complaint.Input
}

func tick(wait time.Duration) step { return step{wait: wait} }

func do(wait time.Duration, e complaint.Event, actor *glossary.Actor, note string) step {
	return step{wait: wait, in: func(customer glossary.Actor) complaint.Input {
		a := customer
		if actor != nil {
			a = *actor
		}
		return complaint.Input{Event: e, Actor: a, Note: note}
	}}
}

// answer gives customer service's final answer, granting remedy (none for
// a rejection).
func answer(wait time.Duration, o escalation.Outcome, text string, remedy escalation.RemedyKind) step {
	return step{wait: wait, in: func(glossary.Actor) complaint.Input {
		a := &complaint.Answer{Outcome: o, Text: text}
		if remedy != "" {
			a.Remedy = &escalation.Remedy{Kind: remedy}
		}
		return complaint.Input{Event: complaint.EventAnswer, Actor: agent, Answer: a}
	}}
}

// fulfil records that by carried out the remedy granted, with a reference.
func fulfil(wait time.Duration, by glossary.Actor, remedy escalation.RemedyKind, ref string) step {
	return step{wait: wait, in: func(glossary.Actor) complaint.Input {
		return complaint.Input{Event: complaint.EventFulfil, Actor: by,
			Fulfilment: &complaint.Fulfilment{Remedy: remedy, Reference: ref}}
	}}
}

type scenario struct {
	title  string
	intake complaint.Intake
	steps  []step
}

func scenarios() []scenario {
	intake := func(id, name string, kind glossary.Term, ch glossary.Channel, product string) complaint.Intake {
		return complaint.Intake{
			ID:       id,
			Customer: complaint.Customer{ID: "cust-" + strings.ToLower(name), Name: name, Email: strings.ToLower(name) + "@example.dk", Type: complaint.Consumer},
			Channel:  ch, Kind: kind,
			Product:      complaint.Product{SKU: "SKU-" + id, Name: product, Manufacturer: "Lenovo", DeliveredAt: time.Date(2026, 2, 20, 12, 0, 0, 0, time.UTC)},
			Description:  "Problem with " + product + ".",
			RemedySought: escalation.Remedy{Text: "Repair or replacement."},
		}
	}
	h := time.Hour
	return []scenario{
		{"Resolved at once", intake("K-101", "Karen", glossary.Support, glossary.Phone, "Wi-Fi router"), []step{
			answer(20*time.Minute, escalation.Upheld, "Reset the router to factory settings; it works again.", escalation.OtherRemedy),
			fulfil(5*time.Minute, agent, escalation.OtherRemedy, "call 2026-0302-17"),
			do(h, complaint.EventAccept, nil, "Thanks, it works."),
		}},
		{"Accepted after work, with a late first response", intake("K-102", "Lars", glossary.Claim, glossary.Email, "Monitor 27\""), []step{
			tick(26 * h), // the first response lapses: customer service is reminded
			do(2*h, complaint.EventStart, &agent, ""),
			do(48*h, complaint.EventUpdate, &agent, "Our workshop is testing the monitor."),
			answer(24*h, escalation.Upheld, "A dead pixel cluster: we replace the monitor.", escalation.Replacement),
			fulfil(48*h, agent, escalation.Replacement, "GLS 5170 2233 9981"),
			do(2*h, complaint.EventAccept, nil, ""),
		}},
		{"Referred to the manufacturer and back", intake("K-103", "Mads", glossary.Warranty, glossary.Web, "ThinkPad X1"), []step{
			do(2*h, complaint.EventStart, &agent, ""),
			{wait: h, in: func(glossary.Actor) complaint.Input {
				return complaint.Input{Event: complaint.EventRefer, Actor: agent,
					Referral: &complaint.Referral{Contact: "Lenovo Premier Support, +45 00 00 00 00"}}
			}},
			do(72*h, complaint.EventUpdate, &agent, "Lenovo has booked an on-site technician."),
			fulfil(47*h, lenovo, escalation.Repair, "Lenovo repair order RO-88213"),
			do(h, complaint.EventResume, &lenovo, "Mainboard replaced on site."),
			answer(2*h, escalation.Upheld, "Repaired under the manufacturer's warranty.", escalation.Repair),
			do(24*h, complaint.EventAccept, nil, ""),
		}},
		{"Information requested", intake("K-104", "Nina", glossary.DOA, glossary.Chat, "Tablet"), []step{
			do(h, complaint.EventStart, &agent, ""),
			do(h, complaint.EventRequestInfo, &agent, "Please send a photo of the serial number label."),
			tick(20 * 24 * h), // the customer is chased after 7 and 14 days; paused clocks remind nobody
			do(h, complaint.EventProvideInfo, nil, "Photo attached."),
			answer(4*h, escalation.PartlyUpheld, "A replacement tablet is on its way; the case was not covered.", escalation.Replacement),
			fulfil(20*h, agent, escalation.Replacement, "PostNord 00370712345678"),
			do(4*h, complaint.EventAccept, nil, ""),
		}},
		{"Escalated and reviewed", intake("K-105", "Ole", glossary.Claim, glossary.Email, "Laptop"), []step{
			do(5*h, complaint.EventStart, &agent, ""),
			answer(24*h, escalation.Rejected, "The crack in the hinge is damage from a fall.", ""),
			do(72*h, complaint.EventEscalate, nil, "There was no fall; the hinge was weak."),
			tick(80 * h), // the department is reminded of its progress update
			do(16*h, complaint.EventUpdate, &reviewer, "We have asked the workshop for its report."),
			{wait: 72 * h, in: func(glossary.Actor) complaint.Input {
				return complaint.Input{Event: complaint.EventReview, Actor: reviewer, Decision: &escalation.Decision{
					Outcome:     escalation.PartlyUpheld,
					Explanation: "No sign of a fall was documented; the repair is free of charge, the claimed compensation is not granted.",
					Findings: []escalation.Finding{
						{Area: "workshop", Description: "Photograph damage before deciding that a fall caused it."},
						{Area: "customer service", Description: "Explain how to escalate in the first answer."},
					},
					Remedy: &escalation.Remedy{Kind: escalation.Repair, Text: "The hinge is repaired free of charge."}}}
			}},
			fulfil(30*h, agent, escalation.Repair, "workshop order W-4471"),
			do(h, complaint.EventClose, &reviewer, "Decision sent."),
		}},
		{"Withdrawn", intake("K-106", "Pia", glossary.Service, glossary.Phone, "Printer"), []step{
			do(2*h, complaint.EventStart, &agent, ""),
			do(5*h, complaint.EventWithdraw, nil, "Found the problem myself: a jammed sheet."),
		}},
		{"Closed by the system after the escalation window", intake("K-107", "Rasmus", glossary.Claim, glossary.Email, "Headset"), []step{
			answer(6*h, escalation.Rejected, "Wear and tear is not covered.", ""),
			tick(62 * 24 * h), // the window lapses: the timers close the case
		}},
	}
}

// printer prints notifications as they are delivered.
type printer struct{ w io.Writer }

// Notify prints one line per notification, with what its recipient needs.
func (p printer) Notify(_ context.Context, n complaint.Notification) error {
	var b strings.Builder
	fmt.Fprintf(&b, "      -> notify %-21s %s", n.Recipient, n.Topic)
	if a := n.Data.Answer; a != nil && n.Topic == complaint.TopicFinalAnswer {
		fmt.Fprintf(&b, ": %s, %q", a.Outcome.Label(glossary.English), a.Text)
	}
	if d := n.Data.Decision; d != nil {
		fmt.Fprintf(&b, ": %s", d.Outcome.Label(glossary.English))
	}
	if a := n.Data.Answer; a != nil && a.Remedy != nil && n.Topic == complaint.TopicFinalAnswer {
		fmt.Fprintf(&b, ", grants %s", a.Remedy.Kind.Label(glossary.English))
	}
	if d := n.Data.Decision; d != nil && d.Remedy != nil {
		fmt.Fprintf(&b, ", grants %s", d.Remedy.Kind.Label(glossary.English))
	}
	if f := n.Data.Fulfilment; f != nil {
		fmt.Fprintf(&b, ": %s carried out, %s", f.Remedy.Label(glossary.English), f.Reference)
	}
	if d := n.Data; d.Escalation != nil {
		fmt.Fprintf(&b, " (may escalate")
		if !d.Escalation.Until.IsZero() {
			// The window ends at midnight after the last day it includes.
			last := d.Escalation.Until.In(complaint.DanishConsumerPolicy().Location).Add(-time.Nanosecond)
			fmt.Fprintf(&b, " until %s", last.Format("2 Jan 2006"))
		}
		fmt.Fprintf(&b, ")")
	}
	if len(n.Data.ComplaintBodies) > 0 {
		fmt.Fprintf(&b, " [complaint body: %s]", n.Data.ComplaintBodies[0].Name)
	}
	if n.Data.Referral != nil && n.Recipient == glossary.Customer {
		fmt.Fprintf(&b, " [contact %s]", n.Data.Referral.Contact)
	}
	b.WriteByte('\n')
	_, err := io.WriteString(p.w, b.String()) // a notifier that cannot deliver says so
	return err
}

// run plays the scenarios on the store at dsn: a postgres:// URL or the
// path of a SQLite file.
func run(ctx context.Context, out io.Writer, dsn string) (err error) {
	clock := complainttest.NewClock(time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC))
	cph := complaint.DanishConsumerPolicy().Location
	seen := map[string][]complaint.Deadline{} // each complaint's deadlines after its last transition
	// No Notifier: with a store, notifications go to its outbox and the
	// relay below delivers them.
	w, err := complaint.New(complaint.Options{
		Now:                         clock.Now,
		ComplaintsDepartmentContact: "klageafdeling@example.dk",
		// An after hook runs once a transition is applied, before its
		// notifications are delivered: the timeline prints each entry there.
		Hooks: []complaint.Hook{{
			Name: "timeline",
			After: func(_ context.Context, c complaint.View, t complaint.Transition) {
				printEntry(out, t.Entry, cph)
				now := c.Deadlines()
				printDeadlines(out, seen[c.ID()], now, cph)
				seen[c.ID()] = now
			},
		}},
	})
	if err != nil {
		return err
	}
	var s *store.SQL
	if strings.HasPrefix(dsn, "postgres://") {
		s, err = postgres.Open(ctx, w, dsn)
	} else {
		s, err = sqlite.Open(ctx, w, dsn)
	}
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, s.Close()) }()
	relay := &store.Relay{Outbox: s, Notifier: printer{out}, Now: clock.Now}
	timers := &store.Timers{Store: s, Workflow: w}
	deliver := func() error {
		_, err := relay.RunOnce(ctx)
		return err
	}
	from := clock.Now()
	for _, sc := range scenarios() {
		fmt.Fprintf(out, "== %s ==\n", sc.title)
		c, err := store.Receive(ctx, s, w, sc.intake)
		if errors.Is(err, store.ErrExists) {
			return fmt.Errorf("complaint %s is already in this database: run the demo on an empty one", sc.intake.ID)
		}
		if err != nil {
			return fmt.Errorf("%s: open: %w", sc.title, err)
		}
		if err := deliver(); err != nil {
			return err
		}
		if a := c.ClaimAssessment(); a.Known {
			fmt.Fprintf(out, "      claim: within the claim period until %s: %t; presumption of a defect at delivery: %t\n",
				a.PeriodEnds.In(cph).Add(-time.Minute).Format("2 Jan 2006"), a.WithinPeriod, a.PresumptionApplies)
		}
		for _, st := range sc.steps {
			if st.in != nil {
				clock.Advance(st.wait)
			}
			if st.in == nil {
				// Time passes by the hour, and the timer runner acts when a
				// timer falls due, as it would in a service.
				for end := clock.Now(); ; {
					p, err := timers.RunOnce(ctx)
					if err != nil {
						return err
					}
					if p.Acted > 0 {
						if err := deliver(); err != nil {
							return err
						}
					}
					if !clock.Now().Before(end.Add(st.wait)) {
						break
					}
					clock.Advance(time.Hour)
				}
				if c, err = s.Get(ctx, c.ID()); err != nil {
					return err
				}
				continue
			}
			customer := glossary.Actor{ID: c.Customer().ID, Role: glossary.Customer}
			c, _, err = store.Fire(ctx, s, w, c.ID(), st.in(customer), store.FireOptions{})
			if err != nil {
				return fmt.Errorf("%s: %w", sc.title, err)
			}
			if err := deliver(); err != nil {
				return err
			}
		}
		if d, ok := c.Decision(); ok {
			for _, f := range d.Findings {
				fmt.Fprintf(out, "   improvement (%s): %s\n", f.Area, f.Description)
			}
		}
		fmt.Fprintf(out, "   %s: %s after %d steps\n\n", c.ID(), c.State().Label(glossary.English), c.Version())
		clock.Advance(24 * time.Hour)
	}
	rep, err := s.Report(ctx, store.ReportQuery{From: from, To: clock.Now()})
	if err != nil {
		return err
	}
	printReport(out, w, rep)
	return nil
}

// printReport prints a short report of the complaints the demo ran, as the
// Complaints Department reads it for its improvement work.
func printReport(out io.Writer, w *complaint.Workflow, r store.Report) {
	en := glossary.English
	fmt.Fprintf(out, "== report: %d opened, %d closed, %d still open ==\n", r.Opened, r.Closed, r.Open)
	list := func(title string, m map[string]int) {
		var parts []string
		for _, k := range slices.Sorted(maps.Keys(m)) {
			parts = append(parts, fmt.Sprintf("%s %d", k, m[k]))
		}
		fmt.Fprintf(out, "   %-22s %s\n", title+":", strings.Join(parts, ", "))
	}
	kinds, outcomes, breached := map[string]int{}, map[string]int{}, []string{}
	for k, n := range r.ByKind {
		kinds[k.Label(en)] = n
	}
	for o, n := range r.ByOutcome {
		outcomes[w.Label(o, en)] = n
	}
	list("kinds", kinds)
	list("outcomes", outcomes)
	fmt.Fprintf(out, "   %-22s escalated %.0f%% of final answers, overturned %.0f%% of reviews, withdrawn %.0f%% of closed\n", "rates:",
		r.EscalationRate*100, r.OverturnRate*100, r.WithdrawalRate*100)
	for _, n := range slices.Sorted(maps.Keys(r.BreachRate)) {
		if r.BreachRate[n] > 0 {
			breached = append(breached, fmt.Sprintf("%s %.0f%%", w.Label(n, en), r.BreachRate[n]*100))
		}
	}
	if len(breached) == 0 {
		breached = append(breached, "none")
	}
	fmt.Fprintf(out, "   %-22s %s\n", "clocks breached:", strings.Join(breached, ", "))
	fmt.Fprintf(out, "   %-22s median %s, 90th percentile %s (%d answers)\n", "time to final answer:",
		time.Duration(r.TimeToFinalAnswer.Median)*time.Second, time.Duration(r.TimeToFinalAnswer.P90)*time.Second, r.TimeToFinalAnswer.Count)
	fmt.Fprintf(out, "   %-22s %.0f%%\n", "DOA replaced in 14 d:", r.DOAReplacedWithin14Days*100)
	for _, a := range r.FindingsByArea {
		fmt.Fprintf(out, "   %-22s %s: %d (%s)\n", "finding:", a.Area, a.Count, strings.Join(a.Complaints, ", "))
	}
}

// printDeadlines prints how the deadlines changed with a transition.
func printDeadlines(out io.Writer, before, after []complaint.Deadline, loc *time.Location) {
	old := map[complaint.DeadlineName]complaint.Deadline{}
	for _, d := range before {
		old[d.Name] = d
	}
	for _, d := range after {
		was, had := old[d.Name]
		var what string
		switch {
		case d.Cancelled && !was.Cancelled:
			what = "cancelled"
		case !d.MetAt.IsZero() && was.MetAt.IsZero():
			what = "met"
			if d.Breached {
				what = "met late (breached)"
			}
		case d.Paused() && !was.Paused():
			what = fmt.Sprintf("paused, %s left", d.Remaining.Round(time.Hour))
		case d.Running() && (!had || !d.Due.Equal(was.Due)):
			verb := "set"
			switch {
			case was.Paused() && had:
				verb = "resumed"
			case had:
				verb = "moved"
			}
			what = fmt.Sprintf("%s, due %s", verb, d.Due.In(loc).Format("Mon 02 Jan 15:04"))
			if d.Breached && !was.Breached {
				what += " (breached before)"
			}
		default:
			continue
		}
		fmt.Fprintf(out, "      deadline %-17s %s\n", d.Name, what)
	}
}

func printEntry(out io.Writer, e complaint.Entry, loc *time.Location) {
	move := string(e.To)
	if e.From != "" && e.From != e.To {
		move = string(e.From) + " -> " + string(e.To)
	}
	fmt.Fprintf(out, "   %s  %-12s %-34s by %s", e.At.In(loc).Format("Mon 02 Jan 15:04"), e.Event, move, e.Actor)
	if e.Note != "" {
		fmt.Fprintf(out, "  %q", e.Note)
	}
	fmt.Fprintln(out)
}
