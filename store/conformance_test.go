package store_test

import (
	"testing"

	"github.com/klageflow/klage/complaint"
	"github.com/klageflow/klage/store/storetest"
)

// TestConformance runs the conformance kit, which users run on their own
// stores, on klage's three.
func TestConformance(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			storetest.Run(t, func(tb testing.TB, w *complaint.Workflow) storetest.Storage { return b.open(tb, w) })
		})
	}
}
