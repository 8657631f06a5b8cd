package store

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/klageflow/klage/complaint"
	"github.com/klageflow/klage/glossary"
)

// dialect is what differs between PostgreSQL and SQLite.
type dialect struct {
	name           string // also the migrations folder
	driver         string
	dollar         bool   // placeholders are $1, $2, ... instead of ?
	lockMigrations string // statement that serialises migrations, in their transaction
	skipLocked     string // suffix that makes relays skip rows another relay holds
}

var (
	postgres = &dialect{name: "postgres", driver: "pgx", dollar: true,
		lockMigrations: `SELECT pg_advisory_xact_lock(7354010)`, skipLocked: ` FOR UPDATE SKIP LOCKED`}
	sqlite = &dialect{name: "sqlite", driver: "sqlite"}
)

// rebind turns ? placeholders into $n for PostgreSQL.
func (d *dialect) rebind(q string) string {
	if !d.dollar {
		return q
	}
	var b strings.Builder
	n := 0
	for _, r := range q {
		if r == '?' {
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// SQL is a Store in a PostgreSQL or SQLite database, through database/sql,
// opened with store/postgres.Open or store/sqlite.Open. Its schema is
// created or migrated when it is opened. Many processes may
// share one PostgreSQL database; SQLite serves one process (or a few on one
// machine). It is safe for concurrent use.
type SQL struct {
	w     *complaint.Workflow
	db    *sql.DB
	d     *dialect
	q     queries
	stmts sync.Map // query text → *sql.Stmt, prepared once per connection by database/sql
	// writes serialises this process's write transactions on SQLite, which
	// allows one writer at a time: writers queue here, in Go, instead of
	// polling the database's lock. Nil on PostgreSQL.
	writes  *sync.Mutex
	decoded decodedCache
	closed  atomic.Bool
}

// usable returns ErrClosed for a closed store and for the zero SQL.
func (s *SQL) usable() error {
	if s == nil || s.db == nil || s.w == nil || s.closed.Load() {
		return ErrClosed
	}
	return nil
}

var (
	_ Store  = (*SQL)(nil)
	_ Outbox = (*SQL)(nil)
)

// Engine names a SQL database engine that [OpenSQL] knows.
type Engine string

// The engines.
const (
	PostgreSQL Engine = "postgres"
	SQLite     Engine = "sqlite"
)

// OpenSQL returns the store on db, a database of engine opened with its
// driver ("pgx" for PostgreSQL, "sqlite" of modernc.org/sqlite for
// SQLite), after creating or migrating its schema. Packages store/postgres
// and store/sqlite call it with the driver they import: this package
// imports none, so that a program links only the driver of the database it
// uses. It sets db's pool sizes for the engine. The store closes db when
// it is closed, or when OpenSQL fails.
func OpenSQL(ctx context.Context, w *complaint.Workflow, db *sql.DB, engine Engine) (*SQL, error) {
	if db == nil {
		return nil, errors.New("store: OpenSQL needs a database")
	}
	if w == nil {
		return nil, errors.Join(errors.New("store: OpenSQL needs a workflow"), db.Close())
	}
	if w.Notifies() {
		return nil, errors.Join(ErrWorkflowNotifies, db.Close())
	}
	d := sqlite
	switch engine {
	case PostgreSQL:
		d = postgres
		db.SetMaxOpenConns(32)
		db.SetMaxIdleConns(8)
		db.SetConnMaxIdleTime(5 * time.Minute)
	case SQLite:
		// Every connection stays open: closing one past the default of
		// two idle connections would throw away its prepared statements
		// and its page cache, and the next request would open, configure
		// and prepare them again.
		db.SetMaxOpenConns(8)
		db.SetMaxIdleConns(8)
	default:
		return nil, errors.Join(fmt.Errorf("store: unknown engine %q", engine), db.Close())
	}
	return newSQL(ctx, w, db, d)
}

// SQLiteDSN is the data source name that store/sqlite opens path with: WAL
// mode with full synchronisation (a committed transition survives a power
// cut), a busy timeout so that concurrent writers wait for each other,
// foreign keys, secure_delete (erased data does not linger in free pages)
// and immediate write transactions.
func SQLiteDSN(path string) (string, error) {
	if path == "" {
		return "", errors.New("store: empty SQLite path")
	}
	sep := "?"
	if strings.Contains(path, "?") {
		sep = "&"
	}
	return "file:" + path + sep + "_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)&_pragma=foreign_keys(ON)&_pragma=secure_delete(ON)&_txlock=immediate", nil
}

func newSQL(ctx context.Context, w *complaint.Workflow, db *sql.DB, d *dialect) (*SQL, error) {
	if err := db.PingContext(ctx); err != nil {
		return nil, errors.Join(fmt.Errorf("store: connect to %s: %w", d.name, err), db.Close())
	}
	if err := migrate(ctx, db, d, w.Now); err != nil {
		return nil, errors.Join(err, db.Close())
	}
	s := &SQL{w: w, db: db, d: d, q: newQueries(d)}
	if d == sqlite {
		s.writes = new(sync.Mutex)
	}
	if err := s.compactV1(ctx); err != nil {
		return nil, errors.Join(err, db.Close())
	}
	if err := s.checkLifecycle(ctx); err != nil {
		return nil, errors.Join(err, db.Close())
	}
	return s, nil
}

// lockWrites waits for this process's turn to write (SQLite) and returns
// the function that ends it.
func (s *SQL) lockWrites() (unlock func()) {
	if s.writes == nil {
		return func() {}
	}
	s.writes.Lock()
	return s.writes.Unlock
}

// DB returns the underlying database, for the embedding service's own
// queries and health checks.
func (s *SQL) DB() *sql.DB { return s.db }

// Dialect returns "postgres" or "sqlite".
func (s *SQL) Dialect() string { return s.d.name }

// Close implements Store. Every call on a closed store returns ErrClosed;
// closing twice does nothing.
func (s *SQL) Close() error {
	if s == nil || s.db == nil || s.closed.Swap(true) {
		return nil // closing twice, or a zero SQL, does nothing
	}
	s.decoded.close()
	var errs []error
	s.stmts.Range(func(_, v any) bool {
		errs = append(errs, v.(*sql.Stmt).Close())
		return true
	})
	return errors.Join(append(errs, s.db.Close())...)
}

// stmt returns q prepared. Statements are prepared once and reused on every
// connection; a transaction binds them with Tx.StmtContext.
func (s *SQL) stmt(ctx context.Context, q string) (*sql.Stmt, error) {
	if st, ok := s.stmts.Load(q); ok {
		return st.(*sql.Stmt), nil
	}
	st, err := s.db.PrepareContext(ctx, q)
	if err != nil {
		return nil, err
	}
	if prev, loaded := s.stmts.LoadOrStore(q, st); loaded {
		// Another goroutine prepared it first; this copy was never used.
		_ = st.Close()
		return prev.(*sql.Stmt), nil
	}
	return st, nil
}

// prepare returns the statements of qs, prepared. Call it before a
// transaction begins: preparing takes a connection of the pool, and a
// transaction that waited for one while holding SQLite's write lock would
// stall every writer.
func (s *SQL) prepare(ctx context.Context, qs ...string) ([]*sql.Stmt, error) {
	out := make([]*sql.Stmt, len(qs))
	for i, q := range qs {
		st, err := s.stmt(ctx, q)
		if err != nil {
			return nil, fmt.Errorf("store: prepare: %w", err)
		}
		out[i] = st
	}
	return out, nil
}

// exec runs the prepared statement st in tx, on tx's connection.
func exec(ctx context.Context, tx *sql.Tx, st *sql.Stmt, args ...any) (sql.Result, error) {
	return tx.StmtContext(ctx, st).ExecContext(ctx, args...)
}

type queries struct {
	insertComplaint, updateComplaint, complaintVersion, getComplaint string
	byRequest, upsertCustomer                                        string
	insertHistory, insertOutbox                                      string
	history, notifications, pending, deadLetters, claim              string
	delivered, failed, release, dead, poison, messageExists          string
	extend, requeue                                                  string
}

func newQueries(d *dialect) queries {
	r := d.rebind
	return queries{
		insertComplaint: r(`INSERT INTO klage_complaints (id, state, version, created_at, updated_at, next_due, data, data_format, customer_id, kind, manufacturer, closed_at,
			first_response_secs, final_answer_secs, decision_secs, timer_due)
			VALUES (?, ?, ?, ?, ?, ?, ?, 2, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`),
		// A copy loaded before an erasure is a conflict: saving it would
		// write the erased texts back.
		updateComplaint: r(`UPDATE klage_complaints SET state = ?, version = ?, updated_at = ?, next_due = ?, data = ?, data_format = 2, kind = ?, manufacturer = ?, closed_at = ?,
			first_response_secs = ?, final_answer_secs = ?, decision_secs = ?, timer_due = ?, timer_lease = NULL
			WHERE id = ? AND version = ? AND erased_at IS NOT DISTINCT FROM ?`),
		upsertCustomer:   `INSERT INTO klage_customers (id, name, email, phone, address, updated_at) VALUES `,
		complaintVersion: r(`SELECT version FROM klage_complaints WHERE id = ?`),
		getComplaint:     r(`SELECT ` + complaintColumns + ` FROM ` + complaintFrom + ` WHERE c.id = ?`),
		byRequest:        r(`SELECT ` + historySelect + ` FROM klage_history WHERE complaint_id = ? AND request_id = ? AND request_id <> ''`),
		insertHistory:    `INSERT INTO klage_history (complaint_id, seq, at, event, from_state, to_state, actor_id, actor_role, note, actor_manufacturer, consent_channel, consent_at, request_id, request_hash) VALUES `,
		insertOutbox:     `INSERT INTO klage_outbox (key, complaint_id, seq, position, topic, recipient, created_at, payload, next_attempt_at) VALUES `,
		history:          r(`SELECT ` + historySelect + ` FROM klage_history WHERE complaint_id = ? ORDER BY seq`),
		notifications:    r(`SELECT ` + messageColumns + ` FROM klage_outbox WHERE complaint_id = ? ORDER BY seq, position`),
		pending: r(`SELECT ` + messageColumns + ` FROM klage_outbox WHERE delivered_at IS NULL AND dead_at IS NULL
			ORDER BY created_at, complaint_id, seq, position LIMIT ?`),
		deadLetters: r(`SELECT ` + messageColumns + ` FROM klage_outbox WHERE dead_at IS NOT NULL ORDER BY dead_at, key LIMIT ?`),
		claim: r(`UPDATE klage_outbox SET leased_until = ? WHERE key IN (
			SELECT key FROM klage_outbox
			WHERE delivered_at IS NULL AND dead_at IS NULL AND next_attempt_at <= ? AND (leased_until IS NULL OR leased_until <= ?)
			ORDER BY created_at, complaint_id, seq, position LIMIT ?` + d.skipLocked + `)
			RETURNING ` + messageColumns),
		delivered: r(`UPDATE klage_outbox SET delivered_at = ?, attempts = attempts + 1, leased_until = NULL WHERE key = ? AND delivered_at IS NULL`),
		failed: r(`UPDATE klage_outbox SET attempts = attempts + 1, next_attempt_at = ?, last_error = ?, leased_until = NULL
			WHERE key = ? AND delivered_at IS NULL`),
		release: r(`UPDATE klage_outbox SET leased_until = NULL WHERE key = ? AND delivered_at IS NULL`),
		dead: r(`UPDATE klage_outbox SET attempts = attempts + 1, dead_at = ?, last_error = ?, leased_until = NULL
			WHERE key = ? AND delivered_at IS NULL`),
		poison:        r(`UPDATE klage_outbox SET dead_at = ?, last_error = ?, leased_until = NULL WHERE key = ?`),
		messageExists: r(`SELECT 1 FROM klage_outbox WHERE key = ?`),
		extend: r(`UPDATE klage_outbox SET leased_until = ? WHERE key = ? AND delivered_at IS NULL AND dead_at IS NULL
			AND leased_until IS NOT NULL`),
		requeue: r(`UPDATE klage_outbox SET dead_at = NULL, next_attempt_at = ?, leased_until = NULL WHERE key = ? AND delivered_at IS NULL
			AND dead_at IS NOT NULL`),
	}
}

// values returns n groups of k placeholders for a multi-row insert.
func (s *SQL) values(n, k int) string {
	var b strings.Builder
	arg := 0
	for i := range n {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteByte('(')
		for j := range k {
			if j > 0 {
				b.WriteString(", ")
			}
			arg++
			if s.d.dollar {
				b.WriteString("$" + strconv.Itoa(arg))
			} else {
				b.WriteByte('?')
			}
		}
		b.WriteByte(')')
	}
	return b.String()
}

func nanos(t time.Time) int64 { return t.UnixNano() }

func nullNanos(t time.Time, ok bool) sql.NullInt64 {
	return sql.NullInt64{Int64: t.UnixNano(), Valid: ok}
}

func fromNanos(n int64) time.Time { return time.Unix(0, n).UTC() }

// row is what a complaint's row holds, encoded.
type row struct {
	state        string
	version      int
	nextDue      sql.NullInt64
	data         string // the checkpoint snapshot, without the customer's contact details
	kind         string
	manufacturer string
	closedAt     sql.NullInt64
	erasedAt     sql.NullInt64
	milestones   [3]sql.NullInt64         // seconds to the first response, the final answer and the decision
	timerDue     sql.NullInt64            // when a timer next acts (complaint.Workflow.NextTimer)
	customer     complaint.Customer       // whose contact details go to klage_customers
	pending      []complaint.Notification // without contact details
	entries      []complaint.Entry        // the history entries after the stored version
	snap         complaint.Snapshot       // what data encodes, for the decoded cache
}

// head returns the arguments of insertComplaint for r.
func (r row) insertArgs(c *complaint.Complaint, now time.Time) []any {
	return []any{c.ID(), r.state, r.version, nanos(c.CreatedAt()), nanos(now), r.nextDue, r.data,
		r.customer.ID, r.kind, r.manufacturer, r.closedAt, r.milestones[0], r.milestones[1], r.milestones[2], r.timerDue}
}

// updateArgs returns the arguments of updateComplaint for r.
func (r row) updateArgs(c *complaint.Complaint, now time.Time, expectedVersion int) []any {
	return []any{r.state, r.version, nanos(now), r.nextDue, r.data, r.kind, r.manufacturer, r.closedAt,
		r.milestones[0], r.milestones[1], r.milestones[2], r.timerDue, c.ID(), expectedVersion, r.erasedAt}
}

// customerArgs are the values of r's klage_customers row.
func (r row) customerArgs(now time.Time) []any {
	cu := r.customer
	return []any{cu.ID, cu.Name, cu.Email, cu.Phone, cu.Address, nanos(now)}
}

// customerColumns are klage_customers' columns that a create writes; an
// existing customer takes the newest details.
var customerColumns = [...][2]string{{"id", "text"}, {"name", "text"}, {"email", "text"}, {"phone", "text"}, {"address", "text"}, {"updated_at", "bigint"}}

const customerConflict = ` ON CONFLICT (id) DO UPDATE SET name = excluded.name, email = excluded.email, phone = excluded.phone,
	address = excluded.address, updated_at = excluded.updated_at, erased_at = NULL`

// encode returns what c's row and its new rows hold: the complaint as a
// checkpoint and its newest entry (complaint.Workflow.SnapshotTail), the
// history entries after version after, and the pending notifications.
func (s *SQL) encode(c *complaint.Complaint, after int) (row, error) {
	snap := s.w.SnapshotTail(c, 1)
	pending := make([]complaint.Notification, len(snap.Pending))
	for i, n := range snap.Pending {
		pending[i] = n.WithoutContact()
	}
	snap.Pending = nil
	customer := snap.Customer
	snap.Customer = customer.WithoutContact()
	data, err := json.Marshal(&snap)
	if err != nil {
		return row{}, fmt.Errorf("store: encode complaint %q: %w", c.ID(), err)
	}
	var entries []complaint.Entry
	for _, e := range c.History() {
		if e.Seq > after {
			entries = append(entries, e)
		}
	}
	next, ok := c.NextDue()
	timer, timed := s.w.NextTimer(c)
	manufacturer := snap.Product.Manufacturer
	if snap.Referral != nil {
		manufacturer = snap.Referral.Manufacturer
	}
	last := c.Last()
	closed := s.w.Terminal(snap.State) // retention runs from then
	m := s.w.Milestones(c)
	secs := func(d time.Duration, ok bool) sql.NullInt64 {
		return sql.NullInt64{Int64: int64(d / time.Second), Valid: ok}
	}
	return row{
		milestones: [3]sql.NullInt64{secs(m.FirstResponse, m.HasFirstResponse), secs(m.FinalAnswer, m.HasFinalAnswer), secs(m.Decision, m.HasDecision)},
		timerDue:   nullNanos(timer, timed),
		state:      string(snap.State), version: snap.Version, nextDue: nullNanos(next, ok), data: string(data),
		kind: string(snap.Kind), manufacturer: glossary.NormalID(manufacturer),
		closedAt: nullNanos(last.At, closed), erasedAt: nullNanos(snap.ErasedAt, !snap.ErasedAt.IsZero()),
		customer: customer, pending: pending, entries: entries, snap: snap,
	}, nil
}

// Create implements Store. The customer's contact details go to the
// customer's record, where the newest complaint's details replace older
// ones.
func (s *SQL) Create(ctx context.Context, c *complaint.Complaint) error {
	if err := s.usable(); err != nil {
		return err
	}
	return observeSave(ctx, s.w, c, func(ctx context.Context) error { return s.create(ctx, c) })
}

func (s *SQL) create(ctx context.Context, c *complaint.Complaint) error {
	r, err := s.encode(c, 0)
	if err != nil {
		return err
	}
	now := s.w.Now()
	if s.d.dollar {
		history, outbox, err := appendArgs(c.ID(), r)
		if err != nil {
			return err
		}
		q, args := pgWrite(s.q.insertComplaint, r.insertArgs(c, now), history, outbox, r.customerArgs(now))
		var n int
		if err := s.db.QueryRowContext(ctx, q, args...).Scan(&n); err != nil {
			return fmt.Errorf("store: create %q: %w", c.ID(), err)
		}
		if n == 0 {
			return ErrExists
		}
		c.TakePending()
		s.wrote(c.ID(), r)
		return nil
	}
	err = s.sqliteWrite(ctx, c.ID(), r, "create", s.q.insertComplaint, r.insertArgs(c, now), true,
		func(*sql.Tx) error { return ErrExists })
	if err == nil {
		c.TakePending()
		s.wrote(c.ID(), r)
	}
	return err
}

// wrote remembers that complaint id's row now holds r. Both databases
// read a complaint's data column back byte for byte as written (TEXT;
// on PostgreSQL since schema 8), so the next Get need not decode it.
func (s *SQL) wrote(id string, r row) { s.decoded.put(id, r.data, r.snap) }

// Save implements Store.
func (s *SQL) Save(ctx context.Context, c *complaint.Complaint, expectedVersion int) error {
	if err := s.usable(); err != nil {
		return err
	}
	return observeSave(ctx, s.w, c, func(ctx context.Context) error { return s.save(ctx, c, expectedVersion) })
}

func (s *SQL) save(ctx context.Context, c *complaint.Complaint, expectedVersion int) error {
	if err := checkExpected(c, expectedVersion); err != nil {
		return err
	}
	r, err := s.encode(c, expectedVersion)
	if err != nil {
		return err
	}
	if s.d.dollar {
		return s.pgSave(ctx, c, r, expectedVersion)
	}
	err = s.sqliteWrite(ctx, c.ID(), r, "save", s.q.updateComplaint, r.updateArgs(c, s.w.Now(), expectedVersion), false,
		func(tx *sql.Tx) error {
			var actual int
			switch err := tx.QueryRowContext(ctx, s.q.complaintVersion, c.ID()).Scan(&actual); {
			case errors.Is(err, sql.ErrNoRows):
				return &NotFoundError{ID: c.ID()}
			case err != nil:
				return fmt.Errorf("store: save %q: %w", c.ID(), err)
			}
			return &ConflictError{ID: c.ID(), Expected: expectedVersion, Actual: actual}
		})
	if errors.Is(err, errStale) {
		return s.conflict(ctx, c.ID(), expectedVersion)
	}
	if err == nil {
		c.TakePending()
		s.wrote(c.ID(), r)
	}
	return err
}

// uniqueViolation reports whether err is a database's unique-key
// violation: PostgreSQL's SQLSTATE 23505, SQLite's SQLITE_CONSTRAINT_UNIQUE
// or _PRIMARYKEY. In a save it means the complaint is stale: its history
// entries or notifications are already stored.
func uniqueViolation(err error) bool {
	var pg interface{ SQLState() string }
	if errors.As(err, &pg) {
		return pg.SQLState() == "23505"
	}
	var lite interface{ Code() int }
	if errors.As(err, &lite) {
		return lite.Code() == 2067 || lite.Code() == 1555
	}
	return false
}

// conflict returns the *ConflictError of a stale save of complaint id.
func (s *SQL) conflict(ctx context.Context, id string, expected int) error {
	var actual int
	switch err := s.db.QueryRowContext(ctx, s.q.complaintVersion, id).Scan(&actual); {
	case errors.Is(err, sql.ErrNoRows):
		return &NotFoundError{ID: id}
	case err != nil:
		return fmt.Errorf("store: save %q: %w", id, err)
	}
	return &ConflictError{ID: id, Expected: expected, Actual: actual}
}

// historyColumns and outboxInsertColumns are the columns append writes, with
// the PostgreSQL types that a VALUES list of parameters needs spelt out.
var (
	historyColumns = [...][2]string{{"complaint_id", "text"}, {"seq", "integer"}, {"at", "bigint"}, {"event", "text"},
		{"from_state", "text"}, {"to_state", "text"}, {"actor_id", "text"}, {"actor_role", "text"}, {"note", "text"},
		{"actor_manufacturer", "text"}, {"consent_channel", "text"}, {"consent_at", "bigint"}, {"request_id", "text"}, {"request_hash", "text"}}
	outboxInsertColumns = [...][2]string{{"key", "text"}, {"complaint_id", "text"}, {"seq", "integer"}, {"position", "integer"},
		{"topic", "text"}, {"recipient", "text"}, {"created_at", "bigint"}, {"payload", "text"}, {"next_attempt_at", "bigint"}}
)

// appendArgs returns the arguments of r's history rows and outbox rows.
func appendArgs(id string, r row) (history, outbox []any, err error) {
	for _, e := range r.entries {
		var channel sql.NullString
		var consentAt sql.NullInt64
		if e.Consent != nil {
			channel = sql.NullString{String: string(e.Consent.Channel), Valid: true}
			consentAt = nullNanos(e.Consent.At, true)
		}
		history = append(history, id, e.Seq, nanos(e.At), string(e.Event), string(e.From), string(e.To), e.Actor.ID, string(e.Actor.Role), e.Note,
			e.Actor.Manufacturer, channel, consentAt, e.RequestID, e.RequestHash)
	}
	position := map[int]int{}
	for _, n := range r.pending {
		payload, err := json.Marshal(n)
		if err != nil {
			return nil, nil, fmt.Errorf("store: encode notification %s: %w", n.Key(), err)
		}
		outbox = append(outbox, n.Key(), id, n.Seq, position[n.Seq], string(n.Topic), string(n.Recipient), nanos(n.At), string(payload), nanos(n.At))
		position[n.Seq]++
	}
	return history, outbox, nil
}

// pgWrite builds one PostgreSQL statement that writes a complaint row and,
// only if that write matched, its new history and outbox rows, returning
// how many complaint rows it wrote. A single statement is atomic on its
// own, so a save is one round trip rather than a five-step transaction.
// head is the data-modifying statement on klage_complaints, with its
// placeholders numbered from 1; pgWrite adds its RETURNING clause. The
// statement's text depends only on head and the number of rows of each
// kind: the common shapes are built once (pgWriteShapes).
func pgWrite(head string, headArgs []any, history, outbox, customer []any) (string, []any) {
	shape := pgWriteShape{head: head, params: len(headArgs),
		history: len(history) / len(historyColumns), outbox: len(outbox) / len(outboxInsertColumns), customer: len(customer) / len(customerColumns)}
	args := make([]any, 0, len(headArgs)+len(history)+len(outbox)+len(customer))
	args = append(append(append(append(args, headArgs...), history...), outbox...), customer...)
	if q, ok := pgWriteShapes.Load(shape); ok {
		return q.(string), args
	}
	q := shape.build()
	if shape.history <= maxCachedRows && shape.outbox <= maxCachedRows {
		pgWriteShapes.Store(shape, q)
	}
	return q, args
}

// pgWriteShape is what the text of a pgWrite statement depends on.
type pgWriteShape struct {
	head                      string
	params                    int // head's placeholders
	history, outbox, customer int // rows
}

// pgWriteShapes caches the text of pgWrite's statements by shape, for
// shapes of up to maxCachedRows history and outbox rows: a bounded set.
var pgWriteShapes sync.Map

const maxCachedRows = 16

func (sh pgWriteShape) build() string {
	var b strings.Builder
	n := sh.params
	b.WriteString("WITH c AS (" + sh.head + " RETURNING id)")
	rows := func(table string, cols [][2]string, count int, conflict string) {
		if count == 0 {
			return
		}
		names := make([]string, len(cols))
		for i, c := range cols {
			names[i] = c[0]
		}
		fmt.Fprintf(&b, ", %s AS (INSERT INTO %s (%s) SELECT * FROM (VALUES ", table, table, strings.Join(names, ", "))
		for i := range count {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteByte('(')
			for j, c := range cols {
				if j > 0 {
					b.WriteString(", ")
				}
				n++
				fmt.Fprintf(&b, "$%d::%s", n, c[1])
			}
			b.WriteByte(')')
		}
		b.WriteString(") AS v WHERE EXISTS (SELECT 1 FROM c)" + conflict + ")")
	}
	rows("klage_history", historyColumns[:], sh.history, "")
	rows("klage_outbox", outboxInsertColumns[:], sh.outbox, "")
	rows("klage_customers", customerColumns[:], sh.customer, customerConflict)
	b.WriteString(" SELECT COUNT(*) FROM c")
	return b.String()
}

// pgSave is Save on PostgreSQL: one statement.
func (s *SQL) pgSave(ctx context.Context, c *complaint.Complaint, r row, expectedVersion int) error {
	history, outbox, err := appendArgs(c.ID(), r)
	if err != nil {
		return err
	}
	q, args := pgWrite(s.q.updateComplaint, r.updateArgs(c, s.w.Now(), expectedVersion), history, outbox, nil)
	var n int
	if err := s.db.QueryRowContext(ctx, q, args...).Scan(&n); err != nil {
		if uniqueViolation(err) {
			return s.conflict(ctx, c.ID(), expectedVersion)
		}
		return fmt.Errorf("store: save %q: %w", c.ID(), err)
	}
	if n == 0 {
		var actual int
		switch err := s.db.QueryRowContext(ctx, s.q.complaintVersion, c.ID()).Scan(&actual); {
		case errors.Is(err, sql.ErrNoRows):
			return &NotFoundError{ID: c.ID()}
		case err != nil:
			return fmt.Errorf("store: save %q: %w", c.ID(), err)
		}
		return &ConflictError{ID: c.ID(), Expected: expectedVersion, Actual: actual}
	}
	c.TakePending()
	s.wrote(c.ID(), r)
	return nil
}

// sqliteWrite is Create and Save on SQLite: in one transaction, it runs
// head (the statement on the complaint's row) and, if head matched a row,
// inserts r's new history entries and pending notifications. When head
// matches no row, miss returns the error, in the transaction. The
// statements are prepared before the transaction begins, and the
// transaction waits for this process's other writers in Go.
func (s *SQL) sqliteWrite(ctx context.Context, id string, r row, op, head string, headArgs []any, withCustomer bool, miss func(*sql.Tx) error) error {
	history, outbox, err := appendArgs(id, r)
	if err != nil {
		return err
	}
	qs := []string{head}
	var rows [][]any
	if len(history) > 0 {
		qs = append(qs, s.q.insertHistory+s.values(len(r.entries), len(historyColumns)))
		rows = append(rows, history)
	}
	if len(outbox) > 0 {
		qs = append(qs, s.q.insertOutbox+s.values(len(r.pending), len(outboxInsertColumns)))
		rows = append(rows, outbox)
	}
	if withCustomer {
		qs = append(qs, s.q.upsertCustomer+s.values(1, len(customerColumns))+customerConflict)
		rows = append(rows, r.customerArgs(s.w.Now()))
	}
	sts, err := s.prepare(ctx, qs...)
	if err != nil {
		return err
	}
	return s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := exec(ctx, tx, sts[0], headArgs...)
		if err != nil {
			return fmt.Errorf("store: %s %q: %w", op, id, err)
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			return miss(tx)
		}
		for i, args := range rows {
			if _, err := exec(ctx, tx, sts[i+1], args...); err != nil {
				if op == "save" && uniqueViolation(err) {
					return errStale // a stale copy: see sqliteWrite's caller
				}
				return fmt.Errorf("store: %s %q: %w", op, id, err)
			}
		}
		return nil
	})
}

// errStale is what sqliteWrite returns when a save's rows are already
// stored: the caller turns it into a *ConflictError after the transaction.
var errStale = errors.New("store: stale save")

// inTx runs fn in a transaction and commits it, or rolls it back if fn
// fails: a failed transaction writes nothing. On SQLite it first waits for
// this process's other writers.
func (s *SQL) inTx(ctx context.Context, fn func(*sql.Tx) error) error {
	defer s.lockWrites()()
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: begin: %w", err)
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback() // the error that matters is fn's
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store: commit: %w", err)
	}
	return nil
}

