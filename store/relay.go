package store

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/klageflow/klage/complaint"
	"github.com/klageflow/klage/observe"
)

// Relay delivers the outbox's notifications to a Notifier, at least once:
// a notification is marked delivered only after the Notifier accepted it,
// so a crash between the two delivers it again. Receivers drop duplicates
// by the notification's Key. Several relays may run at once, in one process
// or in many.
//
// A pass claims a batch with a lease in one short write, then delivers it
// outside any transaction, Concurrency notifications at a time (one
// complaint's one after another, in order), and records each result on its
// own: a slow Notifier never holds up a writer, and a crash redelivers only
// what was being delivered. While the pass works it renews its lease, so
// the lease can be short: the claims of a relay that died are taken over
// once it runs out.
//
// The zero Relay is not usable: set Outbox and Notifier. A Relay's fields
// must not change while it runs.
type Relay struct {
	Outbox   Outbox
	Notifier complaint.Notifier
	// BatchSize is how many notifications one pass claims; 0 means 100.
	BatchSize int
	// Concurrency is how many notifications a pass delivers at once; 0
	// means DefaultConcurrency. A complaint's notifications go one after
	// another, in order, whatever it is.
	Concurrency int
	// Lease is how long a claim holds before another relay may take it
	// over; 0 means DefaultLease. A working pass renews it every third of
	// the lease (Outbox.Extend).
	Lease time.Duration
	// NotifyTimeout bounds each Notify call; 0 means DefaultNotifyTimeout.
	NotifyTimeout time.Duration
	// Interval is how long Run waits when the outbox has nothing due; 0
	// means one second.
	Interval time.Duration
	// RetryAfter is the backoff after the n-th failed attempt; nil means
	// DefaultRetryAfter.
	RetryAfter func(attempts int) time.Duration
	// MaxAttempts, when not zero, dead-letters a message after that many
	// failed attempts; 0 retries for ever. A failure whose error has a
	// Permanent method reporting true (notify.PermanentError) is
	// dead-lettered at once.
	MaxAttempts int
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Logger receives delivery failures; nil means slog.Default. It logs
	// keys, topics and errors, never the notification's data.
	Logger *slog.Logger
	// Observer, when set, watches each delivery as a observe.Deliver
	// (metrics, traces): give it the workflow's, complaint.Workflow.Observer.
	Observer observe.Observer

	lastPass atomic.Int64 // Unix nanoseconds of the last sign of life; 0 before the first
}

// LastPass returns when r last showed that its loop is alive, by r's
// clock: a pass reached the outbox (claimed, even nothing), recorded a
// result or renewed its lease. A readiness check compares it with now: a
// relay working through a slow receiver stays alive; one whose passes fail
// (the database is gone) stops moving it. Zero before the first pass.
func (r *Relay) LastPass() time.Time {
	n := r.lastPass.Load()
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, n)
}

// DefaultLease is the lease of a Relay without one: short, because a
// working pass renews it.
const DefaultLease = 15 * time.Second

// DefaultConcurrency is how many notifications a Relay without a
// Concurrency delivers at once.
const DefaultConcurrency = 8

// DefaultNotifyTimeout bounds each Notify call of a Relay without a
// NotifyTimeout.
const DefaultNotifyTimeout = 30 * time.Second

func (r *Relay) batch() int {
	if r.BatchSize <= 0 {
		return 100
	}
	return r.BatchSize
}

func (r *Relay) logger() *slog.Logger {
	if r.Logger == nil {
		return slog.Default()
	}
	return r.Logger
}

// ErrRelayConfig is returned by Relay.RunOnce and Relay.Run for a relay
// without an Outbox or a Notifier.
var ErrRelayConfig = errors.New("store: relay needs an Outbox and a Notifier")

