package complaint_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/klageflow/klage/complaint"
	"github.com/klageflow/klage/complaint/complainttest"
	"github.com/klageflow/klage/escalation"
	"github.com/klageflow/klage/glossary"
)

// escalatedBy returns a complaint that agent "anna" answered for customer
// service and the customer escalated.
func escalatedBy(t *testing.T, f *fixture) *complaint.Complaint {
	t.Helper()
	c, err := f.w.Open(ctx, complainttest.Intake())
	require.NoError(t, err)
	anna := glossary.Actor{ID: "anna", Role: glossary.CustomerService}
	_, err = f.w.Fire(ctx, c, complaint.Input{Event: complaint.EventAnswer, Actor: anna,
		Answer: &complaint.Answer{Outcome: escalation.Rejected, Text: "Not covered."}})
	require.NoError(t, err)
	_, err = f.w.Fire(ctx, c, complainttest.InputFor(c, complaint.EventEscalate, glossary.Customer))
	require.NoError(t, err)
	return c
}

// TestImpartialityIdentityVariants: the agent who answered cannot review
// under another spelling of her id; each variant is either the same person
// (refused as not impartial) or refused as an id.
func TestImpartialityIdentityVariants(t *testing.T) {
	for _, id := range []string{"Anna", "ANNA", "anna ", " anna", "ａｎｎａ", "\u0430nna", "an\u200bna", "anna\u202e"} {
		t.Run(fmt.Sprintf("%q", id), func(t *testing.T) {
			f := newFixture(t, complaint.Options{})
			c := escalatedBy(t, f)
			in := complainttest.InputFor(c, complaint.EventReview, glossary.ComplaintsDepartment)
			in.Actor.ID = id
			before := c.Snapshot()
			_, err := f.w.Fire(ctx, c, in)
			require.Error(t, err)
			assert.True(t, errors.Is(err, complaint.ErrNotImpartial) || errors.Is(err, complaint.ErrInvalidInput), "%v", err)
			assert.Equal(t, before, c.Snapshot(), "nothing written")
		})
	}
	f := newFixture(t, complaint.Options{})
	c := escalatedBy(t, f)
	in := complainttest.InputFor(c, complaint.EventReview, glossary.ComplaintsDepartment)
	in.Actor.ID = "mette"
	_, err := f.w.Fire(ctx, c, in)
	assert.NoError(t, err, "someone else reviews")
}

func TestHiddenCharactersRefused(t *testing.T) {
	f := newFixture(t, complaint.Options{})
	for field, mutate := range map[string]func(*complaint.Intake){
		"customer.id":   func(in *complaint.Intake) { in.Customer.ID = "cust\u200b-1" },
		"customer.name": func(in *complaint.Intake) { in.Customer.Name = "Karen\u202e Jensen" },
		"product.name":  func(in *complaint.Intake) { in.Product.Name = "Ultra\ue000Book" },
		"opened_by.id": func(in *complaint.Intake) {
			in.OpenedBy = glossary.Actor{ID: "\u0430gent", Role: glossary.CustomerService}
		},
	} {
		in := complainttest.Intake()
		mutate(&in)
		_, err := f.w.Open(ctx, in)
		var ie *complaint.InputError
		require.ErrorAs(t, err, &ie, field)
		assert.Equal(t, field, ie.Field)
	}
	c := complainttest.InState(t, f.w, complaint.StateReceived, nil)
	_, err := f.w.Fire(ctx, c, complaint.Input{Event: complaint.EventStart, Actor: glossary.Actor{ID: "ag\u2066ent", Role: glossary.CustomerService}})
	assert.ErrorIs(t, err, complaint.ErrInvalidInput)

	s := c.Snapshot()
	s.History[0].Actor.ID = "cust\u200bomer-1"
	s.Customer.ID = "cust\u200bomer-1"
	_, err = f.w.Restore(s)
	assert.ErrorIs(t, err, complaint.ErrInvalidSnapshot, "a stored id with hidden characters is refused too")
}

