// Package tracing records what klage does as OpenTelemetry spans
// (go.opentelemetry.io/otel): one for each open and transition
// ("klage.open", "klage.fire"), each save of a complaint ("klage.save")
// and each delivery of a notification ("klage.deliver"), carrying the
// complaint's id, the event and, for a delivery, the topic, recipient and
// idempotency key; never personal data. A failed operation's span records
// the error's kind and is marked as an error.
//
// Tracing is off unless the service configures it: build a [Tracer] from
// the service's own TracerProvider and give it to complaint.Options's
// Observers (and the workflow's observer to the store.Relay):
//
//	w, err := complaint.New(complaint.Options{Observers: []observe.Observer{tracing.New(tp)}})
//	relay := &store.Relay{Outbox: s, Notifier: n, Observer: w.Observer()}
package tracing

import (
	"context"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"github.com/klageflow/klage/internal/errkind"
	"github.com/klageflow/klage/observe"
)

// ScopeName is the instrumentation scope of klage's spans.
const ScopeName = "github.com/klageflow/klage"

// The attributes of klage's spans.
const (
	AttrComplaintID = attribute.Key("klage.complaint.id")
	AttrEvent       = attribute.Key("klage.event")
	AttrTopic       = attribute.Key("klage.notification.topic")
	AttrRecipient   = attribute.Key("klage.notification.recipient")
	AttrKey         = attribute.Key("klage.notification.key")
	AttrErrorKind   = attribute.Key("klage.error.kind")
)

// Tracer is a observe.Observer that starts a span for each operation.
type Tracer struct{ t trace.Tracer }

var _ observe.Observer = (*Tracer)(nil)

// New returns a Tracer whose spans tp records.
func New(tp trace.TracerProvider) *Tracer {
	return &Tracer{t: tp.Tracer(ScopeName)}
}

// Begin implements observe.Observer.
func (t *Tracer) Begin(ctx context.Context, op observe.Operation) (context.Context, func(error)) {
	attrs := make([]attribute.KeyValue, 0, 5)
	if op.ComplaintID != "" {
		attrs = append(attrs, AttrComplaintID.String(op.ComplaintID))
	}
	if op.Event != "" {
		attrs = append(attrs, AttrEvent.String(op.Event))
	}
	kind := trace.SpanKindInternal
	if op.Op == observe.Deliver {
		kind = trace.SpanKindProducer
		attrs = append(attrs, AttrTopic.String(op.Topic), AttrRecipient.String(string(op.Recipient)), AttrKey.String(op.Key))
	}
	ctx, span := t.t.Start(ctx, "klage."+string(op.Op), trace.WithSpanKind(kind), trace.WithAttributes(attrs...))
	return ctx, func(err error) {
		if err != nil {
			// The kind, not the message: an error's text may quote input.
			k := errkind.Of(err)
			span.SetAttributes(AttrErrorKind.String(k))
			span.SetStatus(codes.Error, k)
		}
		span.End()
	}
}
