package store

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/klageflow/klage/complaint"
	"github.com/klageflow/klage/glossary"
)

// TestDecodedCacheBounds: the cache holds at most decodedMax complaints,
// hits only on the same JSON, and drops what was not used for decodedTTL.
func TestDecodedCacheBounds(t *testing.T) {
	now := time.Date(2026, 12, 2, 12, 0, 0, 0, time.UTC)
	dc := &decodedCache{clock: func() time.Time { return now }}
	t.Cleanup(dc.close)

	dc.put("a", `{"id":"a"}`, complaint.Snapshot{ID: "a"})
	got, ok := dc.get("a", `{"id":"a"}`)
	require.True(t, ok)
	assert.Equal(t, "a", got.ID)
	_, ok = dc.get("a", `{"id":"a","state":"closed"}`)
	assert.False(t, ok, "other JSON for the same complaint is a miss")
	_, ok = dc.get("b", `{"id":"a"}`)
	assert.False(t, ok)

	for i := range decodedMax + 10 {
		id := fmt.Sprintf("K-%d", i)
		dc.put(id, id, complaint.Snapshot{ID: id})
		require.LessOrEqual(t, len(dc.items), decodedMax)
	}
	_, ok = dc.get("K-1033", "K-1033")
	assert.True(t, ok, "the newest entry is kept")

	now = now.Add(decodedTTL)
	_, ok = dc.get("K-1033", "K-1033")
	assert.False(t, ok, "an entry past its time is a miss")
	dc.expire()
	assert.Empty(t, dc.items, "the sweep drops what was not used for decodedTTL")
	assert.Nil(t, dc.sweep, "an empty cache has no timer")

	dc.put("c", "c", complaint.Snapshot{ID: "c"})
	require.NotNil(t, dc.sweep)
	now = now.Add(decodedTTL / 2)
	_, ok = dc.get("c", "c") // a use keeps it
	require.True(t, ok)
	now = now.Add(decodedTTL / 2)
	dc.expire()
	assert.Contains(t, dc.items, "c")
	dc.forget("c")
	assert.NotContains(t, dc.items, "c")

	dc.put("d", "d", complaint.Snapshot{ID: "d"})
	dc.close()
	assert.Nil(t, dc.items)
	assert.Nil(t, dc.sweep)
	dc.expire() // a timer that fires after close does nothing
	assert.Nil(t, dc.sweep)
}

// TestWithdrawals: the report counts as withdrawn what the lifecycle says
// is the customer's decision to end a case unresolved, whatever its name.
func TestWithdrawals(t *testing.T) {
	ref, err := complaint.New(complaint.Options{})
	require.NoError(t, err)
	assert.Equal(t, []complaint.Event{"withdraw"}, withdrawals(ref), "accept settles; close and lapse are not the customer's")

	lc := complaint.Reference()
	lc.Events = append(lc.Events, complaint.EventSpec{Event: "give_up", Labels: map[glossary.Language]string{glossary.English: "give up"}})
	lc.Rules = append(lc.Rules, complaint.Rule{Event: "give_up", From: []complaint.State{"with_manufacturer"}, To: "closed",
		Roles: []glossary.Role{glossary.Customer}, Consent: true})
	ext, err := complaint.New(complaint.Options{Lifecycle: &lc})
	require.NoError(t, err)
	assert.ElementsMatch(t, []complaint.Event{"withdraw", "give_up"}, withdrawals(ext))
}
