package store_test

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/klageflow/klage/complaint"
	"github.com/klageflow/klage/complaint/complainttest"
	"github.com/klageflow/klage/glossary"
	"github.com/klageflow/klage/internal/pgtest"
	"github.com/klageflow/klage/store"
	"github.com/klageflow/klage/store/postgres"
	"github.com/klageflow/klage/store/sqlite"
)

var ctx = context.Background()

// postgresDSN returns the DSN of a fresh schema in the test database (see
// internal/pgtest).
func postgresDSN(tb testing.TB) string { return pgtest.DSN(tb) }

// storeAndOutbox is what the built-in stores are.
type storeAndOutbox interface {
	store.Store
	store.Outbox
}

// backend opens one kind of store for a test.
type backend struct {
	name string
	open func(tb testing.TB, w *complaint.Workflow) storeAndOutbox
}

var backends = []backend{
	{"Memory", func(_ testing.TB, w *complaint.Workflow) storeAndOutbox { return store.NewMemory(w) }},
	{"SQLite", func(tb testing.TB, w *complaint.Workflow) storeAndOutbox {
		s, err := sqlite.Open(ctx, w, filepath.Join(tb.TempDir(), "klage.db"))
		require.NoError(tb, err)
		tb.Cleanup(func() { s.Close() })
		return s
	}},
	{"Postgres", func(tb testing.TB, w *complaint.Workflow) storeAndOutbox {
		s, err := postgres.Open(ctx, w, postgresDSN(tb))
		require.NoError(tb, err)
		tb.Cleanup(func() { s.Close() })
		return s
	}},
}

// forEachStore runs test against every backend, each in a subtest named
// after it (so PostgreSQL tests carry "Postgres" in their name).
func forEachStore(t *testing.T, test func(t *testing.T, f *fixture)) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			f := newFixture(t)
			f.s = b.open(t, f.w)
			f.backend = b.name
			test(t, f)
		})
	}
}

type fixture struct {
	backend string
	w       *complaint.Workflow
	clock   *complainttest.Clock
	s       storeAndOutbox
	ids     int
}

func newFixture(tb testing.TB) *fixture {
	f := &fixture{clock: complainttest.NewClock(time.Time{})}
	var mu sync.Mutex
	w, err := complaint.New(complaint.Options{Now: f.clock.Now, NewID: func() string {
		mu.Lock()
		defer mu.Unlock()
		f.ids++
		return fmt.Sprintf("K-%04d", f.ids)
	}})
	require.NoError(tb, err)
	f.w = w
	return f
}

// open creates a complaint in the store and moves it to state through
// legal events, saving each step.
func (f *fixture) open(tb testing.TB, state complaint.State) *complaint.Complaint {
	tb.Helper()
	c, err := store.Receive(ctx, f.s, f.w, complainttest.Intake())
	require.NoError(tb, err)
	for _, e := range complainttest.PathTo(f.w, state) {
		c = f.fire(tb, c.ID(), e)
	}
	return c
}

// openFor is open for another customer, with other details and words.
func (f *fixture) openFor(tb testing.TB, customerID string, state complaint.State) *complaint.Complaint {
	tb.Helper()
	in := complainttest.Intake()
	in.Customer = complaint.Customer{ID: customerID, Name: "Ole Hansen", Email: "ole@example.dk", Type: complaint.Consumer, Language: glossary.Danish}
	in.Description, in.RemedySought.Text = "The screen flickers.", "A new screen."
	c, err := store.Receive(ctx, f.s, f.w, in)
	require.NoError(tb, err)
	for _, e := range complainttest.PathTo(f.w, state) {
		c = f.fire(tb, c.ID(), e)
	}
	return c
}

// fire fires e by the first role that may, through store.Fire.
func (f *fixture) fire(tb testing.TB, id string, e complaint.Event) *complaint.Complaint {
	tb.Helper()
	c, err := f.s.Get(ctx, id)
	require.NoError(tb, err)
	for _, edge := range f.w.Edges() {
		if edge.From != c.State() || edge.Event != e {
			continue
		}
		for _, r := range edge.Roles {
			in := complainttest.InputFor(c, e, r)
			if f.w.Check(ctx, c, in) != nil {
				continue
			}
			got, _, err := store.Fire(ctx, f.s, f.w, id, in, store.FireOptions{})
			require.NoError(tb, err, "Transition(%q)", e)
			return got
		}
	}
	tb.Fatalf("no role may fire %s in %s", e, c.State())
	return nil
}

// notificationKey is the idempotency key of the notification on topic for
// recipient made by history entry seq of complaint id.
func notificationKey(id string, seq int, topic complaint.Topic, recipient glossary.Role) string {
	n := complaint.Notification{ComplaintID: id, Seq: seq, Topic: topic, Recipient: recipient}
	return n.Key()
}

// assertHistoryEnds asserts that h, a store's whole history of c, has one
// entry per version, in order, and ends with the entries c holds (all of
// them, or those after its checkpoint).
func assertHistoryEnds(t *testing.T, c *complaint.Complaint, h []complaint.Entry) {
	t.Helper()
	require.Len(t, h, c.Version())
	for i, e := range h {
		require.Equal(t, i+1, e.Seq)
	}
	held := c.History()
	assert.Equal(t, held, h[len(h)-len(held):], "the history table matches the complaint")
}

// listAll walks every page of s.List(f), for tests that want the whole
// list: a corrupt row is an error here.
func listAll(ctx context.Context, s store.Store, f store.Filter) ([]*complaint.Complaint, error) {
	var out []*complaint.Complaint
	for {
		page, err := s.List(ctx, f)
		if err != nil {
			return nil, err
		}
		if len(page.Corrupt) > 0 {
			return nil, page.Corrupt[0]
		}
		out = append(out, page.Complaints...)
		if page.Next == "" {
			return out, nil
		}
		f.Cursor = page.Next
	}
}

// openSQL opens the SQL store at dsn: PostgreSQL for a postgres:// URL,
// else a SQLite file, as a service that takes either would.
func openSQL(ctx context.Context, w *complaint.Workflow, dsn string) (*store.SQL, error) {
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		return postgres.Open(ctx, w, dsn)
	}
	return sqlite.Open(ctx, w, dsn)
}
