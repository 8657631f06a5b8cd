package store

import (
	"context"
	"log/slog"
	"time"
)

// runPasses is the loop of Relay.Run and Timers.Run: it makes a pass at
// once, the next at once again while a pass reports more to do, and
// interval later otherwise; a pass that fails is logged with failed and
// tried again after interval. It returns ctx's error when ctx is done.
func runPasses(ctx context.Context, interval time.Duration, log *slog.Logger, failed string, pass func(context.Context) (more bool, err error)) error {
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-timer.C:
		}
		more, err := pass(ctx)
		switch {
		case ctx.Err() != nil:
			return ctx.Err()
		case err != nil:
			log.ErrorContext(ctx, failed, "error", err)
			timer.Reset(interval)
		case more:
			timer.Reset(0)
		default:
			timer.Reset(interval)
		}
	}
}
