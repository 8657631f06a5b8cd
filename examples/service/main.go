// Command service is an HTTP JSON API over klage: it shows how to embed the
// library in a service.
//
//	go run ./examples/service                               # SQLite file klage.db, on 127.0.0.1:8080
//	go run ./examples/service -dsn postgres://user@127.0.0.1:5432/klage
//
// It keeps complaints in the store at -dsn (a postgres:// URL selects
// PostgreSQL, anything else is a SQLite file), runs the outbox relay
// in-process with a notifier that logs each delivery (keys, topics and
// recipients; never names or e-mail addresses), and shuts down gracefully on
// SIGINT and SIGTERM. The routes are documented in README.md.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/klageflow/klage/complaint"
	"github.com/klageflow/klage/store"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stderr, nil); err != nil {
		fmt.Fprintln(os.Stderr, "service:", err)
		os.Exit(1)
	}
}

// config is what run needs besides its flags; tests fill it in.
type config struct {
	now   func() time.Time // nil means time.Now
	ready func(addr string)
}

// run serves until ctx is done, then shuts down gracefully.
func run(ctx context.Context, args []string, logOut io.Writer, cfg *config) error {
	fs := flag.NewFlagSet("service", flag.ContinueOnError)
	fs.SetOutput(logOut)
	addr := fs.String("addr", "127.0.0.1:8080", "address to listen on")
	dsn := fs.String("dsn", "klage.db", "a postgres:// URL, or the path of a SQLite file")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if cfg == nil {
		cfg = &config{}
	}
	now := cfg.now
	if now == nil {
		now = time.Now
	}
	log := slog.New(slog.NewJSONHandler(logOut, nil))

	// No Notifier: notifications go to the outbox, and the relay delivers.
	w, err := complaint.New(complaint.Options{Now: now})
	if err != nil {
		return err
	}
	s, err := store.Open(ctx, w, *dsn)
	if err != nil {
		return err
	}
	defer s.Close()

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	srv := &http.Server{
		Handler:           NewServer(w, s, now, log),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       2 * time.Minute,
	}
	relay := &store.Relay{Outbox: s, Notifier: logNotifier{log}, Now: now, Logger: log, Interval: 500 * time.Millisecond}
	relayCtx, stopRelay := context.WithCancel(context.Background())
	relayDone := make(chan struct{})
	go func() {
		defer close(relayDone)
		_ = relay.Run(relayCtx)
	}()

	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(ln) }()
	log.Info("klage service listening", "addr", ln.Addr().String(), "store", s.Dialect())
	if cfg.ready != nil {
		cfg.ready(ln.Addr().String())
	}

	select {
	case err := <-serveErr:
		stopRelay()
		<-relayDone
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	err = srv.Shutdown(shutdownCtx)
	stopRelay()
	<-relayDone
	if errors.Is(<-serveErr, http.ErrServerClosed) && err == nil {
		log.Info("stopped")
		return nil
	}
	return err
}

// logNotifier "delivers" a notification by logging that it did, with no
// personal data.
type logNotifier struct{ log *slog.Logger }

// Notify logs the delivery.
func (n logNotifier) Notify(ctx context.Context, m complaint.Notification) error {
	n.log.InfoContext(ctx, "notification delivered", "key", m.Key(), "complaint", m.ComplaintID,
		"topic", m.Topic, "recipient", m.Recipient)
	return nil
}
