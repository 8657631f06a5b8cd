package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/klageflow/klage/complaint"
)

// ErrLifecycle is matched by the *LifecycleError of a store opened with a
// workflow that cannot read what the database holds.
var ErrLifecycle = errors.New("store: the workflow's lifecycle cannot read this database")

// LifecycleError reports the names of the lifecycle the database was
// written by that the opening workflow's lifecycle does not have: the
// data is fine, the configuration is wrong (a reference workflow on a
// database an extended one wrote). To retire an extension, move its
// complaints out of its states and delete its names from klage_lifecycle.
type LifecycleError struct {
	States, Events, Roles []string
}

// Error implements error.
func (e *LifecycleError) Error() string {
	var parts []string
	for _, p := range []struct {
		kind  string
		names []string
	}{{"states", e.States}, {"events", e.Events}, {"roles", e.Roles}} {
		if len(p.names) > 0 {
			parts = append(parts, p.kind+" "+strings.Join(p.names, ", "))
		}
	}
	return "store: the database was written by a lifecycle with " + strings.Join(parts, "; ") + ", which the workflow's lacks"
}

// Unwrap returns ErrLifecycle.
func (e *LifecycleError) Unwrap() error { return ErrLifecycle }

// checkLifecycle compares the lifecycle the database was written by
// (klage_lifecycle; from the data itself the first time) with the
// workflow's, refuses the store if the workflow lacks a name, and records
// the workflow's names.
func (s *SQL) checkLifecycle(ctx context.Context) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		stored := map[string][]string{}
		rows, err := tx.QueryContext(ctx, `SELECT kind, name FROM klage_lifecycle ORDER BY kind, name`)
		if err != nil {
			return fmt.Errorf("store: read the lifecycle: %w", err)
		}
		for rows.Next() {
			var kind, name string
			if err := rows.Scan(&kind, &name); err != nil {
				return errors.Join(fmt.Errorf("store: read the lifecycle: %w", err), rows.Close())
			}
			stored[kind] = append(stored[kind], name)
		}
		if err := errors.Join(rows.Err(), rows.Close()); err != nil {
			return fmt.Errorf("store: read the lifecycle: %w", err)
		}
		if len(stored) == 0 {
			// The first open on schema 12: what the data uses.
			for kind, q := range map[string]string{
				"state": `SELECT DISTINCT state FROM klage_complaints`,
				"event": `SELECT DISTINCT event FROM klage_history`,
				"role":  `SELECT DISTINCT actor_role FROM klage_history`,
			} {
				names, err := textColumn(ctx, tx, q)
				if err != nil {
					return fmt.Errorf("store: read the lifecycle from the data: %w", err)
				}
				stored[kind] = names
			}
		}
		known := map[string]func(string) bool{
			"state": func(n string) bool { _, ok := s.w.State(complaint.State(n)); return ok },
			"event": func(n string) bool { _, err := s.w.ParseEvent(n); return err == nil },
			"role":  func(n string) bool { _, err := s.w.ParseRole(n); return err == nil },
		}
		var lerr LifecycleError
		for kind, names := range stored {
			for _, n := range names {
				if known[kind] != nil && !known[kind](n) {
					switch kind {
					case "state":
						lerr.States = append(lerr.States, n)
					case "event":
						lerr.Events = append(lerr.Events, n)
					case "role":
						lerr.Roles = append(lerr.Roles, n)
					}
				}
			}
		}
		if len(lerr.States)+len(lerr.Events)+len(lerr.Roles) > 0 {
			for _, l := range [][]string{lerr.States, lerr.Events, lerr.Roles} {
				slices.Sort(l)
			}
			return &lerr
		}
		ours := map[string][]string{"state": {}, "event": {string(complaint.EventOpen)}, "role": {}}
		for _, st := range s.w.States() {
			ours["state"] = append(ours["state"], string(st))
		}
		for _, e := range s.w.Events() {
			ours["event"] = append(ours["event"], string(e))
		}
		for _, r := range s.w.Roles() {
			ours["role"] = append(ours["role"], string(r))
		}
		for kind, names := range ours {
			for _, n := range names {
				if _, err := tx.ExecContext(ctx, s.d.rebind(`INSERT INTO klage_lifecycle (kind, name) VALUES (?, ?) ON CONFLICT (kind, name) DO NOTHING`), kind, n); err != nil {
					return fmt.Errorf("store: record the lifecycle: %w", err)
				}
			}
		}
		return nil
	})
}

// strings_ runs a query of one text column and returns its values.
func textColumn(ctx context.Context, tx *sql.Tx, q string) ([]string, error) {
	rows, err := tx.QueryContext(ctx, q)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, err
		}
		out = append(out, n)
	}
	return out, rows.Err()
}
