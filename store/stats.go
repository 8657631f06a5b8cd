package store

import (
	"context"
	"fmt"
	"time"

	"github.com/klageflow/klage/complaint"
)

// Stats is what an operator watches: the open complaints, the clocks that
// are overdue, and the outbox.
type Stats struct {
	// Open counts the complaints that are not closed, by state.
	Open map[complaint.State]int
	// Overdue counts the running clocks past due, by name.
	Overdue map[complaint.DeadlineName]int
	// OverdueTruncated is set when more than MaxStatsOverdue complaints had
	// an overdue clock: Overdue counts the first of them by due time.
	OverdueTruncated bool
	// Pending counts the notifications neither delivered nor
	// dead-lettered; OldestPending is when the oldest of them was made
	// (zero when there is none).
	Pending       int
	OldestPending time.Time
	// DeadLetters counts the notifications set aside for good.
	DeadLetters int
}

// MaxStatsOverdue bounds how many complaints with an overdue clock
// [SQL.Stats] reads to count the clocks by name.
const MaxStatsOverdue = 10_000

// StatsReader is a store that reports its [Stats]: the SQL stores and
// Memory.
type StatsReader interface {
	Stats(ctx context.Context, now time.Time) (Stats, error)
}

var (
	_ StatsReader = (*SQL)(nil)
	_ StatsReader = (*Memory)(nil)
)

// Stats reports the store's figures at now. The counts are computed in the
// database over indexed columns; the overdue clocks are counted from the
// complaints whose earliest due time has passed (the next_due index), at
// most MaxStatsOverdue of them.
func (s *SQL) Stats(ctx context.Context, now time.Time) (Stats, error) {
	if err := s.usable(); err != nil {
		return Stats{}, err
	}
	st := Stats{Open: map[complaint.State]int{}, Overdue: map[complaint.DeadlineName]int{}}
	rows, err := s.db.QueryContext(ctx, `SELECT state, COUNT(*) FROM klage_complaints WHERE closed_at IS NULL GROUP BY state`)
	if err != nil {
		return Stats{}, fmt.Errorf("store: stats: %w", err)
	}
	for rows.Next() {
		var state string
		var n int
		if err := rows.Scan(&state, &n); err != nil {
			_ = rows.Close()
			return Stats{}, fmt.Errorf("store: stats: %w", err)
		}
		st.Open[complaint.State(state)] = n
	}
	if err := rows.Close(); err != nil {
		return Stats{}, fmt.Errorf("store: stats: %w", err)
	}
	if err := rows.Err(); err != nil {
		return Stats{}, fmt.Errorf("store: stats: %w", err)
	}
	var oldest *int64
	err = s.db.QueryRowContext(ctx, `SELECT COUNT(*), MIN(created_at) FROM klage_outbox WHERE delivered_at IS NULL AND dead_at IS NULL`).
		Scan(&st.Pending, &oldest)
	if err != nil {
		return Stats{}, fmt.Errorf("store: stats: %w", err)
	}
	if oldest != nil {
		st.OldestPending = fromNanos(*oldest)
	}
	if err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM klage_outbox WHERE dead_at IS NOT NULL`).Scan(&st.DeadLetters); err != nil {
		return Stats{}, fmt.Errorf("store: stats: %w", err)
	}
	return st, countOverdue(ctx, s, now, &st)
}

// countOverdue pages through the complaints with an overdue clock and
// counts their clocks by name.
func countOverdue(ctx context.Context, s Store, now time.Time, st *Stats) error {
	f := Filter{OverdueAt: now, Limit: MaxLimit}
	read := 0
	for {
		page, err := s.List(ctx, f)
		if err != nil {
			return err
		}
		for _, c := range page.Complaints {
			for _, d := range c.Overdue(now) {
				st.Overdue[d.Name]++
			}
		}
		read += len(page.Complaints)
		if page.Next == "" {
			return nil
		}
		if read >= MaxStatsOverdue {
			st.OverdueTruncated = true
			return nil
		}
		f.Cursor = page.Next
	}
}

// Stats reports the store's figures at now.
func (m *Memory) Stats(ctx context.Context, now time.Time) (Stats, error) {
	if err := m.ready(ctx); err != nil {
		return Stats{}, err
	}
	st := Stats{Open: map[complaint.State]int{}, Overdue: map[complaint.DeadlineName]int{}}
	m.mu.Lock()
	for _, rec := range m.complaints {
		if !m.w.Terminal(rec.snap.State) {
			st.Open[rec.snap.State]++
		}
	}
	for _, msg := range m.outbox {
		switch {
		case msg.Dead():
			st.DeadLetters++
		case !msg.Delivered():
			st.Pending++
			if st.OldestPending.IsZero() || msg.At.Before(st.OldestPending) {
				st.OldestPending = msg.At
			}
		}
	}
	m.mu.Unlock()
	return st, countOverdue(ctx, m, now, &st)
}