// complaintColumns are what Get and List read of a complaint: its row and,
// from klage_history, the entry its version names, which the row's newest
// entry must match.
// The customer's contact details come from klage_customers.
const (
	complaintColumns = `c.id, c.data, h.seq, h.at, h.event, h.to_state, p.id, p.name, p.email, p.phone, p.address`
	complaintFrom    = `klage_complaints c LEFT JOIN klage_history h ON h.complaint_id = c.id AND h.seq = c.version
		LEFT JOIN klage_customers p ON p.id = c.customer_id`
)

// stored is a scanned complaint row.
type stored struct {
	id, data                    string
	seq, at                     sql.NullInt64
	event, to                   sql.NullString
	customer                    sql.NullString
	name, email, phone, address sql.NullString
}

func (st *stored) scan(r scanner) error {
	return r.Scan(&st.id, &st.data, &st.seq, &st.at, &st.event, &st.to, &st.customer, &st.name, &st.email, &st.phone, &st.address)
}

// Get implements Store.
func (s *SQL) Get(ctx context.Context, id string) (*complaint.Complaint, error) {
	if err := s.usable(); err != nil {
		return nil, err
	}
	st, err := s.stmt(ctx, s.q.getComplaint)
	if err != nil {
		return nil, fmt.Errorf("store: get %q: %w", id, err)
	}
	var row stored
	switch err := row.scan(st.QueryRowContext(ctx, id)); {
	case errors.Is(err, sql.ErrNoRows):
		return nil, &NotFoundError{ID: id}
	case err != nil:
		return nil, fmt.Errorf("store: get %q: %w", id, err)
	}
	return s.decode(row)
}

