package e2e

import (
	"context"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/klageflow/klage/complaint/complainttest"
	"github.com/klageflow/klage/e2e/apiclient"
)

// TestGeneratedClient drives one complaint from intake through escalation
// and review with the client oapi-codegen generates from the served
// document (package apiclient): staff, the customer's capability token and
// the Complaints Department each with their own credential.
func TestGeneratedClient(t *testing.T) {
	s := start(t, filepath.Join(t.TempDir(), "klage.db"), complainttest.NewClock(time.Time{}))
	ctx := context.Background()
	as := func(tok string) *apiclient.ClientWithResponses {
		c, err := apiclient.NewClientWithResponses(s.base, apiclient.WithRequestEditorFn(func(_ context.Context, r *http.Request) error {
			r.Header.Set("Authorization", "Bearer "+tok)
			return nil
		}))
		require.NoError(t, err)
		return c
	}
	agent, reviewer := as(tokAgent), as(tokReviewer)
	str := func(v string) *string { return &v }

	in := apiclient.Intake{Channel: "phone", Kind: "doa", Description: "The laptop does not power on."}
	consumer := apiclient.IntakeCustomerType("consumer")
	in.Customer.Id, in.Customer.Name, in.Customer.Email, in.Customer.Type = str("cust-7"), str("Karen Jensen"), str("karen@example.dk"), &consumer
	delivered := time.Date(2026, 2, 20, 12, 0, 0, 0, time.UTC)
	in.Product = &struct {
		DeliveredAt  *time.Time `json:"delivered_at,omitempty"`
		Manufacturer *string    `json:"manufacturer,omitempty"`
		Name         *string    `json:"name,omitempty"`
		PurchasedAt  *time.Time `json:"purchased_at,omitempty"`
		Sku          *string    `json:"sku,omitempty"`
	}{DeliveredAt: &delivered, Manufacturer: str("Lenovo"), Name: str("UltraBook 14"), Sku: str("NB-1042")}
	created, err := agent.CreateComplaintWithResponse(ctx, &apiclient.CreateComplaintParams{}, in)
	require.NoError(t, err)
	require.Equal(t, http.StatusCreated, created.StatusCode(), "%s", created.Body)
	id := created.JSON201.Id
	customer := as(created.JSON201.CustomerToken)
	assert.Equal(t, apiclient.State("received"), created.JSON201.State)

	fire := func(c *apiclient.ClientWithResponses, body apiclient.EventRequest, want apiclient.State) {
		t.Helper()
		resp, err := c.FireEventWithResponse(ctx, id, &apiclient.FireEventParams{}, body)
		require.NoError(t, err)
		require.Equal(t, http.StatusOK, resp.StatusCode(), "%s: %s", body.Event, resp.Body)
		assert.Equal(t, want, resp.JSON200.State, body.Event)
	}
	fire(agent, apiclient.EventRequest{Event: "start"}, "in_progress")
	answer := apiclient.EventRequest{Event: "answer"}
	answer.Answer = &struct {
		Outcome string            `json:"outcome"`
		Remedy  *apiclient.Remedy `json:"remedy,omitempty"`
		Text    string            `json:"text"`
	}{Outcome: "rejected", Text: "The damage is not covered."}
	fire(agent, answer, "final_answer")
	fire(customer, apiclient.EventRequest{Event: "escalate", Note: str("I do not agree.")}, "escalated")

	var repair apiclient.Remedy
	require.NoError(t, repair.FromRemedy1(apiclient.Remedy1{Kind: "repair", Text: str("Free of charge.")}))
	review := apiclient.EventRequest{Event: "review"}
	review.Decision = &struct {
		Explanation string                    `json:"explanation"`
		Findings    *[]map[string]interface{} `json:"findings,omitempty"`
		Outcome     string                    `json:"outcome"`
		Remedy      *apiclient.Remedy         `json:"remedy,omitempty"`
	}{Explanation: "The repair is free of charge.", Outcome: "partly_upheld", Remedy: &repair,
		Findings: &[]map[string]interface{}{{"area": "workshop", "description": "Photograph damage first."}}}
	fire(reviewer, review, "reviewed")

	got, err := customer.GetComplaintWithResponse(ctx, id, &apiclient.GetComplaintParams{})
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, got.StatusCode())
	require.NotNil(t, got.JSON200.Decision)
	assert.Equal(t, "partly_upheld", got.JSON200.Decision.Outcome)
	assert.Equal(t, 5, got.JSON200.Version)

	history, err := agent.GetHistoryWithResponse(ctx, id, &apiclient.GetHistoryParams{})
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, history.StatusCode())
	var events []string
	for _, e := range history.JSON200.History {
		events = append(events, string(e.Event))
	}
	assert.Equal(t, []string{"open", "start", "answer", "escalate", "review"}, events)

	// The customer's credential opens their complaint only.
	other, err := customer.GetComplaintWithResponse(ctx, "K-unknown", &apiclient.GetComplaintParams{})
	require.NoError(t, err)
	assert.Equal(t, http.StatusNotFound, other.StatusCode(), "%s", other.Body)
	require.NotNil(t, other.JSON404)
	assert.Equal(t, apiclient.ErrorErrorCode("not_found"), other.JSON404.Error.Code)
}
