package store

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/klageflow/klage/complaint"
)

// Relay delivers the outbox's notifications to a Notifier, at least once:
// a notification is marked delivered only after the Notifier accepted it,
// so a crash between the two delivers it again. Receivers drop duplicates
// by the notification's Key. Several relays may run at once, in one process
// or in many.
//
// The zero Relay is not usable: set Store and Notifier. A Relay's fields
// must not change while it runs.
type Relay struct {
	Store    Store
	Notifier complaint.Notifier
	// BatchSize is how many notifications one pass claims; 0 means 100.
	BatchSize int
	// Interval is how long Run waits when the outbox has nothing due; 0
	// means one second.
	Interval time.Duration
	// RetryAfter is the backoff after the n-th failed attempt; nil means
	// DefaultRetryAfter.
	RetryAfter func(attempts int) time.Duration
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Logger receives delivery failures; nil means slog.Default. It logs
	// keys, topics and errors, never the notification's data.
	Logger *slog.Logger
}

func (r *Relay) batch() int {
	if r.BatchSize <= 0 {
		return 100
	}
	return r.BatchSize
}

// RunOnce makes one pass over the outbox: it claims up to BatchSize due
// notifications and delivers them.
func (r *Relay) RunOnce(ctx context.Context) (Batch, error) {
	if r.Store == nil || r.Notifier == nil {
		return Batch{}, errors.New("store: relay needs a Store and a Notifier")
	}
	now, retry, log := time.Now, r.RetryAfter, r.Logger
	if r.Now != nil {
		now = r.Now
	}
	if retry == nil {
		retry = DefaultRetryAfter
	}
	if log == nil {
		log = slog.Default()
	}
	return r.Store.DeliverPending(ctx, now(), r.batch(), func(ctx context.Context, m Message) error {
		err := r.Notifier.Notify(ctx, m.Notification)
		if err != nil {
			log.WarnContext(ctx, "klage: notification not delivered",
				"key", m.Key(), "topic", m.Topic, "recipient", m.Recipient, "attempt", m.Attempts+1, "error", err)
		}
		return err
	}, retry)
}

// Run delivers until ctx is done, then returns ctx's error. It makes passes
// back to back while they fill a batch and waits Interval otherwise; a pass
// that fails is logged and tried again after Interval.
func (r *Relay) Run(ctx context.Context) error {
	interval := r.Interval
	if interval <= 0 {
		interval = time.Second
	}
	log := r.Logger
	if log == nil {
		log = slog.Default()
	}
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-timer.C:
		}
		b, err := r.RunOnce(ctx)
		switch {
		case ctx.Err() != nil:
			return ctx.Err()
		case err != nil:
			log.ErrorContext(ctx, "klage: relay pass failed", "error", err)
			timer.Reset(interval)
		case b.Delivered+b.Failed >= r.batch():
			timer.Reset(0)
		default:
			timer.Reset(interval)
		}
	}
}