// decode restores a complaint row and checks it against the history
// table: its newest entry must be the one klage_history holds at its
// version, so that a row and its history cannot drift apart unseen. A row
// whose JSON this store decoded or wrote moments ago is not decoded again
// (decodedCache).
func (s *SQL) decode(row stored) (*complaint.Complaint, error) {
	snap, cached := s.decoded.get(row.id, row.data)
	if !cached {
		var err error
		if snap, err = complaint.UnmarshalSnapshot([]byte(row.data)); err != nil {
			return nil, &DecodeError{ID: row.id, Err: err}
		}
	}
	pristine := snap // before the contact details: what the row's JSON holds
	if row.customer.Valid && row.customer.String == snap.Customer.ID {
		cu := &snap.Customer
		cu.Name, cu.Email, cu.Phone, cu.Address = row.name.String, row.email.String, row.phone.String, row.address.String
	}
	c, err := s.w.Restore(snap)
	if err != nil {
		return nil, &DecodeError{ID: row.id, Err: err}
	}
	if c.ID() != row.id {
		return nil, &DecodeError{ID: row.id, Err: fmt.Errorf("the row holds complaint %q", c.ID())}
	}
	last := c.Last()
	if !row.seq.Valid || int(row.seq.Int64) != last.Seq || row.at.Int64 != nanos(last.At) ||
		row.event.String != string(last.Event) || row.to.String != string(last.To) {
		return nil, &DecodeError{ID: row.id, Err: fmt.Errorf("the history table has no entry %d %s into %s", last.Seq, last.Event, last.To)}
	}
	if !cached {
		s.decoded.put(row.id, row.data, pristine)
	}
	return c, nil
}

