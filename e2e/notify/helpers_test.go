package notify_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/klageflow/klage/notify"
)

// renderer is the shipped texts with the sender these tests expect.
func renderer(t testing.TB, opts notify.RendererOptions) *notify.Renderer {
	t.Helper()
	if opts.Sender == "" {
		opts.Sender = "Kundeservice, Eksempel A/S"
	}
	r, err := notify.NewRenderer(opts)
	require.NoError(t, err)
	return r
}
