package klagehttp

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/klageflow/klage/complaint"
	"github.com/klageflow/klage/glossary"
)

// TestPageEvents: the customer page finds its two actions from the
// lifecycle's facts: in the reference lifecycle provide_info where the
// case waits for the customer and escalate from the final answer; in an
// extended one, its own events of the same kind.
func TestPageEvents(t *testing.T) {
	ref, err := complaint.New(complaint.Options{})
	require.NoError(t, err)
	assert.Equal(t, map[complaint.State]pageActs{
		"awaiting_customer":           {answer: "provide_info"},
		"escalated_awaiting_customer": {answer: "provide_info"},
		"final_answer":                {escalate: "escalate"},
	}, nonEmpty(pageEventsOf(ref)))

	// An extension where the customer answers a technician's question with
	// an event of its own, and appeals a service verdict to the department.
	lc := complaint.Reference()
	lc.States = append(lc.States, complaint.StateSpec{State: "service_question", Pauses: true,
		Labels: map[glossary.Language]string{glossary.English: "service question"}})
	lc.Events = append(lc.Events,
		complaint.EventSpec{Event: "ask_about_service", Labels: map[glossary.Language]string{glossary.English: "ask"}},
		complaint.EventSpec{Event: "reply_to_service", Labels: map[glossary.Language]string{glossary.English: "reply"}})
	cs, cu := []glossary.Role{glossary.CustomerService}, []glossary.Role{glossary.Customer}
	lc.Rules = append(lc.Rules,
		complaint.Rule{Event: "ask_about_service", From: []complaint.State{"in_progress"}, To: "service_question", Roles: cs, Needs: complaint.NeedsNote},
		complaint.Rule{Event: "reply_to_service", From: []complaint.State{"service_question"}, To: "in_progress", Roles: cu})
	ext, err := complaint.New(complaint.Options{Lifecycle: &lc})
	require.NoError(t, err)
	assert.Equal(t, pageActs{answer: "reply_to_service"}, pageEventsOf(ext)["service_question"])
}

// nonEmpty drops the states in which the page offers nothing.
func nonEmpty(m map[complaint.State]pageActs) map[complaint.State]pageActs {
	for s, a := range m {
		if a == (pageActs{}) {
			delete(m, s)
		}
	}
	return m
}

// TestWithEnums: the enums named are replaced, members and layout kept;
// a document that lacks one, or is not JSON, is an error.
func TestWithEnums(t *testing.T) {
	doc := []byte("{\n  \"a\": {\n    \"enum\": [\n      \"x\"\n    ],\n    \"b\": 1\n  }\n}")
	same, err := withEnums(doc, map[string][]string{"/a/enum": {"x"}})
	require.NoError(t, err)
	assert.Equal(t, string(doc), string(same))
	got, err := withEnums(doc, map[string][]string{"/a/enum": {"x", "y"}})
	require.NoError(t, err)
	assert.Equal(t, "{\n  \"a\": {\n    \"enum\": [\n      \"x\",\n      \"y\"\n    ],\n    \"b\": 1\n  }\n}\n", string(got))

	_, err = withEnums(doc, map[string][]string{"/a/enum": {"x"}, "/c/enum": {"z"}})
	assert.ErrorContains(t, err, "lacks an enum")
	_, err = withEnums([]byte(`{"a": [`), map[string][]string{"/a/enum": {"x"}})
	assert.Error(t, err)
}
