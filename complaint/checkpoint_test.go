package complaint_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/klageflow/klage/complaint"
	"github.com/klageflow/klage/complaint/complainttest"
	"github.com/klageflow/klage/escalation"
	"github.com/klageflow/klage/glossary"
)

// TestCheckpointActsLikeTheWholeHistory restores every complaint the
// explorer reaches from snapshots that keep only the newest one or two
// entries and checks that the result is the same complaint: the same
// answers to every role's menu and, after the same next event, the same
// data.
func TestCheckpointActsLikeTheWholeHistory(t *testing.T) {
	w, err := complaint.New(complaint.Options{Now: complainttest.NewClock(time.Time{}).Now})
	require.NoError(t, err)
	ctx := context.Background()
	roles := w.Lifecycle().Roles
	checked := 0
	complainttest.Explore(t, w, 5, func(p complainttest.Path) {
		full := p.Complaint
		for _, keep := range []int{1, 2} {
			snap := w.SnapshotTail(full, keep)
			if full.Version() > keep {
				require.NotNil(t, snap.Checkpoint)
				require.Len(t, snap.History, keep)
				checked++
			}
			// Through JSON, as a store keeps it.
			data, err := json.Marshal(snap)
			require.NoError(t, err)
			tail, err := w.RestoreJSON(data)
			require.NoError(t, err, "%v keep %d", p.Events, keep)
			require.Equal(t, full.Version(), tail.Version())
			require.Equal(t, full.State(), tail.State())
			require.Equal(t, full.CreatedAt(), tail.CreatedAt())
			require.Equal(t, full.Last(), tail.Last())
			for _, r := range roles {
				require.Equal(t, w.Available(ctx, full, complainttest.ActorFor(full, r)),
					w.Available(ctx, tail, complainttest.ActorFor(tail, r)), "%v keep %d, %s", p.Events, keep, r)
			}
			// The same next step gives the same complaint.
			for _, e := range w.Available(ctx, full, complainttest.ActorFor(full, glossary.CustomerService)) {
				a, err := w.Restore(full.Snapshot())
				require.NoError(t, err)
				in := complainttest.InputFor(a, e, glossary.CustomerService)
				_, errFull := w.Fire(ctx, a, in)
				_, errTail := w.Fire(ctx, tail, in)
				require.Equal(t, errFull == nil, errTail == nil, "%v then %s: %v / %v", p.Events, e, errFull, errTail)
				if errFull == nil {
					require.Equal(t, w.SnapshotTail(a, 1), w.SnapshotTail(tail, 1))
				}
				break
			}
		}
	})
	assert.Greater(t, checked, 1000, "the explorer reached complaints long enough to checkpoint")
}

// TestCheckpointKeepsImpartiality: a reviewer who acted for customer service
// before the checkpoint is still refused.
func TestCheckpointKeepsImpartiality(t *testing.T) {
	f := newFixture(t, complaint.Options{})
	c := complainttest.InState(t, f.w, complaint.StateEscalated, nil)
	agent := complainttest.ActorFor(c, glossary.CustomerService)
	snap := f.w.SnapshotTail(c, 1)
	require.Contains(t, snap.Checkpoint.Actors, agent)
	tail, err := f.w.Restore(snap)
	require.NoError(t, err)
	in := complainttest.InputFor(tail, complaint.EventReview, glossary.ComplaintsDepartment)
	in.Actor = glossary.Actor{ID: agent.ID, Role: glossary.ComplaintsDepartment}
	_, err = f.w.Fire(ctx, tail, in)
	var imp *escalation.ImpartialityError
	require.ErrorAs(t, err, &imp)
	assert.ErrorIs(t, err, escalation.ErrNotImpartial)
}