// List implements Store, with keyset pagination: each page starts after
// the sort key of the last one, so pages neither skip nor repeat a
// complaint while others are created.
func (s *SQL) List(ctx context.Context, f Filter) (Page, error) {
	if err := s.usable(); err != nil {
		return Page{}, err
	}
	query := f.query()
	cur, err := decodeCursor(f.Cursor, query)
	if err != nil {
		return Page{}, err
	}
	var (
		where []string
		args  []any
	)
	add := func(cond string, vals ...any) {
		where = append(where, cond)
		args = append(args, vals...)
	}
	if f.State != "" {
		add("c.state = ?", string(f.State))
	}
	if f.CustomerID != "" {
		add("c.customer_id = ?", f.CustomerID)
	}
	if f.Manufacturer != "" {
		add("c.manufacturer = ?", glossary.NormalID(f.Manufacturer))
	}
	if f.Kind != "" {
		add("c.kind = ?", string(f.Kind))
	}
	if !f.CreatedFrom.IsZero() {
		add("c.created_at >= ?", nanos(f.CreatedFrom))
	}
	if !f.CreatedBefore.IsZero() {
		add("c.created_at < ?", nanos(f.CreatedBefore))
	}
	order := "c.id"
	overdue := !f.OverdueAt.IsZero()
	if overdue {
		add("c.next_due IS NOT NULL AND c.next_due <= ?", nanos(f.OverdueAt))
		order = "c.next_due, c.id"
		if f.Cursor != "" {
			add("(c.next_due > ? OR (c.next_due = ? AND c.id > ?))", cur.Due, cur.Due, cur.ID)
		}
	} else if f.Cursor != "" {
		add("c.id > ?", cur.ID)
	}
	q := `SELECT ` + complaintColumns + `, c.next_due FROM ` + complaintFrom
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	limit := f.limit()
	q += " ORDER BY " + order + " LIMIT ?"
	args = append(args, limit+1) // one more says whether there is a next page
	rows, err := s.db.QueryContext(ctx, s.d.rebind(q), args...)
	if err != nil {
		return Page{}, fmt.Errorf("store: list: %w", err)
	}
	defer rows.Close()
	var (
		page Page
		n    int
		last cursor
	)
	for rows.Next() {
		var (
			row stored
			due sql.NullInt64
		)
		if err := rows.Scan(&row.id, &row.data, &row.seq, &row.at, &row.event, &row.to, &row.customer, &row.name, &row.email, &row.phone, &row.address, &due); err != nil {
			return Page{}, fmt.Errorf("store: list: %w", err)
		}
		if n++; n > limit {
			page.Next = last.encode()
			break
		}
		last = cursor{Query: query, ID: row.id, Due: due.Int64}
		c, err := s.decode(row)
		var de *DecodeError
		switch {
		case errors.As(err, &de):
			page.Corrupt = append(page.Corrupt, de)
			continue
		case err != nil:
			return Page{}, err
		}
		page.Complaints = append(page.Complaints, c)
	}
	return page, rows.Err()
}

