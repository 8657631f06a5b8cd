package notify_test

import (
	"bytes"
	"context"
	"log/slog"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/klageflow/klage/complaint"
	"github.com/klageflow/klage/complaint/complainttest"
	"github.com/klageflow/klage/e2e/internal/smtptest"
	"github.com/klageflow/klage/escalation"
	"github.com/klageflow/klage/glossary"
	"github.com/klageflow/klage/notify"
	"github.com/klageflow/klage/store"
	"github.com/klageflow/klage/store/sqlite"
)

// counting counts a notifier's attempts and successes.
type counting struct {
	complaint.Notifier
	mu                 sync.Mutex
	attempts, accepted int
}

func (c *counting) Notify(ctx context.Context, n complaint.Notification) error {
	err := c.Notifier.Notify(ctx, n)
	c.mu.Lock()
	defer c.mu.Unlock()
	c.attempts++
	if err == nil {
		c.accepted++
	}
	return err
}

// TestRelayDeliversEmailAndWebhooks walks a Danish consumer's complaint
// through its lifecycle on a real SQLite store and lets the relay deliver
// the outbox to a real SMTP server and a real webhook receiver, both of
// which fail for a while: every notification arrives, in the customer's
// language, as many times as it was accepted, and its duplicates carry
// the same Message-ID and webhook-id.
func TestRelayDeliversEmailAndWebhooks(t *testing.T) {
	ctx := context.Background()
	clock := complainttest.NewClock(time.Time{})
	w, err := complaint.New(complaint.Options{Now: clock.Now, ComplaintsDepartmentContact: department})
	require.NoError(t, err)
	s, err := sqlite.Open(ctx, w, filepath.Join(t.TempDir(), "klage.db"))
	require.NoError(t, err)
	defer func() { _ = s.Close() }()

	srv := smtptest.Start(t, smtpUser, smtpPassword)
	srv.Refuse(2)
	rc := &receiver{status: []int{500, 500, 503}}
	hook := httptestServer(t, rc)
	r := renderer(t, notify.RendererOptions{Workflow: w})
	email := &counting{Notifier: newEmail(t, srv, func(o *notify.EmailOptions) { o.Renderer = r })}
	webhook, err := notify.NewWebhook(notify.WebhookOptions{URL: hook, Secret: testSecret, Now: clock.Now})
	require.NoError(t, err)
	var logs bytes.Buffer
	relay := &store.Relay{Outbox: s, Notifier: notify.Fanout{email, webhook}, Now: clock.Now,
		RetryAfter: func(int) time.Duration { return time.Minute }, Logger: slog.New(slog.NewTextHandler(&logs, nil))}

	intake := complainttest.Intake()
	c, err := store.Receive(ctx, s, w, intake)
	require.NoError(t, err)
	id := c.ID()
	fire := func(e complaint.Event, role glossary.Role, edit func(*complaint.Input)) {
		t.Helper()
		clock.Advance(time.Hour)
		c, err := s.Get(ctx, id)
		require.NoError(t, err)
		in := complainttest.InputFor(c, e, role)
		if edit != nil {
			edit(&in)
		}
		_, _, err = store.Fire(ctx, s, w, id, in, store.FireOptions{})
		require.NoError(t, err, e)
	}
	cs, cd, cu := glossary.CustomerService, glossary.ComplaintsDepartment, glossary.Customer
	fire(complaint.EventStart, cs, nil)
	fire(complaint.EventRequestInfo, cs, func(in *complaint.Input) { in.Note = "Send os et billede af serienummeret." })
	fire(complaint.EventProvideInfo, cu, nil)
	fire(complaint.EventAnswer, cs, func(in *complaint.Input) {
		in.Answer = &complaint.Answer{Outcome: escalation.PartlyUpheld, Text: "Vi reparerer computeren.",
			Remedy: &escalation.Remedy{Kind: escalation.Repair, Text: "Gratis reparation."}}
	})
	fire(complaint.EventEscalate, cu, nil)
	fire(complaint.EventReview, cd, func(in *complaint.Input) {
		in.Decision = &escalation.Decision{Outcome: escalation.Upheld, Explanation: "En DOA-computer skal ombyttes.",
			Remedy: &escalation.Remedy{Kind: escalation.Replacement, Text: "En ny computer."}}
	})
	fire(complaint.EventFulfil, cs, nil)
	fire(complaint.EventClose, cd, nil)

	msgs, err := s.Notifications(ctx, id)
	require.NoError(t, err)
	var keys []string
	byKey := map[string]complaint.Notification{}
	for _, m := range msgs {
		keys = append(keys, m.Key())
		byKey[m.Key()] = m.Notification
	}
	require.Len(t, keys, 10, "acknowledged, started, info_requested, progress, final_answer, escalated ×2, reviewed, fulfilled, closed")

	for range 20 {
		pending, err := s.Pending(ctx, 100)
		require.NoError(t, err)
		if len(pending) == 0 {
			break
		}
		_, err = relay.RunOnce(ctx)
		require.NoError(t, err)
		clock.Advance(time.Minute)
	}
	pending, err := s.Pending(ctx, 100)
	require.NoError(t, err)
	require.Empty(t, pending, "the relay delivered everything once the receivers recovered")
	assert.Equal(t, 2, srv.Refused(), "the SMTP server's failures were retried")
	require.Contains(t, logs.String(), "not delivered")
	for _, personal := range []string{intake.Customer.Email, intake.Customer.Name, intake.Customer.Phone, smtpPassword, testSecret} {
		assert.NotContains(t, logs.String(), personal, "the relay's log holds no personal data or secret")
	}

	// E-mail: one message per accepted attempt, every key among them, in
	// Danish for the customer, with its text.
	mails := srv.Messages()
	assert.Len(t, mails, email.accepted)
	assert.Greater(t, email.attempts, len(keys), "failures were retried")
	seen := map[string]int{}
	for _, m := range mails {
		got := read(t, m)
		seen[got.header.Get("Message-ID")]++
		key := got.header.Get("X-Klage-Key")
		n, ok := byKey[key]
		require.True(t, ok, key)
		assert.Equal(t, "<"+notify.MessageID(key, "eksempel.dk")+">", got.header.Get("Message-ID"))
		want, err := r.Render(n)
		require.NoError(t, err)
		assert.Equal(t, want.Subject, got.subject)
		if n.Recipient == glossary.Customer {
			assert.Equal(t, []string{complainttest.Intake().Customer.Email}, m.To, "the address the store keeps apart")
			assert.Equal(t, "da", got.header.Get("Content-Language"))
		} else {
			assert.Equal(t, []string{department}, m.To)
		}
	}
	assert.Len(t, seen, len(keys), "every notification arrived by e-mail")
	for _, k := range keys {
		assert.Positive(t, seen["<"+notify.MessageID(k, "eksempel.dk")+">"], k)
	}

	// Webhooks: every request verifies, every key arrived, duplicates
	// share their webhook-id.
	ids := map[string]int{}
	for _, req := range rc.requests() {
		require.NoError(t, verify(testSecret, req.header, req.body, clock.Now()))
		ids[req.header.Get("webhook-id")]++
	}
	var got []string
	for k := range ids {
		got = append(got, k)
	}
	slices.Sort(got)
	want := slices.Clone(keys)
	slices.Sort(want)
	assert.Equal(t, want, got)
	dups := 0
	for _, n := range ids {
		dups += n - 1
	}
	assert.Positive(t, dups+len(mails)-len(keys), "the failures made duplicates, recognisable by key")
}