// RunOnce makes one pass over the outbox: it claims up to BatchSize due
// notifications and delivers them, oldest first, Concurrency at a time.
// Within a pass, a complaint's notifications after one that failed are
// released, to keep their order; across passes a notification waiting for
// its retry does not hold back the next, so receivers that need order use
// Seq.
//
// When ctx ends during a pass, the messages not yet delivered are
// released, the results so far are recorded, and ctx's error is returned.
func (r *Relay) RunOnce(ctx context.Context) (Batch, error) {
	if err := r.check(); err != nil {
		return Batch{}, err
	}
	if err := ctx.Err(); err != nil {
		return Batch{}, err
	}
	p := r.newPass()
	claimedAt := p.now()
	msgs, err := r.Outbox.Claim(ctx, claimedAt, r.batch(), claimedAt.Add(p.lease))
	if err != nil {
		return Batch{}, err
	}
	r.alive(claimedAt)
	if len(msgs) == 0 {
		return Batch{}, nil
	}
	passCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	p.held = map[string]bool{}
	var groups [][]Message // by complaint, in order
	index := map[string]int{}
	for _, m := range msgs {
		if m.Dead() {
			p.b.DeadLettered++
			p.log.ErrorContext(ctx, "klage: notification dead-lettered", "key", storedKey(m), "complaint", m.ComplaintID, "topic", m.Topic, "error", m.LastError)
			continue
		}
		p.held[storedKey(m)] = true
		i, ok := index[m.ComplaintID]
		if !ok {
			i = len(groups)
			index[m.ComplaintID] = i
			groups = append(groups, nil)
		}
		groups[i] = append(groups[i], m)
	}
	renewed := make(chan struct{})
	go func() { defer close(renewed); p.renew(passCtx) }()
	workers := r.Concurrency
	if workers <= 0 {
		workers = DefaultConcurrency
	}
	sem := make(chan struct{}, workers)
	var wg sync.WaitGroup
	for _, g := range groups {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			p.deliverGroup(passCtx, g)
		}()
	}
	wg.Wait()
	cancel()
	<-renewed
	if p.err != nil {
		return p.b, p.err
	}
	return p.b, ctx.Err()
}

// check returns ErrRelayConfig for a relay that cannot deliver.
func (r *Relay) check() error {
	if f, ok := r.Notifier.(complaint.NotifierFunc); r.Outbox == nil || r.Notifier == nil || (ok && f == nil) {
		return ErrRelayConfig
	}
	return nil
}

// alive records a sign of life at t.
func (r *Relay) alive(t time.Time) { r.lastPass.Store(t.UnixNano()) }

// pass is one RunOnce's state, shared by its workers.
type pass struct {
	r       *Relay
	now     func() time.Time
	retry   func(int) time.Duration
	log     *slog.Logger
	lease   time.Duration
	timeout time.Duration

	mu   sync.Mutex
	held map[string]bool // claimed keys without a result yet
	b    Batch
	err  error // the first failure to record a result
}

func (r *Relay) newPass() *pass {
	p := &pass{r: r, now: time.Now, retry: r.RetryAfter, log: r.logger(), lease: r.Lease, timeout: r.NotifyTimeout}
	if r.Now != nil {
		p.now = r.Now
	}
	if p.retry == nil {
		p.retry = DefaultRetryAfter
	}
	if p.lease <= 0 {
		p.lease = DefaultLease
	}
	if p.timeout <= 0 {
		p.timeout = DefaultNotifyTimeout
	}
	return p
}

// renew extends the lease of the keys still held every third of the
// lease, until ctx ends.
func (p *pass) renew(ctx context.Context) {
	t := time.NewTicker(p.lease / 3)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		p.mu.Lock()
		keys := make([]string, 0, len(p.held))
		for k := range p.held {
			keys = append(keys, k)
		}
		p.mu.Unlock()
		now := p.now()
		if err := p.r.Outbox.Extend(ctx, keys, now.Add(p.lease)); err != nil {
			if ctx.Err() == nil {
				p.log.WarnContext(ctx, "klage: relay could not renew its lease", "error", err)
			}
			continue
		}
		p.r.alive(now)
	}
}

