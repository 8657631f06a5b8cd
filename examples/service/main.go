// Command service is a shop's own service that mounts klage's HTTP API
// (package klagehttp) under /klage/, beside routes of its own, with an
// authenticator of its own: how to embed klage in a service.
//
//	go run ./examples/service   # on 127.0.0.1:8081, complaints in klage-example.db
//
// Staff of the shop send their own API key (X-Shop-Key); customers use
// the token their complaint gives them; the web form needs nothing. The
// outbox relay and the timers run in the same process. The daemon
// cmd/klaged does the same with flags for every option.
package main

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/klageflow/klage/complaint"
	"github.com/klageflow/klage/glossary"
	"github.com/klageflow/klage/klagehttp"
	"github.com/klageflow/klage/store"
	"github.com/klageflow/klage/store/sqlite"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8081", "address to listen on")
	db := flag.String("db", "klage-example.db", "the SQLite file")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	err := run(ctx, *addr, *db, log)
	stop()
	if err != nil {
		log.Error("service", "error", err)
		os.Exit(1)
	}
}

// shopKeys are the shop's own staff API keys, by the SHA-256 of the key:
// in a real shop, its user directory.
var shopKeys = map[[sha256.Size]byte]glossary.Actor{
	sha256.Sum256([]byte("shop-key-anna")):  {ID: "anna", Role: glossary.CustomerService},
	sha256.Sum256([]byte("shop-key-mette")): {ID: "mette", Role: glossary.ComplaintsDepartment},
}

// shopAuth is the shop's authenticator: its staff send X-Shop-Key.
var shopAuth = klagehttp.AuthenticatorFunc(func(r *http.Request) (klagehttp.Principal, error) {
	key := r.Header.Get("X-Shop-Key")
	if key == "" {
		return klagehttp.Principal{}, klagehttp.ErrNoCredential
	}
	sum := sha256.Sum256([]byte(key))
	for k, a := range shopKeys {
		if subtle.ConstantTimeCompare(k[:], sum[:]) == 1 {
			return klagehttp.Principal{Actor: a}, nil
		}
	}
	return klagehttp.Principal{}, errors.New("unknown shop key")
})

func run(ctx context.Context, addr, db string, log *slog.Logger) error {
	w, err := complaint.New(complaint.Options{}) // no Notifier: the outbox and the relay deliver
	if err != nil {
		return err
	}
	s, err := sqlite.Open(ctx, w, db)
	if err != nil {
		return err
	}
	defer func() { _ = s.Close() }()
	secret := make([]byte, 32) // in production: the same secret on every replica, from a vault
	_, _ = rand.Read(secret)
	api, err := klagehttp.New(klagehttp.Options{Workflow: w, Store: s, Authenticator: shopAuth, CustomerTokenSecret: secret, Logger: log})
	if err != nil {
		return err
	}

	mux := http.NewServeMux()
	mux.Handle("/klage/", http.StripPrefix("/klage", api))
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, _ *http.Request) {
		_, _ = fmt.Fprintln(w, "Eksempel A/S: complaints at /klage/complaints")
	})

	relay := &store.Relay{Outbox: s, Notifier: complaint.NotifierFunc(func(ctx context.Context, n complaint.Notification) error {
		log.InfoContext(ctx, "notification", "key", n.Key(), "topic", n.Topic, "recipient", n.Recipient)
		return nil
	}), Logger: log}
	go func() { _ = relay.Run(ctx) }()
	// The timers: reminders, a silent customer chased, a lapsed window
	// closed, retention; once each, in however many replicas run this.
	timers := &store.Timers{Store: s, Workflow: w, Logger: log}
	go func() { _ = timers.Run(ctx) }()

	srv := &http.Server{Addr: addr, Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		<-ctx.Done()
		// ctx is done: shutting down gets time of its own.
		shutdown, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		_ = srv.Shutdown(shutdown)
	}()
	log.Info("listening", "addr", addr)
	if err := srv.ListenAndServe(); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