func TestCustomerActsAsOnePerson(t *testing.T) {
	f := newFixture(t, complaint.Options{})
	c := complainttest.InState(t, f.w, complaint.StateFinalAnswer, nil)
	_, err := f.w.Fire(ctx, c, complaint.Input{Event: complaint.EventAccept, Actor: glossary.Actor{ID: "CUSTOMER-1 ", Role: glossary.Customer}})
	assert.NoError(t, err, "the customer's own id in another case")
	d := complainttest.InState(t, f.w, complaint.StateFinalAnswer, nil)
	_, err = f.w.Fire(ctx, d, complaint.Input{Event: complaint.EventAccept, Actor: glossary.Actor{ID: "customer-2", Role: glossary.Customer}})
	assert.ErrorIs(t, err, complaint.ErrForbidden)
}

func TestManufacturerBound(t *testing.T) {
	f := newFixture(t, complaint.Options{})
	c := complainttest.InState(t, f.w, complaint.StateWithManufacturer, nil)
	for _, m := range []string{"", "Asus", "Lenovo Inc"} {
		_, err := f.w.Fire(ctx, c, complaint.Input{Event: complaint.EventResume,
			Actor: glossary.Actor{ID: "support-9", Role: glossary.Manufacturer, Manufacturer: m}})
		assert.ErrorIs(t, err, complaint.ErrForbidden, "manufacturer %q", m)
		assert.False(t, f.w.Can(ctx, c, complaint.EventResume, glossary.Actor{ID: "support-9", Role: glossary.Manufacturer, Manufacturer: m}))
	}
	lenovo := glossary.Actor{ID: "support-9", Role: glossary.Manufacturer, Manufacturer: " lenovo"}
	assert.True(t, f.w.Can(ctx, c, complaint.EventResume, lenovo))
	_, err := f.w.Fire(ctx, c, complaint.Input{Event: complaint.EventResume, Actor: lenovo})
	require.NoError(t, err)
	assert.Equal(t, " lenovo", c.Last().Actor.Manufacturer, "the binding is in the audit trail, as the credential gave it")
}

func TestConsent(t *testing.T) {
	f := newFixture(t, complaint.Options{})
	c := complainttest.InState(t, f.w, complaint.StateFinalAnswer, nil)
	accept := complaint.Input{Event: complaint.EventAccept, Actor: complainttest.Agent}
	_, err := f.w.Fire(ctx, c, accept)
	var ie *complaint.InputError
	require.ErrorAs(t, err, &ie)
	assert.Equal(t, "consent", ie.Field, "staff accept only with the customer's consent")

	for name, consent := range map[string]complaint.Consent{
		"no channel":  {At: f.clock.Now()},
		"in future":   {Channel: glossary.Phone, At: f.clock.Now().Add(time.Hour)},
		"long before": {Channel: glossary.Phone, At: c.CreatedAt().Add(-48 * time.Hour)},
		"bad channel": {Channel: "pigeon", At: f.clock.Now()},
	} {
		in := accept
		in.Consent = &consent
		_, err := f.w.Fire(ctx, c, in)
		assert.ErrorIs(t, err, complaint.ErrInvalidInput, name)
	}
	self := complaint.Input{Event: complaint.EventAccept, Actor: complainttest.ActorFor(c, glossary.Customer),
		Consent: &complaint.Consent{Channel: glossary.Phone, At: f.clock.Now()}}
	_, err = f.w.Fire(ctx, c, self)
	assert.ErrorIs(t, err, complaint.ErrInvalidInput, "the customer's own act takes no consent")

	accept.Consent = &complaint.Consent{Channel: glossary.Phone, At: f.clock.Now().Add(-time.Minute)}
	_, err = f.w.Fire(ctx, c, accept)
	require.NoError(t, err)
	got := c.Last().Consent
	require.NotNil(t, got, "the consent is in the audit trail")
	assert.Equal(t, glossary.Phone, got.Channel)
	assert.True(t, got.At.Equal(accept.Consent.At))
	back, err := f.w.Restore(c.Snapshot())
	require.NoError(t, err)
	assert.Equal(t, c.Last(), back.Last())
}

