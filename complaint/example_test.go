package complaint_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/klageflow/klage/complaint"
	"github.com/klageflow/klage/escalation"
	"github.com/klageflow/klage/glossary"
)

// printer is a Notifier that prints each notification.
var printer = complaint.NotifierFunc(func(_ context.Context, n complaint.Notification) error {
	fmt.Printf("  notify %s: %s\n", n.Recipient, n.Topic)
	return nil
})

func fixedClock() func() time.Time {
	t := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	return func() time.Time {
		t = t.Add(time.Hour)
		return t
	}
}

// A complaint goes from intake to a final answer that the customer
// escalates; the Complaints Department reviews it.
func Example() {
	ctx := context.Background()
	w, err := complaint.New(complaint.Options{
		Now:      fixedClock(),
		NewID:    func() string { return "K-1001" },
		Notifier: printer,
	})
	if err != nil {
		panic(err)
	}

	c, err := w.Open(ctx, complaint.Intake{
		Customer:    complaint.Customer{ID: "cust-7", Email: "karen@example.dk", Type: complaint.Consumer},
		Channel:     glossary.Email,
		Kind:        glossary.Claim,
		Product:     complaint.Product{SKU: "NB-1042", Name: "UltraBook 14", Manufacturer: "Lenovo"},
		Description: "The hinge cracked after three months.",
	})
	if err != nil {
		panic(err)
	}
	agent := glossary.Actor{ID: "agent-3", Role: glossary.CustomerService}
	steps := []complaint.Input{
		{Event: complaint.EventStart, Actor: agent},
		{Event: complaint.EventAnswer, Actor: agent, Answer: &complaint.Answer{Outcome: escalation.Rejected, Text: "Damage from a fall."}},
		{Event: complaint.EventEscalate, Actor: glossary.Actor{ID: "cust-7", Role: glossary.Customer}},
		{Event: complaint.EventReview, Actor: glossary.Actor{ID: "cd-1", Role: glossary.ComplaintsDepartment},
			Decision: &escalation.Decision{Outcome: escalation.PartlyUpheld, Explanation: "No sign of a fall; we share the cost.",
				Findings: []escalation.Finding{{Area: "inspection", Description: "Photograph damage before judging its cause."}},
				Remedy:   &escalation.Remedy{Kind: escalation.PriceReduction, Text: "Half the price back."}}},
	}
	for _, in := range steps {
		if _, err := w.Fire(ctx, c, in); err != nil {
			panic(err)
		}
	}
	for _, e := range c.History() {
		fmt.Printf("%d %-8s %-12s -> %-12s by %s\n", e.Seq, e.Event, e.From, e.To, e.Actor)
	}
	// Output:
	//   notify customer: acknowledged
	//   notify customer: started
	//   notify customer: final_answer
	//   notify customer: escalated
	//   notify complaints_department: escalated
	//   notify customer: reviewed
	// 1 open                  -> received     by customer:cust-7
	// 2 start    received     -> in_progress  by customer_service:agent-3
	// 3 answer   in_progress  -> final_answer by customer_service:agent-3
	// 4 escalate final_answer -> escalated    by customer:cust-7
	// 5 review   escalated    -> reviewed     by complaints_department:cd-1
}

// Fire refuses what the lifecycle does not allow, with errors to match.
func ExampleWorkflow_Fire() {
	ctx := context.Background()
	w, _ := complaint.New(complaint.Options{Now: fixedClock()})
	c, _ := w.Open(ctx, complaint.Intake{
		Customer: complaint.Customer{ID: "cust-7", Type: complaint.Consumer}, Channel: glossary.Phone,
		Kind: glossary.DOA, Product: complaint.Product{Name: "Monitor"}, Description: "No picture.",
	})

	_, err := w.Fire(ctx, c, complaint.Input{Event: complaint.EventEscalate, Actor: glossary.Actor{ID: "cust-7", Role: glossary.Customer}})
	fmt.Println(errors.Is(err, complaint.ErrInvalidTransition), err)

	_, err = w.Fire(ctx, c, complaint.Input{Event: complaint.EventStart, Actor: glossary.Actor{ID: "cust-7", Role: glossary.Customer}})
	fmt.Println(errors.Is(err, complaint.ErrForbidden), err)

	_, err = w.Fire(ctx, c, complaint.Input{Event: complaint.EventStart, Actor: glossary.Actor{ID: "agent-1", Role: glossary.CustomerService}})
	fmt.Println(err, c.State())
	// Output:
	// true complaint: escalate not allowed in state received
	// true complaint: customer may not start (allowed: customer_service)
	// <nil> in_progress
}

