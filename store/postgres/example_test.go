package postgres_test

import (
	"context"
	"log"

	"github.com/klageflow/klage/complaint"
	"github.com/klageflow/klage/store"
	"github.com/klageflow/klage/store/postgres"
)

// Opening the store in PostgreSQL and running its relay; the relay is
// stopped and awaited before the store closes. (Not run: it needs a
// server.)
func ExampleOpen() {
	ctx := context.Background()
	w, err := complaint.New(complaint.Options{}) // no Notifier: the outbox delivers
	if err != nil {
		log.Fatal(err)
	}
	s, err := postgres.Open(ctx, w, "postgres://klage@127.0.0.1:5432/klage?sslmode=disable")
	if err != nil {
		log.Fatal(err)
	}
	defer s.Close()

	relay := &store.Relay{Outbox: s, Notifier: complaint.NotifierFunc(func(context.Context, complaint.Notification) error { return nil })}
	relayCtx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { defer close(done); _ = relay.Run(relayCtx) }()
	// ... serve ...
	stop()
	<-done
}
