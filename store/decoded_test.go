package store_test

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/klageflow/klage/complaint"
	"github.com/klageflow/klage/complaint/complainttest"
	"github.com/klageflow/klage/glossary"
	"github.com/klageflow/klage/store"
)

// snapshotJSON is what a complaint stores and serves.
func snapshotJSON(t *testing.T, c *complaint.Complaint) string {
	t.Helper()
	data, err := json.Marshal(c)
	require.NoError(t, err)
	return string(data)
}

// TestDecodedCache: a SQL store loads a row whose JSON it decoded or wrote
// moments ago without decoding it again, and the complaint it returns is
// the one decoding gives, in every state of the lifecycle. A row changed
// by another store, or by hand, is decoded afresh, and an erasure leaves
// nothing of the old texts in the cache.
func TestDecodedCache(t *testing.T) {
	forEachSQL(t, func(t *testing.T, f *fixture, s *store.SQL, dsn string) {
		other, err := openSQL(ctx, f.w, dsn) // another replica: its cache is its own
		require.NoError(t, err)
		t.Cleanup(func() { other.Close() })

		var last *complaint.Complaint
		for _, spec := range f.w.Lifecycle().States {
			t.Run(string(spec.State), func(t *testing.T) {
				c := f.open(t, spec.State)
				hits := store.DecodedHits(s)
				got, err := s.Get(ctx, c.ID())
				require.NoError(t, err)
				// Both databases read the JSON back as written (PostgreSQL's
				// column is TEXT since schema 8).
				hits++
				assert.Equal(t, hits, store.DecodedHits(s), "the row this store just wrote is not decoded")
				again, err := s.Get(ctx, c.ID())
				require.NoError(t, err)
				assert.Equal(t, hits+1, store.DecodedHits(s), "a row read a moment ago is not decoded")

				fresh, err := other.Get(ctx, c.ID())
				require.NoError(t, err)
				want := snapshotJSON(t, fresh)
				assert.Equal(t, want, snapshotJSON(t, got))
				assert.Equal(t, want, snapshotJSON(t, again))
				assert.Equal(t, fresh.Customer(), got.Customer(), "with the contact details from the customer's record")
				last = c
			})
		}
		require.NotNil(t, last)

		// Another replica fires: this store loads the new version.
		c := f.open(t, complaint.StateInProgress)
		_, err = s.Get(ctx, c.ID())
		require.NoError(t, err)
		in := complainttest.InputFor(c, complaint.EventUpdate, glossary.CustomerService)
		fired, _, err := store.Fire(ctx, other, f.w, c.ID(), in, store.FireOptions{})
		require.NoError(t, err)
		got, err := s.Get(ctx, c.ID())
		require.NoError(t, err)
		assert.Equal(t, fired.Version(), got.Version())
		fresh, err := other.Get(ctx, c.ID())
		require.NoError(t, err)
		assert.Equal(t, snapshotJSON(t, fresh), snapshotJSON(t, got))

		// A row changed by hand, at the same version, is decoded afresh.
		snap := got.Snapshot()
		snap.Customer, snap.Pending = snap.Customer.WithoutContact(), nil
		snap.Description = "Changed by hand."
		data, err := json.Marshal(&snap)
		require.NoError(t, err)
		q := `UPDATE klage_complaints SET data = ? WHERE id = ?`
		if s.Dialect() == "postgres" {
			q = `UPDATE klage_complaints SET data = $1 WHERE id = $2`
		}
		_, err = s.DB().ExecContext(ctx, q, string(data), c.ID())
		require.NoError(t, err)
		got, err = s.Get(ctx, c.ID())
		require.NoError(t, err)
		assert.Equal(t, "Changed by hand.", got.Description())

		// An erasure forgets the customer's complaints: no old text stays.
		require.True(t, store.Decoded(s, c.ID()))
		_, err = s.Erase(ctx, c.Customer().ID)
		require.NoError(t, err)
		assert.False(t, store.Decoded(s, c.ID()))
		assert.False(t, store.Decoded(s, last.ID()))
		got, err = s.Get(ctx, c.ID())
		require.NoError(t, err)
		assert.Equal(t, complaint.Erased, got.Description())
	})
}
