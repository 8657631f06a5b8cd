// Package klaged is the daemon of cmd/klaged: klage's HTTP JSON API
// (package klagehttp), the outbox relay and the timer runner as one
// process, configured by flags. It is internal so that the end-to-end
// tests (the nested module e2e) can run the daemon in-process; the
// command's documentation is in cmd/klaged.
package klaged

import (
	"context"
	"crypto/rand"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.opentelemetry.io/otel"
	"golang.org/x/time/rate"

	"github.com/klageflow/klage/complaint"
	"github.com/klageflow/klage/klagehttp"
	"github.com/klageflow/klage/metrics"
	"github.com/klageflow/klage/observe"
	"github.com/klageflow/klage/store"
	"github.com/klageflow/klage/store/postgres"
	"github.com/klageflow/klage/store/sqlite"
	"github.com/klageflow/klage/tracing"
)

// Config is what [Run] needs besides its flags; tests fill it in.
type Config struct {
	Now   func() time.Time  // nil means time.Now
	Ready func(addr string) // called with the address once it listens
}

// Run serves until ctx is done, then shuts down gracefully. args are the
// command's flags (without the program's name); logs go to logOut.
func Run(ctx context.Context, args []string, logOut io.Writer, cfg *Config) (err error) {
	fs := flag.NewFlagSet("klaged", flag.ContinueOnError)
	fs.SetOutput(logOut)
	addr := fs.String("addr", "127.0.0.1:8080", "address to listen on")
	dsn := fs.String("dsn", "klage.db", "a postgres:// URL, or the path of a SQLite file")
	tokensFile := fs.String("tokens", "", "a JSON file of static bearer tokens (their SHA-256), for staff, manufacturers and the system")
	issuer := fs.String("oidc-issuer", "", "the OpenID Connect issuer whose JWTs are accepted (its discovery document gives the keys, unless -jwks does)")
	jwksURL := fs.String("jwks", "", "the JWKS URL of the keys that sign accepted JWTs (with -oidc-issuer as the expected issuer)")
	audience := fs.String("audience", "", "the audience accepted JWTs must name")
	secret := fs.String("secret", "", "the key that signs customers' tokens (at least 32 bytes); random when empty, so tokens do not survive a restart")
	customerTTL := fs.Duration("customer-token-ttl", 90*24*time.Hour, "how long a customer's token is valid")
	metricsAddr := fs.String("metrics-addr", "", "also serve GET /metrics without a credential on this address (a listener of its own, for a scraper); on -addr, /metrics needs a staff credential")
	maxConns := fs.Int("max-conns", 1024, "the most connections served at once; at the cap the connection idle longest is closed to make room")
	perClient := fs.Int("max-conns-per-client", 64, "the most connections one client address holds at once; past it, its own idle ones are closed first")
	idle := fs.Duration("idle-timeout", 30*time.Second, "how long an idle keep-alive connection is kept")
	intakePerMinute := fs.Float64("intake-per-minute", 10, "web-form complaints a client address may send a minute")
	intakeBurst := fs.Int("intake-burst", 5, "web-form complaints a client address may send at once")
	requestsPerSecond := fs.Float64("requests-per-second", 100, "requests one client (a credential, or an address without one) may send a second, in bursts of twice as many; 0 means no limit")
	lease := fs.Duration("relay-lease", store.DefaultLease, "how long the relay holds the notifications it claims (renewed while it works): after a crash, another replica delivers them once it runs out")
	timerInterval := fs.Duration("timer-interval", 10*time.Second, "how often the timers look for what is due: reminders, a silent customer chased, a lapsed escalation window closed, retention")
	var delivery deliveryFlags
	delivery.register(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if cfg == nil {
		cfg = &Config{}
	}
	now := cfg.Now
	if now == nil {
		now = time.Now
	}
	log := slog.New(slog.NewJSONHandler(logOut, nil))

	// Metrics for GET /metrics, and spans for the tracer provider the
	// process configures: none unless it does (otel's global provider does
	// nothing until otel.SetTracerProvider is called).
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	m, err := metrics.New(reg)
	if err != nil {
		return err
	}
	// No Notifier: notifications go to the outbox, and the relay delivers.
	w, err := complaint.New(complaint.Options{Now: now, Observers: []observe.Observer{m, tracing.New(otel.GetTracerProvider())}})
	if err != nil {
		return err
	}
	s, err := OpenStore(ctx, w, *dsn)
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, s.Close()) }()
	if err := m.WatchStore(s, now); err != nil {
		return err
	}

	var auth []klagehttp.Authenticator
	if *tokensFile != "" {
		ts, err := klagehttp.LoadTokens(*tokensFile)
		if err != nil {
			return err
		}
		auth = append(auth, ts)
	}
	if *issuer != "" || *jwksURL != "" {
		j, err := klagehttp.NewJWT(ctx, klagehttp.JWTConfig{Issuer: *issuer, JWKSURL: *jwksURL, Audience: *audience, Now: now})
		if err != nil {
			return err
		}
		auth = append(auth, j)
	}
	key := []byte(*secret)
	if len(key) == 0 {
		key = make([]byte, 32)
		_, _ = rand.Read(key)
		log.Warn("no -secret: customers' tokens will not survive a restart")
	} else if len(key) < 32 {
		return errors.New("-secret must be at least 32 bytes")
	}

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	// A cap on open connections, per client too, that makes room by
	// closing idle ones, and short timeouts for idle ones: a client
	// holding thousands of connections, or a thousand polling clients,
	// cannot keep others (or a health probe) out.
	if *maxConns < 1 || *perClient < 1 {
		return errors.New("-max-conns and -max-conns-per-client must be at least 1")
	}
	guard := newConnGuard(ln, *maxConns, *perClient)
	ln = guard
	// The customers' links are made by the handler, which the relay's
	// notifier is made before: the relay starts once both are.
	var api *klagehttp.Handler
	if delivery.publicURL != "" {
		u, err := url.Parse(delivery.publicURL)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
			return errors.New("-public-url: not an http(s) URL without query, such as https://klage.eksempel.dk")
		}
		delivery.link = func(n complaint.Notification) string { return api.CustomerPageLink(delivery.publicURL)(n) }
	}
	notifier, err := delivery.notifier(w, logNotifier{log}, os.Getenv, log, m.Notifier)
	if err != nil {
		return err
	}
	relay := &store.Relay{Outbox: s, Notifier: notifier, Now: now, Logger: log, Interval: 500 * time.Millisecond, Observer: w.Observer(), Lease: *lease}
	ready := func(ctx context.Context) error {
		if err := s.DB().PingContext(ctx); err != nil {
			return fmt.Errorf("database: %w", err)
		}
		if last := relay.LastPass(); last.IsZero() || now().Sub(last) > 30*time.Second {
			return errors.New("the relay has not reached the outbox in the last 30 s")
		}
		return nil
	}
	api, err = klagehttp.New(klagehttp.Options{Workflow: w, Store: s, Authenticator: klagehttp.Authenticators(auth...),
		CustomerTokenSecret: key, CustomerTokenTTL: *customerTTL, Now: now, Logger: log,
		IntakeRate: rate.Limit(*intakePerMinute / 60), IntakeBurst: *intakeBurst,
		RequestRate: requestRate(*requestsPerSecond), RequestBurst: max(int(2**requestsPerSecond), 1), Ready: ready,
		Metrics: m, MetricsHandler: promhttp.HandlerFor(reg, promhttp.HandlerOpts{})})
	if err != nil {
		return err
	}
	srv := &http.Server{
		Handler:           api,
		ConnState:         guard.ConnState,
		MaxHeaderBytes:    64 << 10,
		ReadHeaderTimeout: min(10*time.Second, *idle),
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       *idle,
	}
	// The timers act in every replica; the store makes each act once.
	timers := &store.Timers{Store: s, Workflow: w, Now: now, Logger: log, Interval: *timerInterval, ActionNotifier: notifier}
	relayCtx, stopRelay := context.WithCancel(context.Background())
	relayDone := make(chan struct{})
	go func() {
		defer close(relayDone)
		done := make(chan struct{})
		go func() { defer close(done); _ = timers.Run(relayCtx) }()
		_ = relay.Run(relayCtx)
		<-done
	}()

	if *metricsAddr != "" {
		mln, err := net.Listen("tcp", *metricsAddr)
		if err != nil {
			stopRelay()
			<-relayDone
			return err
		}
		mux := http.NewServeMux()
		mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
		msrv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second, ReadTimeout: 10 * time.Second, WriteTimeout: 10 * time.Second}
		go func() { _ = msrv.Serve(mln) }()
		defer func() { _ = msrv.Close() }()
		log.Info("metrics listening", "addr", mln.Addr().String())
	}
	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(ln) }()
	log.Info("klaged listening", "addr", ln.Addr().String(), "store", s.Dialect())
	if cfg.Ready != nil {
		cfg.Ready(ln.Addr().String())
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

// requestRate is the -requests-per-second flag as a limit: 0 is none.
func requestRate(perSecond float64) rate.Limit {
	if perSecond <= 0 {
		return rate.Inf
	}
	return rate.Limit(perSecond)
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

// OpenStore opens the store at dsn: a postgres:// or postgresql:// URL
// selects PostgreSQL, anything else is the path of a SQLite file. The
// service links both drivers because it takes either; a program that uses
// one imports only store/postgres or store/sqlite.
func OpenStore(ctx context.Context, w *complaint.Workflow, dsn string) (*store.SQL, error) {
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		return postgres.Open(ctx, w, dsn)
	}
	return sqlite.Open(ctx, w, dsn)
}
