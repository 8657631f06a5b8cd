package kitstore_test

import (
	"testing"

	"github.com/klageflow/klage/complaint"
	"github.com/klageflow/klage/internal/kitstore"
	"github.com/klageflow/klage/store/storetest"
)

// TestConformance: a store written outside package store, from its
// public API, passes the whole kit.
func TestConformance(t *testing.T) {
	storetest.Run(t, func(_ testing.TB, w *complaint.Workflow) storetest.Storage { return kitstore.New(w) })
}