// A team directory plugged in as the Authorizer: nobody from the team that
// answered the case may review it. Menus (Available) and Fire agree.
func TestAuthorizerTeamDirectory(t *testing.T) {
	teams := map[string]string{"anna": "returns", "bo": "returns", "mette": "quality"}
	authz := complaint.AuthorizerFunc(func(_ context.Context, c complaint.View, in complaint.Input) error {
		if in.Event != complaint.EventReview {
			return nil
		}
		for _, e := range c.History() {
			if e.Event == complaint.EventAnswer && teams[e.Actor.ID] == teams[in.Actor.ID] {
				return fmt.Errorf("%s is in the %s team, which answered", in.Actor.ID, teams[in.Actor.ID])
			}
		}
		return nil
	})
	f := newFixture(t, complaint.Options{Authorizer: authz})
	c := escalatedBy(t, f)
	bo := glossary.Actor{ID: "bo", Role: glossary.ComplaintsDepartment}
	mette := glossary.Actor{ID: "mette", Role: glossary.ComplaintsDepartment}
	assert.False(t, f.w.Can(ctx, c, complaint.EventReview, bo))
	assert.NotContains(t, f.w.Available(ctx, c, bo), complaint.EventReview)
	in := complainttest.InputFor(c, complaint.EventReview, glossary.ComplaintsDepartment)
	in.Actor = bo
	require.Error(t, f.w.Check(ctx, c, in))
	_, err := f.w.Fire(ctx, c, in)
	assert.ErrorIs(t, err, complaint.ErrForbidden)
	var pe *complaint.PermissionError
	require.ErrorAs(t, err, &pe)
	assert.Contains(t, pe.Error(), "returns team")
	assert.True(t, f.w.Can(ctx, c, complaint.EventReview, mette))
	in.Actor = mette
	_, err = f.w.Fire(ctx, c, in)
	assert.NoError(t, err)
}

// TestImpartialityComparesPeople: a reviewer whose id is the agent's with
// an invisible character is refused at the door, and one whose id only
// looks like the agent's is not impartial.
func TestImpartialityComparesPeople(t *testing.T) {
	f := newFixture(t, complaint.Options{})
	agent := glossary.Actor{ID: "coco-ace", Role: glossary.CustomerService}
	c := complainttest.InState(t, f.w, complaint.StateReceived, nil)
	_, err := f.w.Fire(ctx, c, complaint.Input{Event: complaint.EventStart, Actor: agent})
	require.NoError(t, err)
	_, err = f.w.Fire(ctx, c, complaint.Input{Event: complaint.EventAnswer, Actor: agent, Answer: &complaint.Answer{Outcome: escalation.Rejected, Text: "No."}})
	require.NoError(t, err)
	fire(t, f, c, complaint.EventEscalate, glossary.Customer)
	decision := &escalation.Decision{Outcome: escalation.Rejected, Explanation: "The answer stands."}
	for _, id := range []string{"coco-ace\u034f", "coco\ufe0f-ace", "coco-ace\U000E0100", "coco\u2800-ace", "coco-ace\u17b4", "coco-ace\u180b"} {
		_, err := f.w.Fire(ctx, c, complaint.Input{Event: complaint.EventReview, Actor: glossary.Actor{ID: id, Role: glossary.ComplaintsDepartment}, Decision: decision})
		var ie *complaint.InputError
		require.ErrorAs(t, err, &ie, "%q", id)
		assert.Equal(t, "actor.id", ie.Field)
	}
	// The same id in capitals and in full width, and an all-Cyrillic
	// look-alike (с, о, а, е).
	for _, id := range []string{"COCO-ACE", "ｃｏｃｏ-ａｃｅ", "\u0441\u043e\u0441\u043e-\u0430\u0441\u0435"} {
		_, err := f.w.Fire(ctx, c, complaint.Input{Event: complaint.EventReview, Actor: glossary.Actor{ID: id, Role: glossary.ComplaintsDepartment}, Decision: decision})
		if !errors.Is(err, complaint.ErrNotImpartial) {
			t.Errorf("review by %q: %v, want ErrNotImpartial", id, err)
		}
	}
	assert.Equal(t, complaint.StateEscalated, c.State())
}