// Can answers without allocating, for menus and API links.
func ExampleWorkflow_Available() {
	ctx := context.Background()
	w, _ := complaint.New(complaint.Options{})
	c, _ := w.Open(ctx, complaint.Intake{
		Customer: complaint.Customer{ID: "cust-7", Type: complaint.Consumer}, Channel: glossary.Chat,
		Kind: glossary.Support, Product: complaint.Product{Name: "Router"}, Description: "Cannot connect.",
	})
	agent := glossary.Actor{ID: "anna", Role: glossary.CustomerService}
	customer := glossary.Actor{ID: "cust-7", Role: glossary.Customer}
	reviewer := glossary.Actor{ID: "mette", Role: glossary.ComplaintsDepartment}
	fmt.Println(w.Available(ctx, c, agent))
	fmt.Println(w.Available(ctx, c, customer))
	fmt.Println(w.Can(ctx, c, complaint.EventReview, reviewer))
	// Output:
	// [start answer withdraw internal_note reclassify flag_safety]
	// [withdraw]
	// false
}

// A complaint is stored as JSON and restored; a tampered history is refused.
func ExampleWorkflow_Restore() {
	ctx := context.Background()
	w, _ := complaint.New(complaint.Options{Now: fixedClock(), NewID: func() string { return "K-1" }})
	c, _ := w.Open(ctx, complaint.Intake{
		Customer: complaint.Customer{ID: "cust-7", Type: complaint.Business}, Channel: glossary.Web,
		Kind: glossary.Warranty, Product: complaint.Product{Name: "Server"}, Description: "Disk failure.",
	})
	data, _ := c.MarshalJSON()
	back, err := w.RestoreJSON(data)
	fmt.Println(back.ID(), back.State(), err)

	s := c.Snapshot()
	s.State = complaint.StateClosed // not what the history says
	_, err = w.Restore(s)
	fmt.Println(errors.Is(err, complaint.ErrInvalidSnapshot))
	// Output:
	// K-1 received <nil>
	// true
}

// The lifecycle as a Mermaid diagram; the first lines. The zero Workflow
// runs the reference lifecycle.
func ExampleWorkflow_Diagram() {
	var w complaint.Workflow
	d, _ := w.Diagram(complaint.Mermaid)
	before, _, _ := strings.Cut(d, "escalated")
	fmt.Print(before)
	// Output:
	// stateDiagram-v2
	//     [*] --> received
	//     awaiting_customer --> closed: lapse
	//     awaiting_customer --> in_progress: provide_info
	//     awaiting_customer --> closed: withdraw
	//
}

