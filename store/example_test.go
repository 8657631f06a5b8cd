package store_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/klageflow/klage/complaint"
	"github.com/klageflow/klage/escalation"
	"github.com/klageflow/klage/glossary"
	"github.com/klageflow/klage/store"
)

func exampleClock() func() time.Time {
	t := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	return func() time.Time { t = t.Add(time.Minute); return t }
}

// A complaint is opened in a store and moved with optimistic concurrency:
// a client that saw an old version gets a conflict.
func ExampleTransition() {
	ctx := context.Background()
	w, _ := complaint.New(complaint.Options{Now: exampleClock(), NewID: func() string { return "K-1" }})
	s := store.NewMemory(w) // or sqlite.Open(ctx, w, "klage.db"), or postgres.Open(ctx, w, "postgres://...")

	c, _ := store.Receive(ctx, s, w, complaint.Intake{
		Customer: complaint.Customer{ID: "cust-7", Type: complaint.Consumer}, Channel: glossary.Phone,
		Kind: glossary.Warranty, Product: complaint.Product{Name: "Router"}, Description: "Drops the connection.",
	})
	start := complaint.Input{Event: complaint.EventStart, Actor: glossary.Actor{ID: "anna", Role: glossary.CustomerService}}
	c, _, err := store.Fire(ctx, s, w, c.ID(), start, store.FireOptions{ExpectedVersion: 1})
	fmt.Println(c.State(), c.Version(), err)

	update := complaint.Input{Event: complaint.EventUpdate, Actor: glossary.Actor{ID: "anna", Role: glossary.CustomerService}, Note: "Testing it."}
	_, _, err = store.Fire(ctx, s, w, "K-1", update, store.FireOptions{ExpectedVersion: 1})
	fmt.Println(errors.Is(err, store.ErrConflict), err)
	// Output:
	// in_progress 2 <nil>
	// true store: complaint "K-1" is at version 2, not 1
}

// A relay delivers what the outbox holds, each notification with its
// idempotency key.
func ExampleRelay() {
	ctx := context.Background()
	now := exampleClock()
	w, _ := complaint.New(complaint.Options{Now: now, NewID: func() string { return "K-2" }})
	s := store.NewMemory(w)
	_, _ = store.Receive(ctx, s, w, complaint.Intake{
		Customer: complaint.Customer{ID: "cust-8", Type: complaint.Consumer}, Channel: glossary.Email,
		Kind: glossary.DOA, Product: complaint.Product{Name: "Tablet"}, Description: "Dead on arrival.",
	})
	relay := &store.Relay{Outbox: s, Now: now, Notifier: complaint.NotifierFunc(func(_ context.Context, n complaint.Notification) error {
		fmt.Println("deliver", n.Key())
		return nil
	})}
	batch, err := relay.RunOnce(ctx)
	fmt.Println(batch.Delivered, err)
	// Output:
	// deliver K-2/1/acknowledged/customer
	// 1 <nil>
}

// A report of the complaints opened in a range, as the Complaints
// Department reads it; the SQL stores compute the same in the database.
func ExampleMemory_Report() {
	ctx := context.Background()
	now := exampleClock()
	w, _ := complaint.New(complaint.Options{Now: now})
	s := store.NewMemory(w)
	from := now()
	agent := glossary.Actor{ID: "anna", Role: glossary.CustomerService}
	for _, outcome := range []escalation.Outcome{escalation.Rejected, escalation.Upheld} {
		c, _ := store.Receive(ctx, s, w, complaint.Intake{
			Customer: complaint.Customer{ID: "cust-" + string(outcome), Type: complaint.Consumer}, Channel: glossary.Email,
			Kind: glossary.Claim, Product: complaint.Product{Name: "Kettle"}, Description: "It leaks.",
			RemedySought: escalation.Remedy{Kind: escalation.Repair},
		})
		answer := &complaint.Answer{Outcome: outcome, Text: "Our answer."}
		if outcome == escalation.Upheld {
			answer.Remedy = &escalation.Remedy{Kind: escalation.Repair}
		}
		if _, _, err := store.Fire(ctx, s, w, c.ID(), complaint.Input{Event: complaint.EventAnswer, Actor: agent, Answer: answer}, store.FireOptions{}); err != nil {
			fmt.Println(err)
			return
		}
	}
	r, err := s.Report(ctx, store.ReportQuery{From: from, To: now()})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("opened:", r.Opened)
	fmt.Println("outcomes:", r.ByOutcome)
	fmt.Println("remedies:", r.RemediesGranted)
	fmt.Println("answered within (median, s):", r.TimeToFinalAnswer.Median)
	// Output:
	// opened: 2
	// outcomes: map[rejected:1 upheld:1]
	// remedies: map[repair:1]
	// answered within (median, s): 60
}
