// Command klaged runs klage's HTTP JSON API (package klagehttp), the
// outbox relay and the timer runner (store.Timers: reminders, a silent
// customer chased, a lapsed escalation window closed, retention) as one
// daemon.
//
//	go run ./cmd/klaged -tokens cmd/klaged/demo-tokens.json   # SQLite file klage.db, on 127.0.0.1:8080
//	go run ./cmd/klaged -dsn postgres://user@127.0.0.1:5432/klage -oidc-issuer https://id.example.com -audience klage
//
// Every request's actor comes from its credential: static bearer tokens
// (-tokens), JWTs verified against an OpenID Connect issuer or a JWKS
// (-oidc-issuer, -jwks, -audience), or the capability token a customer gets
// for their complaint (signed with -secret). A complaint from the web form
// needs no credential and is rate-limited per client address.
//
// It keeps complaints in the store at -dsn (a postgres:// URL selects
// PostgreSQL, anything else is a SQLite file), runs the outbox relay and
// the timers in-process, and shuts down gracefully on SIGINT and SIGTERM.
// The relay delivers by e-mail with -smtp (customers in their language,
// with a link to their own page when -public-url is set; staff at
// -staff-email) and to a signed webhook with -webhook (its secret from
// KLAGE_WEBHOOK_SECRET); without them it logs each delivery (keys, topics
// and recipients; never names or e-mail addresses). go run ./cmd/klaged
// -h lists every flag; docs/http.md documents the routes and
// docs/operations.md running it.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/klageflow/klage/internal/klaged"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := klaged.Run(ctx, os.Args[1:], os.Stderr, nil)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "klaged:", err)
		os.Exit(1)
	}
}
