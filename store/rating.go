package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/klageflow/klage/complaint"
	"github.com/klageflow/klage/glossary"
)

// ErrRated is matched by the error of a second rating of one complaint: a
// customer rates a case once.
var ErrRated = errors.New("store: the complaint has been rated")

// Rater is a store that keeps customers' ratings of their closed cases:
// the SQL stores and Memory.
type Rater interface {
	// Rate records actor a's rating of complaint id, once, after
	// complaint.Workflow.CheckRating allows it; r.At zero means now. It
	// returns *NotFoundError, ErrRated, or CheckRating's error, and then
	// writes nothing.
	Rate(ctx context.Context, id string, a glossary.Actor, r complaint.Rating) error
	// Rating returns complaint id's rating, if it has one.
	Rating(ctx context.Context, id string) (complaint.Rating, bool, error)
}

var (
	_ Rater = (*SQL)(nil)
	_ Rater = (*Memory)(nil)
)

// Rate implements Rater.
func (s *SQL) Rate(ctx context.Context, id string, a glossary.Actor, r complaint.Rating) error {
	if err := s.usable(); err != nil {
		return err
	}
	c, err := s.Get(ctx, id)
	if err != nil {
		return err
	}
	if err := s.w.CheckRating(c, a, r); err != nil {
		return err
	}
	if r.At.IsZero() {
		r.At = s.w.Now()
	}
	defer s.lockWrites()()
	res, err := s.db.ExecContext(ctx, s.d.rebind(`INSERT INTO klage_ratings (complaint_id, score, comment, rated_at, complaint_created_at)
		VALUES (?, ?, ?, ?, ?) ON CONFLICT (complaint_id) DO NOTHING`), id, r.Score, r.Comment, nanos(r.At), nanos(c.CreatedAt()))
	if err != nil {
		return fmt.Errorf("store: rate %q: %w", id, err)
	}
	if n, err := res.RowsAffected(); err != nil || n != 1 {
		return fmt.Errorf("%w: %s", ErrRated, id)
	}
	return nil
}

// Rating implements Rater.
func (s *SQL) Rating(ctx context.Context, id string) (complaint.Rating, bool, error) {
	if err := s.usable(); err != nil {
		return complaint.Rating{}, false, err
	}
	var r complaint.Rating
	var at int64
	err := s.db.QueryRowContext(ctx, s.d.rebind(`SELECT score, comment, rated_at FROM klage_ratings WHERE complaint_id = ?`), id).
		Scan(&r.Score, &r.Comment, &at)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return complaint.Rating{}, false, nil
	case err != nil:
		return complaint.Rating{}, false, fmt.Errorf("store: rating %q: %w", id, err)
	}
	r.At = fromNanos(at)
	return r, true, nil
}

// Rate implements Rater.
func (m *Memory) Rate(ctx context.Context, id string, a glossary.Actor, r complaint.Rating) error {
	if err := m.usable(); err != nil {
		return err
	}
	c, err := m.Get(ctx, id)
	if err != nil {
		return err
	}
	if err := m.w.CheckRating(c, a, r); err != nil {
		return err
	}
	if r.At.IsZero() {
		r.At = m.w.Now()
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.ratings[id]; ok {
		return fmt.Errorf("%w: %s", ErrRated, id)
	}
	if m.ratings == nil {
		m.ratings = map[string]complaint.Rating{}
	}
	m.ratings[id] = r
	return nil
}

// Rating implements Rater.
func (m *Memory) Rating(ctx context.Context, id string) (complaint.Rating, bool, error) {
	if err := m.ready(ctx); err != nil {
		return complaint.Rating{}, false, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	r, ok := m.ratings[id]
	return r, ok, nil
}
