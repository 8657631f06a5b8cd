package tracing_test

import (
	"context"
	"fmt"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/klageflow/klage/complaint"
	"github.com/klageflow/klage/complaint/complainttest"
	"github.com/klageflow/klage/glossary"
	"github.com/klageflow/klage/observe"
	"github.com/klageflow/klage/tracing"
)

// Spans from the service's own tracer provider; here one that records
// them in memory.
func ExampleNew() {
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	w, err := complaint.New(complaint.Options{Observers: []observe.Observer{tracing.New(tp)}})
	if err != nil {
		panic(err)
	}
	ctx := context.Background()
	c, err := w.Open(ctx, complainttest.Intake())
	if err != nil {
		panic(err)
	}
	if _, err := w.Fire(ctx, c, complainttest.InputFor(c, complaint.EventStart, glossary.CustomerService)); err != nil {
		panic(err)
	}
	for _, s := range rec.Ended() {
		fmt.Println(s.Name())
	}
	// Output:
	// klage.open
	// klage.fire
}
