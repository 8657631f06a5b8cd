package complaint_test

import (
	"context"
	"testing"

	"github.com/looplab/fsm"

	"github.com/klageflow/klage/complaint"
	"github.com/klageflow/klage/complaint/complainttest"
	"github.com/klageflow/klage/glossary"
)

// Every iteration is one real transition. Compare the benchmarks as ratios
// of BenchmarkBaselineLooplabEvent:
//
//	go test -run '^$' -bench . -benchmem -count 5 ./complaint/

// BenchmarkBaselineLooplabEvent is the floor: a bare looplab/fsm Event on
// an FSM with the lifecycle's states and events, built from DESIGN's table
// in this file, with no wrapper. It alternates request_info and
// provide_info, which can repeat forever.
func BenchmarkBaselineLooplabEvent(b *testing.B) {
	var events fsm.Events
	for _, row := range designTable {
		if row.to != "" {
			events = append(events, fsm.EventDesc{Name: row.event, Src: row.from, Dst: row.to})
		}
	}
	m := fsm.NewFSM("in_progress", events, nil)
	ctx := context.Background()
	names := [2]string{"request_info", "provide_info"}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := m.Event(ctx, names[i&1]); err != nil {
			b.Fatal(err)
		}
	}
}

var noop = complaint.NotifierFunc(func(context.Context, complaint.Notification) error { return nil })

// BenchmarkFire is one full transition through the workflow: rules,
// history, deadlines and notifications to a no-op notifier. It alternates
// request_info and provide_info on one complaint, which is restored every 64
// transitions so that its history stays at a realistic length.
func BenchmarkFire(b *testing.B) {
	f := newFixture(b, complaint.Options{Notifier: noop})
	base := complainttest.InState(b, f.w, complaint.StateInProgress, nil).Snapshot()
	c, _ := f.w.Restore(base)
	in := [2]complaint.Input{
		complainttest.InputFor(c, complaint.EventRequestInfo, glossary.CustomerService),
		complainttest.InputFor(c, complaint.EventProvideInfo, glossary.Customer),
	}
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if i%64 == 0 && i > 0 {
			// Timed on purpose: stopping the timer costs more than the
			// 1/64 of a Restore it would leave out.
			c, _ = f.w.Restore(base)
		}
		if _, err := f.w.Fire(ctx, c, in[i&1]); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRestoreAndFire is a complaint as it comes back from storage (a
// Snapshot decoded by the store) restored, replay check included, then one
// transition.
func BenchmarkRestoreAndFire(b *testing.B) {
	f := newFixture(b, complaint.Options{Notifier: noop})
	c := complainttest.InState(b, f.w, complaint.StateInProgress, nil)
	in := complainttest.InputFor(c, complaint.EventRequestInfo, glossary.CustomerService)
	// A complaint with some history: referred to the manufacturer and back.
	for _, e := range []complaint.Input{
		complainttest.InputFor(c, complaint.EventRefer, glossary.CustomerService),
		complainttest.InputFor(c, complaint.EventResume, glossary.Manufacturer),
	} {
		if _, err := f.w.Fire(context.Background(), c, e); err != nil {
			b.Fatal(err)
		}
	}
	stored := c.Snapshot()
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		c, err := f.w.Restore(stored)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := f.w.Fire(ctx, c, in); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCan asks whether an event is allowed now for a role.
func BenchmarkCan(b *testing.B) {
	f := newFixture(b, complaint.Options{Notifier: noop})
	c := complainttest.InState(b, f.w, complaint.StateFinalAnswer, nil)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if f.w.Can(c, complaint.EventClose, glossary.ComplaintsDepartment) {
			b.Fatal("close allowed inside the escalation window")
		}
	}
}