// deliverGroup delivers one complaint's messages in order; after one that
// fails, or once ctx has ended, the rest are released.
func (p *pass) deliverGroup(ctx context.Context, g []Message) {
	record := context.WithoutCancel(ctx) // results are recorded even when ctx has ended
	for i, m := range g {
		if ctx.Err() != nil || !p.deliverOne(ctx, record, m) {
			for _, rest := range g[i+1:] {
				p.settled(storedKey(rest), p.r.Outbox.Release(record, storedKey(rest)))
			}
			if ctx.Err() != nil {
				p.settled(storedKey(m), p.r.Outbox.Release(record, storedKey(m)))
			}
			return
		}
	}
}

// deliverOne delivers m and records the result; it reports whether m was
// delivered.
func (p *pass) deliverOne(ctx, record context.Context, m Message) bool {
	key := storedKey(m)
	nctx, cancel := context.WithTimeout(ctx, p.timeout)
	err := p.r.deliver(nctx, m.Notification)
	cancel()
	if err != nil && ctx.Err() != nil {
		return false // the pass ends: the caller releases it
	}
	at := p.now()
	switch {
	case err == nil:
		p.settled(key, p.r.Outbox.MarkDelivered(record, key, at))
		p.count(func(b *Batch) { b.Delivered++ })
		return true
	case p.r.MaxAttempts > 0 && m.Attempts+1 >= p.r.MaxAttempts, permanent(err):
		p.log.ErrorContext(ctx, "klage: notification dead-lettered",
			"key", key, "topic", m.Topic, "recipient", m.Recipient, "attempt", m.Attempts+1, "error", err)
		p.settled(key, p.r.Outbox.DeadLetter(record, key, err.Error(), at))
		p.count(func(b *Batch) { b.DeadLettered++ })
	default:
		p.log.WarnContext(ctx, "klage: notification not delivered",
			"key", key, "topic", m.Topic, "recipient", m.Recipient, "attempt", m.Attempts+1, "error", err)
		p.settled(key, p.r.Outbox.MarkFailed(record, key, err.Error(), at.Add(p.retry(m.Attempts+1))))
		p.count(func(b *Batch) { b.Failed++ })
	}
	return false
}

// settled records that key has its result (err from recording it).
func (p *pass) settled(key string, err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	delete(p.held, key)
	if err != nil && p.err == nil {
		p.err = err
	}
	p.r.alive(p.now())
}

func (p *pass) count(f func(*Batch)) {
	p.mu.Lock()
	defer p.mu.Unlock()
	f(&p.b)
}

// deliver hands n to the Notifier, observed.
func (r *Relay) deliver(ctx context.Context, n complaint.Notification) error {
	if r.Observer == nil {
		return r.Notifier.Notify(ctx, n)
	}
	ctx, end := r.Observer.Begin(ctx, observe.Operation{Op: observe.Deliver, ComplaintID: n.ComplaintID,
		Event: string(n.Data.Event), Topic: string(n.Topic), Recipient: n.Recipient, Key: n.Key()})
	err := r.Notifier.Notify(ctx, n)
	end(err)
	return err
}

// permanent reports whether err says that no retry will deliver the
// notification: some error in its chain has a Permanent method that
// reports true (notify.PermanentError: no address for the recipient).
func permanent(err error) bool {
	var p interface{ Permanent() bool }
	return errors.As(err, &p) && p.Permanent()
}

// Run delivers until ctx is done, then returns ctx's error; a relay
// without an Outbox or a Notifier returns ErrRelayConfig at once. It makes passes
// back to back while they fill a batch and waits Interval otherwise; a pass
// that fails is logged and tried again after Interval.
func (r *Relay) Run(ctx context.Context) error {
	if err := r.check(); err != nil {
		return err
	}
	interval := r.Interval
	if interval <= 0 {
		interval = time.Second
	}
	return runPasses(ctx, interval, r.logger(), "klage: relay pass failed", func(ctx context.Context) (bool, error) {
		b, err := r.RunOnce(ctx)
		return b.Delivered+b.Failed+b.DeadLettered >= r.batch(), err
	})
}
