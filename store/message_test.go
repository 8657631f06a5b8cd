package store_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/klageflow/klage/complaint"
	"github.com/klageflow/klage/store"
)

func TestMessageJSON(t *testing.T) {
	m := store.Message{Notification: complaint.Notification{Topic: complaint.TopicAcknowledged, Recipient: "customer", ComplaintID: "K-1", Seq: 1, At: time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC),
		Data: complaint.Data{Event: complaint.EventOpen, State: complaint.StateReceived, By: "customer", Language: "da"}},
		Attempts: 2, DeliveredAt: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC), LastError: "smtp down"}
	data, err := json.Marshal(m)
	require.NoError(t, err)
	var got map[string]any
	require.NoError(t, json.Unmarshal(data, &got), "%s", data)
	assert.Equal(t, "K-1/1/acknowledged/customer", got["key"])
	assert.Equal(t, 2.0, got["attempts"])
	assert.Equal(t, "2026-03-02T09:00:00Z", got["delivered_at"])
	assert.Equal(t, "smtp down", got["last_error"])
	assert.NotContains(t, got, "dead_lettered_at")
}