// HistoryPage implements Store.
func (s *SQL) HistoryPage(ctx context.Context, id string, limit int, after string) (HistoryPage, error) {
	if err := s.usable(); err != nil {
		return HistoryPage{}, err
	}
	cur, err := decodeCursor(after, historyQuery(id))
	if err != nil {
		return HistoryPage{}, err
	}
	limit = limitOf(limit)
	rows, err := s.db.QueryContext(ctx, s.d.rebind(`SELECT `+historySelect+` FROM klage_history WHERE complaint_id = ? AND seq > ? ORDER BY seq LIMIT ?`),
		id, cur.Seq, limit+1)
	if err != nil {
		return HistoryPage{}, fmt.Errorf("store: history of %q: %w", id, err)
	}
	defer rows.Close()
	var page HistoryPage
	for rows.Next() {
		e, err := scanEntry(id, rows)
		if err != nil {
			return HistoryPage{}, fmt.Errorf("store: history of %q: %w", id, err)
		}
		if len(page.Entries) == limit {
			page.Next = cursor{Query: historyQuery(id), Seq: page.Entries[limit-1].Seq}.encode()
			break
		}
		page.Entries = append(page.Entries, e)
	}
	if err := rows.Err(); err != nil {
		return HistoryPage{}, err
	}
	if len(page.Entries) == 0 && cur.Seq == 0 {
		return HistoryPage{}, s.exists(ctx, id)
	}
	return page, nil
}

