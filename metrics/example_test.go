package metrics_test

import (
	"context"
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/klageflow/klage/complaint"
	"github.com/klageflow/klage/complaint/complainttest"
	"github.com/klageflow/klage/metrics"
	"github.com/klageflow/klage/observe"
)

// The metrics observe a workflow; the registry is what GET /metrics
// serves (promhttp.HandlerFor).
func ExampleNew() {
	reg := prometheus.NewRegistry()
	m, err := metrics.New(reg)
	if err != nil {
		panic(err)
	}
	w, err := complaint.New(complaint.Options{Observers: []observe.Observer{m}})
	if err != nil {
		panic(err)
	}
	for range 2 {
		if _, err := w.Open(context.Background(), complainttest.Intake()); err != nil {
			panic(err)
		}
	}
	n, err := testutil.GatherAndCount(reg, "klage_transitions_total")
	if err != nil {
		panic(err)
	}
	mf, err := reg.Gather()
	if err != nil {
		panic(err)
	}
	for _, f := range mf {
		if f.GetName() == "klage_transitions_total" {
			fmt.Println(n, f.GetMetric()[0].GetLabel()[0].GetValue(), f.GetMetric()[0].GetCounter().GetValue())
		}
	}
	// Output: 1 open 2
}
