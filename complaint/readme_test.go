package complaint_test

import (
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/klageflow/klage/complaint"
)

// presetTable renders docs/law.md's table of the policy presets from the presets
// themselves, so that the documentation cannot drift from the code.
func presetTable() string {
	c, b := complaint.DanishConsumerPolicy(), complaint.DanishBusinessPolicy()
	show := func(p complaint.Period) string {
		if p.IsZero() {
			return "none"
		}
		return p.String()
	}
	rows := []struct {
		field  string
		c, b   complaint.Period
		source string
	}{
		{"FirstResponse", c.FirstResponse, b.FirstResponse, "the retailer's promise to answer e-mail within 24 hours on weekdays: counted on Danish working days (`complaint.DanishCalendar`)"},
		{"ProgressUpdate", c.ProgressUpdate, b.ProgressUpdate, "klage's default: no customer whose case is worked on waits more than three days for news (elapsed)"},
		{"DOAReplacement", c.DOAReplacement, b.DOAReplacement, "the retailer's goal: DOA items replaced within 14 days of receipt"},
		{"ReviewDecision", c.ReviewDecision, b.ReviewDecision, "klage's default for the Complaints Department's decision"},
		{"EscalationWindow", c.EscalationWindow, b.EscalationWindow, "klage's default, matching the two-month notice rule; zero means no limit"},
		{"Retention", c.Retention, b.Retention, "Forældelsesloven §3: the limitation period; a closed complaint's personal data is erased after it (`store.PersonalData.Purge`)"},
		{"ClaimPeriod", c.ClaimPeriod, b.ClaimPeriod, "Købeloven §83 (consumers, cannot be shortened); the retailer's B2B terms"},
		{"NoticePeriod", c.NoticePeriod, b.NoticePeriod, "Købeloven §81: notice within two months of discovery is always timely"},
		{"Presumption", c.Presumption, b.Presumption, "Købeloven §77 a, stk. 3: a defect that shows within a year of delivery is presumed to have been there (goods bought from 1 January 2022)"},
		{"EarlierPresumption", c.EarlierPresumption, b.EarlierPresumption, "the same rule for goods bought before 2022"},
	}
	var sb strings.Builder
	sb.WriteString("| field | consumer | business | source |\n|---|---|---|---|\n")
	for _, r := range rows {
		fmt.Fprintf(&sb, "| `%s` | %s | %s | %s |\n", r.field, show(r.c), show(r.b), r.source)
	}
	return sb.String()
}

func TestReadmePresetTable(t *testing.T) {
	readme, err := os.ReadFile("../docs/law.md")
	require.NoError(t, err)
	want := presetTable()
	if !strings.Contains(string(readme), want) {
		t.Logf("docs/law.md should contain:\n%s", want)
	}
	assert.Contains(t, string(readme), want, "docs/law.md's policy table is stale")
}

// lifecycleTable renders docs/lifecycle.md's table of state-changing events from the
// reference lifecycle.
func lifecycleTable() string {
	var sb strings.Builder
	sb.WriteString("| event | from | to | who may fire it |\n|---|---|---|---|\n")
	join := func(vs []string) string { return strings.Join(vs, ", ") }
	for _, r := range complaint.Reference().Rules {
		if r.To == "" {
			continue
		}
		var from, roles []string
		for _, f := range r.From {
			from = append(from, string(f))
		}
		for _, ro := range r.Roles {
			roles = append(roles, string(ro))
		}
		who := join(roles)
		if r.Event == complaint.EventReview {
			who += " (impartial)"
		}
		fmt.Fprintf(&sb, "| `%s` | %s | %s | %s |\n", r.Event, join(from), r.To, who)
	}
	return sb.String()
}

func TestReadmeLifecycleTable(t *testing.T) {
	readme, err := os.ReadFile("../docs/lifecycle.md")
	require.NoError(t, err)
	want := lifecycleTable()
	if !strings.Contains(string(readme), want) {
		t.Logf("docs/lifecycle.md should contain:\n%s", want)
	}
	assert.Contains(t, string(readme), want, "docs/lifecycle.md's lifecycle table is stale")
}
