package escalation_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/klageflow/klage/escalation"
	"github.com/klageflow/klage/glossary"
)

func TestOutcomes(t *testing.T) {
	assert.Equal(t, []escalation.Outcome{"upheld", "partly_upheld", "rejected"}, escalation.Outcomes())
	for _, o := range escalation.Outcomes() {
		got, err := escalation.ParseOutcome(string(o))
		require.NoError(t, err)
		assert.Equal(t, o, got)
		assert.NotEmpty(t, o.Label(glossary.Danish))
		assert.NotEmpty(t, o.Label(glossary.English))
	}
	assert.True(t, escalation.Upheld.FullyUpheld())
	assert.False(t, escalation.PartlyUpheld.FullyUpheld())
	assert.False(t, escalation.Rejected.FullyUpheld())
	_, err := escalation.ParseOutcome("denied")
	assert.ErrorIs(t, err, glossary.ErrUnknown)
}

func TestDecisionValidate(t *testing.T) {
	valid := escalation.Decision{Outcome: escalation.Rejected, Explanation: "Damage from a fall.",
		Findings: []escalation.Finding{{Area: "returns", Description: "Explain the assessment."}}}
	require.NoError(t, valid.Validate())
	require.NoError(t, escalation.Decision{Outcome: escalation.Upheld, Explanation: "Agreed.",
		Remedy: &escalation.Remedy{Kind: escalation.Replacement}}.Validate(), "findings are optional")

	cases := []struct {
		name  string
		edit  func(*escalation.Decision)
		field string
	}{
		{"no outcome", func(d *escalation.Decision) { d.Outcome = "" }, "outcome"},
		{"unknown outcome", func(d *escalation.Decision) { d.Outcome = "maybe" }, "outcome"},
		{"no explanation", func(d *escalation.Decision) { d.Explanation = " \n" }, "explanation"},
		{"long explanation", func(d *escalation.Decision) { d.Explanation = strings.Repeat("x", escalation.MaxTextLen+1) }, "explanation"},
		{"bad utf-8", func(d *escalation.Decision) { d.Explanation = "\xc3" }, "explanation"},
		{"control character", func(d *escalation.Decision) { d.Explanation = "a\x00b" }, "explanation"},
		{"finding without area", func(d *escalation.Decision) { d.Findings[0].Area = "" }, "findings[0].area"},
		{"finding without description", func(d *escalation.Decision) {
			d.Findings = append(d.Findings, escalation.Finding{Area: "x"})
		}, "findings[1].description"},
		{"an unknown remedy", func(d *escalation.Decision) {
			d.Outcome, d.Remedy = escalation.PartlyUpheld, &escalation.Remedy{Kind: "voucher"}
		}, "remedy.kind"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d := valid.Clone()
			tc.edit(&d)
			err := d.Validate()
			require.ErrorIs(t, err, escalation.ErrInvalidDecision)
			var de *escalation.DecisionError
			require.ErrorAs(t, err, &de)
			assert.Equal(t, tc.field, de.Field)
			assert.True(t, strings.HasPrefix(err.Error(), "escalation: "))
		})
	}
}

func TestDecisionClone(t *testing.T) {
	d := escalation.Decision{Outcome: escalation.Upheld, Explanation: "x", Findings: []escalation.Finding{{Area: "a", Description: "b"}}}
	c := d.Clone()
	c.Findings[0].Area = "changed"
	assert.Equal(t, "a", d.Findings[0].Area)
}

func TestCheckImpartial(t *testing.T) {
	cs := glossary.Actor{ID: "anna", Role: glossary.CustomerService}
	acted := []glossary.Actor{
		{ID: "karen", Role: glossary.Customer},
		cs,
		{ID: "lenovo-1", Role: glossary.Manufacturer},
		{ID: "ole", Role: glossary.ComplaintsDepartment},
	}
	cases := []struct {
		name     string
		reviewer glossary.Actor
		ok       bool
	}{
		{"independent reviewer", glossary.Actor{ID: "mette", Role: glossary.ComplaintsDepartment}, true},
		{"reviewer who escalated for the department", glossary.Actor{ID: "ole", Role: glossary.ComplaintsDepartment}, true},
		{"the agent who handled the case", glossary.Actor{ID: "anna", Role: glossary.ComplaintsDepartment}, false},
		{"reviewing as customer service", glossary.Actor{ID: "mette", Role: glossary.CustomerService}, false},
		{"no id", glossary.Actor{Role: glossary.ComplaintsDepartment}, false},
		{"someone who acted as manufacturer", glossary.Actor{ID: "lenovo-1", Role: glossary.ComplaintsDepartment}, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := escalation.CheckImpartial(tc.reviewer, acted)
			if tc.ok {
				assert.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, escalation.ErrNotImpartial)
			var ie *escalation.ImpartialityError
			require.ErrorAs(t, err, &ie)
			assert.Equal(t, tc.reviewer, ie.Reviewer)
			assert.NotEmpty(t, ie.Reason)
		})
	}
}