// historySelect are the klage_history columns scanEntry reads.
const historySelect = `seq, at, event, from_state, to_state, actor_id, actor_role, note, actor_manufacturer, consent_channel, consent_at, request_id, request_hash`

// scanEntry reads one history row of complaint id.
func scanEntry(id string, r scanner) (complaint.Entry, error) {
	var (
		e                     complaint.Entry
		at                    int64
		event, from, to, role string
		channel               sql.NullString
		consentAt             sql.NullInt64
	)
	if err := r.Scan(&e.Seq, &at, &event, &from, &to, &e.Actor.ID, &role, &e.Note, &e.Actor.Manufacturer, &channel, &consentAt, &e.RequestID, &e.RequestHash); err != nil {
		return e, err
	}
	e.At = fromNanos(at)
	err := errors.Join(e.Event.UnmarshalText([]byte(event)), e.From.UnmarshalText([]byte(from)),
		e.To.UnmarshalText([]byte(to)), e.Actor.Role.UnmarshalText([]byte(role)))
	if channel.Valid {
		e.Consent = &complaint.Consent{At: fromNanos(consentAt.Int64)}
		err = errors.Join(err, e.Consent.Channel.UnmarshalText([]byte(channel.String)))
	}
	if err != nil {
		return e, &DecodeError{ID: id, Err: fmt.Errorf("history entry %d: %w", e.Seq, err)}
	}
	return e, nil
}