// A retailer whose technicians repair products in its own workshop adds a
// service step to the reference lifecycle: customer service sends the
// product there, and the technician sends it back.
func ExampleLifecycle() {
	const (
		service    complaint.State = "service"
		send       complaint.Event = "send_to_service"
		back       complaint.Event = "back_from_service"
		technician glossary.Role   = "technician"
	)
	lc := complaint.Reference()
	lc.States = append(lc.States, complaint.StateSpec{State: service, Handler: glossary.CustomerService,
		Labels: map[glossary.Language]string{glossary.Danish: "til service", glossary.English: "at service"}})
	lc.Roles = append(lc.Roles, technician)
	lc.Events = append(lc.Events,
		complaint.EventSpec{Event: send, Labels: map[glossary.Language]string{glossary.English: "send to service"}},
		complaint.EventSpec{Event: back, Labels: map[glossary.Language]string{glossary.English: "back from service"}})
	progress := []complaint.Notice{{Topic: complaint.TopicProgress, To: glossary.Customer}}
	lc.Rules = append(lc.Rules,
		complaint.Rule{Event: send, From: []complaint.State{complaint.StateInProgress}, To: service,
			Roles: []glossary.Role{glossary.CustomerService}, Needs: complaint.NeedsNote, Notify: progress},
		complaint.Rule{Event: back, From: []complaint.State{service}, To: complaint.StateInProgress,
			Roles: []glossary.Role{technician, glossary.CustomerService}, Notify: progress})
	// The customer may still withdraw while the product is at service.
	withdraw := lc.Find(complaint.EventWithdraw, complaint.StateInProgress)
	withdraw.From = append(withdraw.From, service)

	w, err := complaint.New(complaint.Options{Lifecycle: &lc, Now: fixedClock(), Notifier: printer})
	if err != nil {
		panic(err)
	}
	ctx := context.Background()
	c, _ := w.Open(ctx, complaint.Intake{
		Customer:    complaint.Customer{ID: "c-7", Name: "Ida", Type: complaint.Consumer},
		Channel:     glossary.Web,
		Kind:        glossary.Service,
		Product:     complaint.Product{Name: "Espresso machine"},
		Description: "It leaks water.",
	})
	agent := glossary.Actor{ID: "anna", Role: glossary.CustomerService}
	for _, in := range []complaint.Input{
		{Event: complaint.EventStart, Actor: agent},
		{Event: send, Actor: agent, Note: "Booked in for a new seal."},
		{Event: back, Actor: glossary.Actor{ID: "tech-3", Role: technician}, Note: "Seal replaced."},
	} {
		if _, err := w.Fire(ctx, c, in); err != nil {
			panic(err)
		}
		fmt.Println(in.Event, "->", c.State(), "("+w.Label(c.State(), glossary.Danish)+")")
	}
	// Output:
	//   notify customer: acknowledged
	//   notify customer: started
	// start -> in_progress (under behandling)
	//   notify customer: progress
	// send_to_service -> service (til service)
	//   notify customer: progress
	// back_from_service -> in_progress (under behandling)
}

// A retailer in Sweden adds Swedish labels and customer texts; what it
// leaves out falls back to English and is listed by MissingLabels.
func ExampleTranslation() {
	w, err := complaint.New(complaint.Options{Translations: []complaint.Translation{{
		Language: "sv",
		States: map[complaint.State]string{
			complaint.StateReceived:    "mottagen",
			complaint.StateInProgress:  "under behandling",
			complaint.StateFinalAnswer: "slutligt svar",
		},
		EscalationInstructions: "Om du inte är nöjd med vårt slutliga svar kan du vända dig till vår klagoavdelning.",
	}}})
	if err != nil {
		panic(err)
	}
	fmt.Println(w.Label(complaint.StateReceived, "sv"))
	fmt.Println(w.Label(complaint.StateEscalated, "sv"))
	fmt.Println(len(w.MissingLabels("sv")) > 0)
	// Output:
	// mottagen
	// escalated
	// true
}

// A team directory plugged in as the Authorizer: nobody from the team whose
// member gave the final answer may review the case. Menus and Fire agree.
func ExampleAuthorizerFunc() {
	teams := map[string]string{"anna": "returns", "bo": "returns", "mette": "quality"}
	w, _ := complaint.New(complaint.Options{Now: fixedClock(), Authorizer: complaint.AuthorizerFunc(
		func(_ context.Context, c complaint.View, in complaint.Input) error {
			if in.Event != complaint.EventReview {
				return nil
			}
			for _, e := range c.History() {
				if e.Event == complaint.EventAnswer && teams[e.Actor.ID] == teams[in.Actor.ID] {
					return fmt.Errorf("%s's team answered the case", in.Actor.ID)
				}
			}
			return nil
		})})
	ctx := context.Background()
	c, _ := w.Open(ctx, complaint.Intake{
		Customer: complaint.Customer{ID: "cust-7", Type: complaint.Consumer}, Channel: glossary.Email,
		Kind: glossary.Claim, Product: complaint.Product{Name: "Router"}, Description: "It drops the connection.",
	})
	_, _ = w.Fire(ctx, c, complaint.Input{Event: complaint.EventAnswer, Actor: glossary.Actor{ID: "anna", Role: glossary.CustomerService},
		Answer: &complaint.Answer{Outcome: escalation.Rejected, Text: "Works as designed."}})
	_, _ = w.Fire(ctx, c, complaint.Input{Event: complaint.EventEscalate, Actor: glossary.Actor{ID: "cust-7", Role: glossary.Customer}})

	for _, id := range []string{"bo", "mette"} {
		fmt.Println(id, w.Can(ctx, c, complaint.EventReview, glossary.Actor{ID: id, Role: glossary.ComplaintsDepartment}))
	}
	// Output:
	// bo false
	// mette true
}
