package complaint_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/looplab/fsm"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

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
	m := bareMachine()
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

// bareMachine is a looplab FSM with the lifecycle's state-changing rows of
// DESIGN's table, in progress.
func bareMachine() *fsm.FSM {
	var events fsm.Events
	for _, row := range designTable {
		if row.to != "" {
			events = append(events, fsm.EventDesc{Name: row.event, Src: row.from, Dst: row.to})
		}
	}
	return fsm.NewFSM("in_progress", events, nil)
}

var noop = complaint.NotifierFunc(func(context.Context, complaint.Notification) error { return nil })

// fireFixture returns what BenchmarkFire fires on: a workflow with a no-op
// notifier, a complaint in progress restored from base, and the inputs
// request_info and provide_info, which can alternate forever.
func fireFixture(b *testing.B) (*fixture, complaint.Snapshot, *complaint.Complaint, [2]complaint.Input) {
	b.Helper()
	f := newFixture(b, complaint.Options{Notifier: noop})
	base := complainttest.InState(b, f.w, complaint.StateInProgress, nil).Snapshot()
	c, err := f.w.Restore(base)
	if err != nil {
		b.Fatal(err)
	}
	return f, base, c, [2]complaint.Input{
		complainttest.InputFor(c, complaint.EventRequestInfo, glossary.CustomerService),
		complainttest.InputFor(c, complaint.EventProvideInfo, glossary.Customer),
	}
}

// BenchmarkFire is one full transition through the workflow: rules,
// history, deadlines and notifications to a no-op notifier. It alternates
// request_info and provide_info on one complaint, which is restored every 64
// transitions so that its history stays at a realistic length.
func BenchmarkFire(b *testing.B) {
	f, base, c, in := fireFixture(b)
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

// BenchmarkFireOverEvent measures the ratio of BenchmarkFire to
// BenchmarkBaselineLooplabEvent with the two interleaved, in batches of 64,
// so that a shared machine slowing down between two benchmarks does not
// move it: its fire/event metric is the time of 64 Fires over the time of
// 64 bare Events, summed over the run. ns/op is one Fire and one Event.
func BenchmarkFireOverEvent(b *testing.B) {
	bare := bareMachine()
	f, base, c, in := fireFixture(b)
	names := [2]string{"request_info", "provide_info"}
	ctx := context.Background()
	var fire, event time.Duration
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i += 64 {
		n := min(64, b.N-i)
		start := time.Now()
		for j := range n {
			if err := bare.Event(ctx, names[j&1]); err != nil {
				b.Fatal(err)
			}
		}
		mid := time.Now()
		if i > 0 {
			c, _ = f.w.Restore(base) // as BenchmarkFire does every 64 transitions
		}
		for j := range n {
			if _, err := f.w.Fire(ctx, c, in[j&1]); err != nil {
				b.Fatal(err)
			}
		}
		event += mid.Sub(start)
		fire += time.Since(mid)
	}
	if event > 0 {
		b.ReportMetric(float64(fire)/float64(event), "fire/event")
	}
}

// storedComplaint returns a snapshot of a complaint with some history, as a
// store would decode it: in progress, referred to the manufacturer and back.
// in is customer service asking the customer for information.
func storedComplaint(b testing.TB, f *fixture) (stored complaint.Snapshot, in complaint.Input) {
	b.Helper()
	c := complainttest.InState(b, f.w, complaint.StateInProgress, nil)
	in = complainttest.InputFor(c, complaint.EventRequestInfo, glossary.CustomerService)
	for _, e := range []complaint.Input{
		complainttest.InputFor(c, complaint.EventRefer, glossary.CustomerService),
		complainttest.InputFor(c, complaint.EventResume, glossary.Manufacturer),
	} {
		if _, err := f.w.Fire(context.Background(), c, e); err != nil {
			b.Fatal(err)
		}
	}
	return c.Snapshot(), in
}

// BenchmarkRestoreAndFire is a complaint as it comes back from storage (a
// Snapshot decoded by the store) restored, replay check included, then one
// transition.
func BenchmarkRestoreAndFire(b *testing.B) {
	f := newFixture(b, complaint.Options{Notifier: noop})
	stored, in := storedComplaint(b, f)
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

// BenchmarkRestore is the restore alone, from the same snapshot as
// BenchmarkRestoreAndFire: what loading costs on top of a transition.
func BenchmarkRestore(b *testing.B) {
	f := newFixture(b, complaint.Options{Notifier: noop})
	stored, _ := storedComplaint(b, f)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		c, err := f.w.Restore(stored)
		if err != nil {
			b.Fatal(err)
		}
		if c.Version() != stored.Version {
			b.Fatalf("restored version %d, want %d", c.Version(), stored.Version)
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
		if f.w.Can(ctx, c, complaint.EventClose, complainttest.ActorFor(c, glossary.ComplaintsDepartment)) {
			b.Fatal("close allowed inside the escalation window")
		}
	}
}

// BenchmarkStoredRoundTrip is what a store does per transition: decode the
// stored JSON (RestoreJSON, replay check included), fire one event, and
// encode the complaint again (MarshalJSON). There is no Notifier, as with a
// store: the notifications stay pending for the outbox.
func BenchmarkStoredRoundTrip(b *testing.B) {
	f := newFixture(b, complaint.Options{Notifier: noop})
	stored, in := storedComplaint(b, f)
	w, err := complaint.New(complaint.Options{Now: f.clock.Now})
	if err != nil {
		b.Fatal(err)
	}
	stored.Pending = nil
	data, err := json.Marshal(&stored)
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		c, err := w.RestoreJSON(data)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := w.Fire(ctx, c, in); err != nil {
			b.Fatal(err)
		}
		if _, err := c.MarshalJSON(); err != nil {
			b.Fatal(err)
		}
	}
}

// TestStoredRoundTripAllocations: what a store does per transition (decode
// the JSON, fire, encode) stays under 150 allocations.
func TestStoredRoundTripAllocations(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector allocates on its own")
	}
	f := newFixture(t, complaint.Options{Notifier: noop})
	stored, in := storedComplaint(t, f)
	w, err := complaint.New(complaint.Options{Now: f.clock.Now})
	require.NoError(t, err)
	stored.Pending = nil
	data, err := json.Marshal(&stored)
	require.NoError(t, err)
	ctx := context.Background()
	allocs := testing.AllocsPerRun(50, func() {
		c, err := w.RestoreJSON(data)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Fire(ctx, c, in); err != nil {
			t.Fatal(err)
		}
		if _, err := c.MarshalJSON(); err != nil {
			t.Fatal(err)
		}
	})
	t.Logf("%.0f allocations a stored round trip", allocs)
	assert.Less(t, allocs, 150.0)
}