// History implements Store.
func (s *SQL) History(ctx context.Context, id string) ([]complaint.Entry, error) {
	if err := s.usable(); err != nil {
		return nil, err
	}
	rows, err := s.db.QueryContext(ctx, s.q.history, id)
	if err != nil {
		return nil, fmt.Errorf("store: history of %q: %w", id, err)
	}
	defer rows.Close()
	var out []complaint.Entry
	for rows.Next() {
		e, err := scanEntry(id, rows)
		if err != nil {
			return nil, fmt.Errorf("store: history of %q: %w", id, err)
		}
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, s.exists(ctx, id)
	}
	return out, nil
}

// entryByRequest finds the entry of complaint id that the request with
// idempotency key requestID made, in the whole history: a complaint loaded
// from its checkpoint holds only its newest entries.
func (s *SQL) entryByRequest(ctx context.Context, id, requestID string) (complaint.Entry, bool, error) {
	st, err := s.stmt(ctx, s.q.byRequest)
	if err != nil {
		return complaint.Entry{}, false, fmt.Errorf("store: request %q: %w", requestID, err)
	}
	e, err := scanEntry(id, st.QueryRowContext(ctx, id, requestID))
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return complaint.Entry{}, false, nil
	case err != nil:
		return complaint.Entry{}, false, fmt.Errorf("store: request %q: %w", requestID, err)
	}
	return e, true, nil
}

// exists returns nil if complaint id exists, or a *NotFoundError.
func (s *SQL) exists(ctx context.Context, id string) error {
	var v int
	switch err := s.db.QueryRowContext(ctx, s.q.complaintVersion, id).Scan(&v); {
	case errors.Is(err, sql.ErrNoRows):
		return &NotFoundError{ID: id}
	case err != nil:
		return fmt.Errorf("store: %q: %w", id, err)
	}
	return nil
}

type scanner interface{ Scan(dest ...any) error }

// messageColumns are the outbox columns scanMessage reads.
const messageColumns = `key, complaint_id, seq, topic, recipient, created_at, position, payload, attempts, next_attempt_at, delivered_at, dead_at, last_error`

// outboxRow is a scanned outbox row: its message, what orders it, and
// whether its payload decoded.
type outboxRow struct {
	key       string
	createdAt int64
	position  int
	msg       Message
	decodeErr error // why the payload did not decode; nil when it did
}

// scanMessage reads one outbox row. A payload that does not decode is not
// an error here: the message keeps what the columns say and decodeErr says
// why, so that one bad row never hides the others.
func scanMessage(r scanner) (outboxRow, error) {
	var (
		o                outboxRow
		complaintID      string
		seq              int
		topic, recipient string
		payload          []byte
		next             int64
		delivered, dead  sql.NullInt64
		attempts         int
		lastError        string
	)
	if err := r.Scan(&o.key, &complaintID, &seq, &topic, &recipient, &o.createdAt, &o.position, &payload,
		&attempts, &next, &delivered, &dead, &lastError); err != nil {
		return outboxRow{}, err
	}
	if err := json.Unmarshal(payload, &o.msg.Notification); err != nil {
		o.decodeErr = fmt.Errorf("store: outbox row %q cannot be decoded: %w", o.key, err)
		o.msg.Notification = complaint.Notification{ComplaintID: complaintID, Seq: seq,
			Topic: complaint.Topic(topic), Recipient: glossary.Role(recipient), At: fromNanos(o.createdAt)}
	} else if got := o.msg.Key(); got != o.key {
		o.decodeErr = fmt.Errorf("store: outbox row %q holds the notification %q", o.key, got)
	}
	o.msg.StoredKey = o.key
	if o.decodeErr != nil {
		o.msg.Unreadable = o.decodeErr.Error()
	}
	o.msg.Attempts, o.msg.LastError = attempts, lastError
	o.msg.NextAttempt = fromNanos(next)
	if delivered.Valid {
		o.msg.DeliveredAt = fromNanos(delivered.Int64)
	}
	if dead.Valid {
		o.msg.DeadLettered = fromNanos(dead.Int64)
	}
	return o, nil
}

