package store

import (
	"context"
	"database/sql"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/klageflow/klage/complaint"
)

//go:embed migrations
var migrationFiles embed.FS

type migration struct {
	version int
	name    string
	sql     string
}

// migrations returns a dialect's migrations in version order. Their files
// are named NNNN_name.sql.
func migrations(dir string) ([]migration, error) {
	entries, err := fs.ReadDir(migrationFiles, path.Join("migrations", dir))
	if err != nil {
		return nil, err
	}
	var out []migration
	for _, e := range entries {
		num, name, ok := strings.Cut(strings.TrimSuffix(e.Name(), ".sql"), "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil {
			return nil, fmt.Errorf("store: bad migration file name %q", e.Name())
		}
		body, err := migrationFiles.ReadFile(path.Join("migrations", dir, e.Name()))
		if err != nil {
			return nil, err
		}
		out = append(out, migration{version: v, name: name, sql: string(body)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].version < out[j].version })
	return out, nil
}

// migrate brings the schema up to date in one transaction. Replicas that
// start together are serialised (an advisory lock on PostgreSQL, the write
// lock on SQLite), so each migration runs once. A database whose schema is
// newer than this code knows is refused.
func migrate(ctx context.Context, db *sql.DB, d dialect, now func() time.Time) error {
	ms, err := migrations(d.name())
	if err != nil {
		return err
	}
	if _, err := db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS klage_schema_migrations (
		version    INTEGER PRIMARY KEY,
		name       TEXT   NOT NULL,
		applied_at BIGINT NOT NULL)`); err != nil {
		return fmt.Errorf("store: create migrations table: %w", err)
	}
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer func() { _ = tx.Rollback() }() // after Commit a no-op; before it, the error that matters is the one returned
	if lock := d.lockMigrations(); lock != "" {
		if _, err := tx.ExecContext(ctx, lock); err != nil {
			return fmt.Errorf("store: lock migrations: %w", err)
		}
	}
	var current int
	if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM klage_schema_migrations`).Scan(&current); err != nil {
		return fmt.Errorf("store: read schema version: %w", err)
	}
	latest := 0
	if len(ms) > 0 {
		latest = ms[len(ms)-1].version
	}
	if current > latest {
		return fmt.Errorf("store: the database's schema version %d is newer than this klage knows (%d)", current, latest)
	}
	for _, m := range ms {
		if m.version <= current {
			continue
		}
		if _, err := tx.ExecContext(ctx, m.sql); err != nil {
			return fmt.Errorf("store: migration %d (%s): %w", m.version, m.name, err)
		}
		if _, err := tx.ExecContext(ctx, d.rebind(`INSERT INTO klage_schema_migrations (version, name, applied_at) VALUES (?, ?, ?)`),
			m.version, m.name, now().UnixNano()); err != nil {
			return fmt.Errorf("store: record migration %d: %w", m.version, err)
		}
	}
	return tx.Commit()
}

// compactV1 rewrites the complaint rows that klage v1 wrote, with the
// whole history embedded, as a checkpoint and the newest entry (schema 5),
// a batch at a time. klage_history already holds every entry: a v1 save
// wrote both. A row that does not decode is left as it is, for Get and List
// to report; a row that changed meanwhile is left for the next open.
func (s *SQL) compactV1(ctx context.Context) error {
	after := ""
	for {
		var batch []stored
		err := func() error {
			rows, err := s.db.QueryContext(ctx, s.d.rebind(`SELECT `+complaintColumns+` FROM `+complaintFrom+
				` WHERE c.data_format = 1 AND c.id > ? ORDER BY c.id LIMIT 100`), after)
			if err != nil {
				return err
			}
			defer func() { _ = rows.Close() }() // rows.Err below reports what went wrong
			for rows.Next() {
				var r stored
				if err := r.scan(rows); err != nil {
					return err
				}
				batch = append(batch, r)
			}
			return rows.Err()
		}()
		if err != nil {
			return fmt.Errorf("store: rewrite v1 rows: %w", err)
		}
		if len(batch) == 0 {
			return nil
		}
		for _, r := range batch {
			after = r.id
			c, err := s.decode(r)
			if err != nil {
				continue
			}
			row, err := s.encode(c, c.Version())
			if err != nil {
				return err
			}
			err = s.inTx(ctx, func(tx *sql.Tx) error {
				res, err := tx.ExecContext(ctx, s.d.rebind(`UPDATE klage_complaints SET data = ?, data_format = 2, customer_id = ?, kind = ?, manufacturer = ?, closed_at = ?
					WHERE id = ? AND version = ? AND data_format = 1`),
					row.data, row.customer.ID, row.kind, row.manufacturer, row.closedAt, c.ID(), c.Version())
				if err != nil {
					return err
				}
				if n, _ := res.RowsAffected(); n == 0 {
					return nil // changed meanwhile: the next open takes it
				}
				// An older complaint's details do not replace newer ones.
				if _, err := tx.ExecContext(ctx, s.d.rebind(s.q.upsertCustomer+s.values(1, len(customerColumns))+` ON CONFLICT (id) DO NOTHING`),
					row.customerArgs(s.w.Now())...); err != nil {
					return err
				}
				return s.rewritePayloads(ctx, tx, c.ID(), complaint.Notification.WithoutContact)
			})
			if err != nil {
				return fmt.Errorf("store: rewrite v1 row %q: %w", c.ID(), err)
			}
		}
	}
}

// rewritePayloads rewrites the outbox payloads of complaint id with f, in
// tx. A payload that does not decode is left for the relay to dead-letter.
func (s *SQL) rewritePayloads(ctx context.Context, tx *sql.Tx, id string, f func(complaint.Notification) complaint.Notification) error {
	rows, err := tx.QueryContext(ctx, s.d.rebind(`SELECT key, payload FROM klage_outbox WHERE complaint_id = ?`), id)
	if err != nil {
		return err
	}
	updates := map[string]string{}
	for rows.Next() {
		var key, payload string
		if err := rows.Scan(&key, &payload); err != nil {
			return errors.Join(err, rows.Close())
		}
		var n complaint.Notification
		if json.Unmarshal([]byte(payload), &n) != nil {
			continue
		}
		raw, err := json.Marshal(f(n))
		if err != nil {
			return errors.Join(err, rows.Close())
		}
		updates[key] = string(raw)
	}
	if err := errors.Join(rows.Err(), rows.Close()); err != nil {
		return err
	}
	for key, payload := range updates {
		if _, err := tx.ExecContext(ctx, s.d.rebind(`UPDATE klage_outbox SET payload = ? WHERE key = ?`), payload, key); err != nil {
			return err
		}
	}
	return nil
}

// SchemaVersion returns the version of the schema the store's database is
// at.
func (s *SQL) SchemaVersion(ctx context.Context) (int, error) {
	if err := s.usable(); err != nil {
		return 0, err
	}
	var v int
	err := s.db.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM klage_schema_migrations`).Scan(&v)
	return v, err
}