// TestCheckpointRefusesBadOnes: a checkpoint that does not fit its
// snapshot is a *SnapshotError.
func TestCheckpointRefusesBadOnes(t *testing.T) {
	f := newFixture(t, complaint.Options{})
	c := complainttest.InState(t, f.w, complaint.StateEscalated, nil)
	for name, spoil := range map[string]func(*complaint.Snapshot){
		"seq zero":          func(s *complaint.Snapshot) { s.Checkpoint.Seq = 0 },
		"gap":               func(s *complaint.Snapshot) { s.Checkpoint.Seq-- },
		"unknown state":     func(s *complaint.Snapshot) { s.Checkpoint.State = "limbo" },
		"wrong state":       func(s *complaint.Snapshot) { s.Checkpoint.State = complaint.StateClosed },
		"no actors":         func(s *complaint.Snapshot) { s.Checkpoint.Actors = nil },
		"bad actor":         func(s *complaint.Snapshot) { s.Checkpoint.Actors[0].Role = "boss" },
		"twice":             func(s *complaint.Snapshot) { s.Checkpoint.Actors = append(s.Checkpoint.Actors, s.Checkpoint.Actors[0]) },
		"no time":           func(s *complaint.Snapshot) { s.Checkpoint.At = time.Time{} },
		"before created":    func(s *complaint.Snapshot) { s.Checkpoint.At = s.CreatedAt.Add(-time.Hour) },
		"unknown payload":   func(s *complaint.Snapshot) { s.Checkpoint.Recorded = append(s.Checkpoint.Recorded, "bribe") },
		"answer unrecorded": func(s *complaint.Snapshot) { s.Checkpoint.Recorded = nil },
		"no tail":           func(s *complaint.Snapshot) { s.History = nil },
		"version":           func(s *complaint.Snapshot) { s.Version++ },
	} {
		t.Run(name, func(t *testing.T) {
			snap := f.w.SnapshotTail(c, 1)
			require.Contains(t, snap.Checkpoint.Recorded, complaint.NeedsAnswer)
			spoil(&snap)
			_, err := f.w.Restore(snap)
			var se *complaint.SnapshotError
			require.True(t, errors.As(err, &se), "got %v", err)
			assert.ErrorIs(t, err, complaint.ErrInvalidSnapshot)
		})
	}
}

// TestCheckpointFulfilmentsBefore: a fulfilment recorded before the
// checkpoint is taken as it is when valid, and refused when not; the
// complaint says which checkpoint it was restored from.
func TestCheckpointFulfilmentsBefore(t *testing.T) {
	f := newFixture(t, complaint.Options{})
	c := complainttest.InState(t, f.w, complaint.StateReviewed, nil)
	_, err := f.w.Fire(ctx, c, complainttest.InputFor(c, complaint.EventFulfil, glossary.CustomerService))
	require.NoError(t, err)
	_, err = f.w.Fire(ctx, c, complainttest.InputFor(c, complaint.EventInternalNote, glossary.ComplaintsDepartment))
	require.NoError(t, err)
	_, full := c.Checkpoint()
	assert.False(t, full, "a complaint opened here has no checkpoint")

	snap := f.w.SnapshotTail(c, 1)
	require.Len(t, snap.Fulfilments, 1)
	require.Less(t, snap.Fulfilments[0].Seq, snap.History[0].Seq, "the fulfilment is before the checkpoint")
	tail, err := f.w.Restore(snap)
	require.NoError(t, err)
	assert.False(t, tail.Owes(), "the fulfilment before the checkpoint counts")
	cp, ok := tail.Checkpoint()
	require.True(t, ok)
	assert.Equal(t, *snap.Checkpoint, cp)

	for name, spoil := range map[string]func(*complaint.Fulfilment){
		"unknown remedy": func(f *complaint.Fulfilment) { f.Remedy = "magic" },
		"at the opening": func(f *complaint.Fulfilment) { f.Seq = 1 },
		"out of range":   func(f *complaint.Fulfilment) { f.At = time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC) },
	} {
		bad := f.w.SnapshotTail(c, 1)
		spoil(&bad.Fulfilments[0])
		_, err := f.w.Restore(bad)
		assert.ErrorIs(t, err, complaint.ErrInvalidSnapshot, name)
	}
}