// outboxRows runs q and scans its rows.
func (s *SQL) outboxRows(ctx context.Context, q string, args ...any) ([]outboxRow, error) {
	st, err := s.stmt(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("store: outbox: %w", err)
	}
	rows, err := st.QueryContext(ctx, args...)
	if err != nil {
		return nil, fmt.Errorf("store: outbox: %w", err)
	}
	defer rows.Close()
	var out []outboxRow
	for rows.Next() {
		o, err := scanMessage(rows)
		if err != nil {
			return nil, fmt.Errorf("store: outbox: %w", err)
		}
		out = append(out, o)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: outbox: %w", err)
	}
	return out, nil
}

func (s *SQL) messages(ctx context.Context, q string, args ...any) ([]Message, error) {
	rows, err := s.outboxRows(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	out := make([]Message, len(rows))
	for i := range rows {
		out[i] = rows[i].msg
	}
	return out, s.fillContacts(ctx, out)
}

// Notifications implements Outbox.
func (s *SQL) Notifications(ctx context.Context, id string) ([]Message, error) {
	if err := s.usable(); err != nil {
		return nil, err
	}
	out, err := s.messages(ctx, s.q.notifications, id)
	if err == nil && len(out) == 0 {
		err = s.exists(ctx, id)
	}
	return out, err
}

// Pending implements Outbox.
func (s *SQL) Pending(ctx context.Context, limit int) ([]Message, error) {
	if err := s.usable(); err != nil {
		return nil, err
	}
	return s.messages(ctx, s.q.pending, limit)
}

// DeadLetters implements Outbox.
func (s *SQL) DeadLetters(ctx context.Context, limit int) ([]Message, error) {
	if err := s.usable(); err != nil {
		return nil, err
	}
	return s.messages(ctx, s.q.deadLetters, limit)
}

// Claim implements Outbox, in one statement: on PostgreSQL the rows are
// chosen with FOR UPDATE SKIP LOCKED, so relays that claim at the same
// moment take different rows; on SQLite the statement waits for this
// process's other writers.
func (s *SQL) Claim(ctx context.Context, now time.Time, limit int, leaseUntil time.Time) ([]Message, error) {
	if err := s.usable(); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	rows, err := func() ([]outboxRow, error) {
		defer s.lockWrites()()
		return s.outboxRows(ctx, s.q.claim, nanos(leaseUntil), nanos(now), nanos(now), limit)
	}()
	if err != nil {
		return nil, fmt.Errorf("store: claim: %w", err)
	}
	slices.SortFunc(rows, func(a, b outboxRow) int {
		return cmp.Or(cmp.Compare(a.createdAt, b.createdAt), strings.Compare(a.msg.ComplaintID, b.msg.ComplaintID),
			cmp.Compare(a.msg.Seq, b.msg.Seq), cmp.Compare(a.position, b.position))
	})
	out := make([]Message, len(rows))
	for i, o := range rows {
		if o.decodeErr != nil {
			// A row this code cannot read (written by a newer version, or
			// damaged) is set aside with the reason, and the rest goes on.
			at := now
			if err := s.settle(context.WithoutCancel(ctx), s.q.poison, o.key, nanos(at), o.decodeErr.Error(), o.key); err != nil {
				return nil, err
			}
			o.msg.DeadLettered, o.msg.LastError = at, o.decodeErr.Error()
		}
		out[i] = o.msg
	}
	return out, s.fillContacts(ctx, out)
}

// settle runs one of the outbox's single-row updates, whose last argument
// is the key: a key that matches no row is a *MessageNotFoundError, a
// delivered row is left as it is.
func (s *SQL) settle(ctx context.Context, q, key string, args ...any) error {
	st, err := s.stmt(ctx, q)
	if err != nil {
		return fmt.Errorf("store: outbox: %w", err)
	}
	res, err := func() (sql.Result, error) {
		defer s.lockWrites()()
		return st.ExecContext(ctx, args...)
	}()
	if err != nil {
		return fmt.Errorf("store: outbox message %q: %w", key, err)
	}
	if n, err := res.RowsAffected(); err == nil && n > 0 {
		return nil
	}
	var one int
	switch err := s.db.QueryRowContext(ctx, s.q.messageExists, key).Scan(&one); {
	case errors.Is(err, sql.ErrNoRows):
		return &MessageNotFoundError{Key: key}
	case err != nil:
		return fmt.Errorf("store: outbox message %q: %w", key, err)
	}
	return nil
}

// MarkDelivered implements Outbox.
func (s *SQL) MarkDelivered(ctx context.Context, key string, at time.Time) error {
	if err := s.usable(); err != nil {
		return err
	}
	return s.settle(ctx, s.q.delivered, key, nanos(at), key)
}

// MarkFailed implements Outbox.
func (s *SQL) MarkFailed(ctx context.Context, key, reason string, retryAt time.Time) error {
	if err := s.usable(); err != nil {
		return err
	}
	return s.settle(ctx, s.q.failed, key, nanos(retryAt), reason, key)
}

// Release implements Outbox.
func (s *SQL) Release(ctx context.Context, key string) error {
	if err := s.usable(); err != nil {
		return err
	}
	return s.settle(ctx, s.q.release, key, key)
}

// Extend implements Outbox, in one transaction.
func (s *SQL) Extend(ctx context.Context, keys []string, leaseUntil time.Time) error {
	if err := s.usable(); err != nil {
		return err
	}
	if len(keys) == 0 {
		return ctx.Err()
	}
	defer s.lockWrites()()
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: extend leases: %w", err)
	}
	for _, k := range keys {
		if _, err := tx.ExecContext(ctx, s.q.extend, nanos(leaseUntil), k); err != nil {
			return errors.Join(fmt.Errorf("store: extend leases: %w", err), tx.Rollback())
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store: extend leases: %w", err)
	}
	return nil
}

// Requeue implements Outbox.
func (s *SQL) Requeue(ctx context.Context, key string, at time.Time) error {
	if err := s.usable(); err != nil {
		return err
	}
	return s.settle(ctx, s.q.requeue, key, nanos(at), key)
}

// DeadLetter implements Outbox.
func (s *SQL) DeadLetter(ctx context.Context, key, reason string, at time.Time) error {
	if err := s.usable(); err != nil {
		return err
	}
	return s.settle(ctx, s.q.dead, key, nanos(at), reason, key)
}
