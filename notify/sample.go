package notify

import (
	"time"

	"github.com/klageflow/klage/complaint"
	"github.com/klageflow/klage/escalation"
	"github.com/klageflow/klage/glossary"
)

// sample is a notification of pair p with every field filled, so that
// checking a template takes every branch that tests for a value. Its event
// and state are those of the first rule of w's lifecycle that sends p (the
// opening, in its first state, for the notices of no rule: the
// acknowledgement, the safety notice and the reminders).
func sample(w *complaint.Workflow, p Pair) complaint.Notification {
	at := time.Date(2026, 3, 2, 9, 30, 0, 0, time.UTC)
	lc := w.Lifecycle()
	event, state := complaint.EventOpen, lc.States[0].State
find:
	for _, r := range lc.Rules {
		for _, n := range r.Notify {
			if n.Topic == p.Topic && n.To == p.Recipient {
				event, state = r.Event, r.To
				if state == "" {
					state = r.From[0]
				}
				break find
			}
		}
	}
	remedy := escalation.Remedy{Kind: escalation.Replacement, Text: "a new unit"}
	return complaint.Notification{
		Topic: p.Topic, Recipient: p.Recipient, ComplaintID: "sample", Seq: 2, At: at,
		Data: complaint.Data{
			Event: event, State: state, By: glossary.CustomerService,
			Language: glossary.English, Kind: glossary.Claim, Note: "note",
			Customer: complaint.Customer{ID: "c", Name: "Name", Email: "name@example.com", Phone: "+45 12 34 56 78",
				Address: "Street 1", Type: complaint.Consumer, Language: glossary.English},
			Product:      complaint.Product{SKU: "sku", Name: "product", Manufacturer: "maker", PurchasedAt: at, DeliveredAt: at},
			Description:  "description",
			RemedySought: remedy,
			Answer:       &complaint.Answer{Outcome: escalation.PartlyUpheld, Text: "text", Remedy: &remedy},
			Fulfilment:   &complaint.Fulfilment{Remedy: escalation.Replacement, Reference: "ref", At: at, Seq: 3},
			Referral:     &complaint.Referral{Manufacturer: "maker", Contact: "support@example.com"},
			Decision: &escalation.Decision{Outcome: escalation.PartlyUpheld, Explanation: "explanation",
				Findings: []escalation.Finding{{Area: "area", Description: "description"}}, Remedy: &remedy},
			Escalation:      &complaint.EscalationInfo{Instructions: "instructions", Contact: "contact", Until: at},
			ComplaintBodies: escalation.DanishConsumerBodies(),
			Deadline:        &complaint.Deadline{Name: complaint.DeadlineFirstResponse, Owner: glossary.CustomerService, Due: at},
		},
	}
}
