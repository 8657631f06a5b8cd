package tracing_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/klageflow/klage/complaint"
	"github.com/klageflow/klage/complaint/complainttest"
	"github.com/klageflow/klage/glossary"
	"github.com/klageflow/klage/observe"
	"github.com/klageflow/klage/store"
	"github.com/klageflow/klage/store/sqlite"
	"github.com/klageflow/klage/tracing"
)

func attrs(s sdktrace.ReadOnlySpan) map[string]string {
	out := map[string]string{}
	for _, kv := range s.Attributes() {
		out[string(kv.Key)] = kv.Value.String()
	}
	return out
}

// TestSpans: opens, transitions, saves and deliveries on a real SQLite
// store become spans with the complaint's id and the event, children of
// the caller's span; a refusal is an error span with its kind; no
// attribute holds personal data.
func TestSpans(t *testing.T) {
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	defer func() { _ = tp.Shutdown(context.Background()) }()
	clock := complainttest.NewClock(time.Time{})
	w, err := complaint.New(complaint.Options{Now: clock.Now, Observers: []observe.Observer{tracing.New(tp)}})
	require.NoError(t, err)
	s, err := sqlite.Open(context.Background(), w, filepath.Join(t.TempDir(), "klage.db"))
	require.NoError(t, err)
	defer func() { _ = s.Close() }()

	ctx, request := tp.Tracer("test").Start(context.Background(), "POST /complaints")
	intake := complainttest.Intake()
	c, err := store.Receive(ctx, s, w, intake)
	require.NoError(t, err)
	_, _, err = store.Fire(ctx, s, w, c.ID(), complainttest.InputFor(c, complaint.EventStart, glossary.CustomerService), store.FireOptions{})
	require.NoError(t, err)
	_, _, err = store.Fire(ctx, s, w, c.ID(), complainttest.InputFor(c, complaint.EventEscalate, glossary.Customer), store.FireOptions{})
	require.ErrorIs(t, err, complaint.ErrInvalidTransition)
	request.End()
	relay := &store.Relay{Outbox: s, Now: clock.Now, Observer: w.Observer(),
		Notifier: complaint.NotifierFunc(func(context.Context, complaint.Notification) error { return nil })}
	_, err = relay.RunOnce(context.Background())
	require.NoError(t, err)

	var names []string
	for _, sp := range rec.Ended() {
		names = append(names, sp.Name())
	}
	assert.Equal(t, []string{"klage.open", "klage.save", "klage.fire", "klage.save", "klage.fire", "POST /complaints",
		"klage.deliver", "klage.deliver"}, names)

	ended := rec.Ended()
	for i, sp := range ended[:5] {
		assert.Equal(t, request.SpanContext().SpanID(), sp.Parent().SpanID(), "%s is the request's child", sp.Name())
		if i > 0 {
			assert.Equal(t, c.ID(), attrs(sp)["klage.complaint.id"], sp.Name())
		}
	}
	assert.Equal(t, map[string]string{"klage.event": "open"}, attrs(ended[0]), "the workflow makes the id")
	assert.Equal(t, "start", attrs(ended[2])["klage.event"])
	assert.Equal(t, codes.Unset, ended[2].Status().Code)
	refused := ended[4]
	assert.Equal(t, "escalate", attrs(refused)["klage.event"])
	assert.Equal(t, codes.Error, refused.Status().Code)
	assert.Equal(t, "not_allowed", attrs(refused)["klage.error.kind"])

	deliver := ended[6]
	assert.Equal(t, trace.SpanKindProducer, deliver.SpanKind())
	assert.Equal(t, map[string]string{"klage.complaint.id": c.ID(), "klage.event": "open", "klage.notification.topic": "acknowledged",
		"klage.notification.recipient": "customer", "klage.notification.key": c.ID() + "/1/acknowledged/customer"}, attrs(deliver))

	for _, sp := range ended {
		for k, v := range attrs(sp) {
			for _, personal := range []string{intake.Customer.Email, intake.Customer.Name, intake.Customer.Phone, intake.Description} {
				assert.False(t, strings.Contains(v, personal), "%s %s holds personal data", sp.Name(), k)
			}
		}
	}
}
