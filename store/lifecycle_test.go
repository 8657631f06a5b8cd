package store_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/klageflow/klage/complaint"
	"github.com/klageflow/klage/complaint/complainttest"
	"github.com/klageflow/klage/glossary"
	"github.com/klageflow/klage/store"
	"github.com/klageflow/klage/store/storetest"
)

// TestLifecycleFingerprint: a database written by an extended lifecycle
// refuses a workflow whose lifecycle lacks its names, with an error that
// names them; the extended workflow, and a compatible extension of the
// reference one, open it.
func TestLifecycleFingerprint(t *testing.T) {
	for _, b := range sqlBackends {
		t.Run(b.name, func(t *testing.T) {
			dsn := b.dsn(t)
			clock := complainttest.NewClock(complainttest.Start)
			ref, err := complaint.New(complaint.Options{Now: clock.Now})
			require.NoError(t, err)
			ext := storetest.Extended()
			extended, err := complaint.New(complaint.Options{Now: clock.Now, Lifecycle: &ext})
			require.NoError(t, err)

			// Written by the reference lifecycle: the extension opens it.
			s, err := openSQL(ctx, ref, dsn)
			require.NoError(t, err)
			c, err := store.Receive(ctx, s, ref, complainttest.Intake())
			require.NoError(t, err)
			require.NoError(t, s.Close())
			s, err = openSQL(ctx, extended, dsn)
			require.NoError(t, err, "a compatible extension opens")
			for _, in := range []complaint.Input{
				complainttest.InputFor(c, complaint.EventStart, glossary.CustomerService),
				{Event: storetest.EventScrap, Actor: glossary.Actor{ID: "wh-1", Role: storetest.Warehouse}, Note: "Beyond repair."},
			} {
				_, _, err := store.Fire(ctx, s, extended, c.ID(), in, store.FireOptions{})
				require.NoError(t, err)
			}
			require.NoError(t, s.Close())

			// Now the reference workflow cannot read it: refused at open,
			// naming what it lacks, not ErrCorrupt at the first Get.
			_, err = openSQL(ctx, ref, dsn)
			var le *store.LifecycleError
			require.ErrorAs(t, err, &le)
			assert.ErrorIs(t, err, store.ErrLifecycle)
			assert.Equal(t, []string{string(storetest.StateScrapped)}, le.States)
			assert.Equal(t, []string{string(storetest.EventScrap)}, le.Events)
			assert.Equal(t, []string{string(storetest.Warehouse)}, le.Roles)
			assert.Contains(t, err.Error(), "scrapped")

			s, err = openSQL(ctx, extended, dsn)
			require.NoError(t, err, "the extended workflow still opens it")
			got, err := s.Get(ctx, c.ID())
			require.NoError(t, err)
			assert.Equal(t, storetest.StateScrapped, got.State())
			require.NoError(t, s.Close())
		})
	}
}
