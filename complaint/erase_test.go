package complaint_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/klageflow/klage/complaint"
	"github.com/klageflow/klage/complaint/complainttest"
	"github.com/klageflow/klage/glossary"
)

// personal is what complainttest's complaints hold of their customer: none
// of it may survive an erasure.
var personal = []string{"Karen", "karen@example.dk", "+45 20 30 40 50", "Nørregade", "does not power on", "A new laptop",
	" by customer_service", " by customer", " by complaints_department", "not covered", "should have offered", "A free repair"}

// TestEraseKeepsTheAuditTrail erases every complaint the explorer reaches:
// none of the customer's data or free texts is left, and the rest restores
// and acts like the original.
func TestEraseKeepsTheAuditTrail(t *testing.T) {
	w, err := complaint.New(complaint.Options{Now: complainttest.NewClock(time.Time{}).Now})
	require.NoError(t, err)
	ctx := context.Background()
	at := complainttest.Start.Add(48 * time.Hour)
	complainttest.Explore(t, w, 4, func(p complainttest.Path) {
		orig := p.Complaint.Snapshot()
		erased := orig.Erase(at)
		data, err := json.Marshal(erased)
		require.NoError(t, err)
		for _, s := range personal {
			require.NotContains(t, string(data), s, "%v", p.Events)
		}
		c, err := w.Restore(erased)
		require.NoError(t, err, "%v", p.Events)
		got, ok := c.ErasedAt()
		require.True(t, ok)
		require.True(t, got.Equal(at))
		assert.Equal(t, p.Complaint.Customer().ID, c.Customer().ID)
		h := c.History()
		require.Len(t, h, len(orig.History))
		for i, e := range h {
			e.Note = orig.History[i].Note
			require.Equal(t, orig.History[i], e, "only the note goes")
		}
		for _, r := range w.Lifecycle().Roles {
			if r == glossary.Customer {
				// Erasure ends the customer's access.
				require.Empty(t, w.Available(ctx, c, complainttest.ActorFor(c, r)))
				require.False(t, w.Audience(complainttest.ActorFor(c, r)).Sees(c))
				continue
			}
			require.Equal(t, w.Available(ctx, p.Complaint, complainttest.ActorFor(p.Complaint, r)),
				w.Available(ctx, c, complainttest.ActorFor(c, r)))
		}
		// The original is untouched.
		again, err := json.Marshal(p.Complaint.Snapshot())
		require.NoError(t, err)
		require.Contains(t, string(again), "Karen")
	})
}

func TestNotificationErase(t *testing.T) {
	f := newFixture(t, complaint.Options{})
	complainttest.InState(t, f.w, complaint.StateReviewed, nil)
	ns := f.rec.Notifications()
	require.NotEmpty(t, ns)
	for _, n := range ns {
		data, err := json.Marshal(n.Erase())
		require.NoError(t, err)
		for _, s := range personal {
			assert.NotContains(t, string(data), s, "%s", n.Key())
		}
		e := n.Erase()
		assert.Equal(t, n.Key(), e.Key())
		wc, err := json.Marshal(n.WithoutContact())
		require.NoError(t, err)
		for _, s := range personal[:4] {
			assert.NotContains(t, string(wc), s)
		}
		if strings.Contains(mustJSON(t, n), "Karen") {
			assert.Equal(t, n.Data.Customer.ID, n.WithoutContact().Data.Customer.ID)
		}
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	data, err := json.Marshal(v)
	require.NoError(t, err)
	return string(data)
}