func TestBodies(t *testing.T) {
	bodies := escalation.DanishConsumerBodies()
	require.Len(t, bodies, 2)
	assert.Equal(t, "Center for Klageløsning", bodies[0].Name, "mediation comes first")
	assert.Equal(t, "Forbrugerklagenævnet", bodies[1].Name)
	for _, b := range bodies {
		require.NoError(t, b.Validate())
		assert.NotContains(t, strings.ToLower(b.Website), "odr", "the EU ODR platform closed in July 2025")
	}
	bodies[0].Name = "changed"
	assert.Equal(t, "Center for Klageløsning", escalation.DanishConsumerBodies()[0].Name, "each call returns a new slice")

	for _, b := range bodies {
		assert.NotEmpty(t, b.Address, "the law asks for a postal address")
		assert.NotEmpty(t, b.DanishDescription)
	}
	addr := "Toldboden 2, 8800 Viborg"
	for _, bad := range []escalation.Body{
		{Name: "EU ODR", Address: addr, Website: "https://ec.europa.eu/consumers/odr/main/"},
		{Name: "EU ODR", Address: addr, Website: "HTTPS://EC.EUROPA.EU/ODR"},
		{Name: "EU ODR", Address: addr, Website: "https://ec.europa.eu:443/consumers//odr/"},
		{Name: "EU ODR", Address: addr, Website: "https://www.ec.europa.eu/consumers/./odr"},
		{Name: "", Address: addr, Website: "https://example.dk"},
		{Name: "Somebody", Address: addr, Website: " "},
		{Name: "Somebody", Website: "https://example.dk"},
		{Name: "Somebody", Address: addr, Website: "example dk"},
		{Name: "Somebody", Address: addr, Website: "ftp://example.dk"},
	} {
		assert.ErrorIs(t, bad.Validate(), escalation.ErrInvalidBody, "%+v", bad)
	}
	assert.False(t, escalation.IsODR("https://ec.europa.eu/consumers/index_en.htm"), "the rest of the Commission's site")
	assert.False(t, escalation.IsODR("https://odr.example.dk/"))
	assert.True(t, escalation.MentionsODR("Complain at ec.europa.eu/consumers/odr."))
	assert.True(t, escalation.MentionsODR("See (https://EC.europa.eu:443//odr/main) for help"))
	assert.False(t, escalation.MentionsODR("Write to Nævnenes Hus, https://naevneneshus.dk."))
}

func ExampleCheckImpartial() {
	handled := []glossary.Actor{{ID: "anna", Role: glossary.CustomerService}}
	fmt.Println(escalation.CheckImpartial(glossary.Actor{ID: "mette", Role: glossary.ComplaintsDepartment}, handled))
	fmt.Println(escalation.CheckImpartial(glossary.Actor{ID: "anna", Role: glossary.ComplaintsDepartment}, handled))
	// Output:
	// <nil>
	// escalation: reviewer complaints_department:anna is not impartial: the reviewer acted on this complaint for customer service
}

func TestCheckGranted(t *testing.T) {
	repair := &escalation.Remedy{Kind: escalation.Repair}
	assert.NoError(t, escalation.CheckGranted(escalation.Upheld, repair))
	assert.NoError(t, escalation.CheckGranted(escalation.PartlyUpheld, repair))
	assert.NoError(t, escalation.CheckGranted(escalation.Rejected, nil))
	for _, tc := range []struct {
		o escalation.Outcome
		r *escalation.Remedy
	}{{escalation.Rejected, repair}, {escalation.Upheld, nil}, {escalation.PartlyUpheld, nil}, {escalation.Upheld, &escalation.Remedy{Kind: "voucher"}}} {
		err := escalation.CheckGranted(tc.o, tc.r)
		assert.ErrorIs(t, err, escalation.ErrInvalidDecision, "%s %v", tc.o, tc.r)
	}
}

func TestRemedies(t *testing.T) {
	assert.Equal(t, []escalation.RemedyKind{"repair", "replacement", "price_reduction", "cancellation", "other"}, escalation.RemedyKinds())
	for _, k := range escalation.RemedyKinds() {
		assert.NotEmpty(t, k.Label(glossary.Danish))
		assert.NotEmpty(t, k.Label(glossary.English))
	}
	// A remedy with a kind is an object; one without (klage v1's free
	// text) is a string, both ways.
	for _, tc := range []struct {
		r    escalation.Remedy
		json string
	}{
		{escalation.Remedy{Kind: escalation.Replacement, Text: "Same model."}, `{"kind":"replacement","text":"Same model."}`},
		{escalation.Remedy{Text: "A new laptop."}, `"A new laptop."`},
	} {
		b, err := json.Marshal(tc.r)
		require.NoError(t, err)
		assert.JSONEq(t, tc.json, string(b))
		var back escalation.Remedy
		require.NoError(t, json.Unmarshal(b, &back))
		assert.Equal(t, tc.r, back)
	}
	var r escalation.Remedy
	assert.Error(t, json.Unmarshal([]byte(`{"kind": "voucher"}`), &r))
}
