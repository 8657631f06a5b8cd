package e2e

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/time/rate"

	"github.com/klageflow/klage/complaint"
	"github.com/klageflow/klage/complaint/complainttest"
	"github.com/klageflow/klage/glossary"
	"github.com/klageflow/klage/klagehttp"
	"github.com/klageflow/klage/metrics"
	"github.com/klageflow/klage/observe"
	"github.com/klageflow/klage/store"
	"github.com/klageflow/klage/store/postgres"
	"github.com/klageflow/klage/store/sqlite"
)

// mountedTarget: with KLAGE_E2E_TARGET=mounted the HTTP suite talks to
// klagehttp mounted under /klage/ in a shop's own service (startShop), as
// a module that imports klage writes it, instead of to the daemon.
// bash scripts/test.sh runs the suite both ways.
var mountedTarget = os.Getenv("KLAGE_E2E_TARGET") == "mounted"

// daemonOnly skips a test of what only the daemon has (its flags, its
// connection guard) when the suite targets the mounted handler.
func daemonOnly(t *testing.T) {
	t.Helper()
	if mountedTarget {
		t.Skip("the daemon's own: not part of the mounted handler's suite")
	}
}

// shopStaff is the shop's own authenticator: its staff directory keeps
// each key's SHA-256, and it knows nothing of klagehttp's token files.
type shopStaff map[[sha256.Size]byte]klagehttp.Principal

func newShopStaff() shopStaff {
	staff := shopStaff{}
	for _, tt := range testTokens {
		staff[sha256.Sum256([]byte(tt.token))] = klagehttp.Principal{
			Actor:       glossary.Actor{ID: tt.id, Role: glossary.Role(tt.role), Manufacturer: tt.manufacturer},
			Permissions: tt.permissions,
		}
	}
	return staff
}

// Authenticate implements klagehttp.Authenticator: a bearer key of the
// shop's staff, else not this kind of credential (a JWT or a customer's
// token is for the others to judge).
func (s shopStaff) Authenticate(r *http.Request) (klagehttp.Principal, error) {
	key, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok || strings.Contains(key, ".") {
		return klagehttp.Principal{}, klagehttp.ErrNoCredential
	}
	sum := sha256.Sum256([]byte(key))
	for k, p := range s {
		if subtle.ConstantTimeCompare(k[:], sum[:]) == 1 {
			return p, nil
		}
	}
	return klagehttp.Principal{}, errors.New("shop: unknown staff key")
}

// startShop runs the shop's service on 127.0.0.1: its own routes, the
// complaint API mounted under /klage/ with its own authenticator (and the
// built-in JWT one when a test gives an issuer), the relay and the
// timers. extra are the daemon's flags a test gives; those the shop has
// no equivalent for skip the test.
func startShop(t *testing.T, dsn string, clock *complainttest.Clock, extra ...string) *server {
	t.Helper()
	flags := map[string]string{"-intake-per-minute": "600", "-intake-burst": "20", "-timer-interval": "10s"}
	for i := 0; i+1 < len(extra); i += 2 {
		switch extra[i] {
		case "-oidc-issuer", "-jwks", "-audience", "-intake-per-minute", "-intake-burst", "-tokens", "-timer-interval":
			flags[extra[i]] = extra[i+1]
		default:
			t.Skipf("%s is the daemon's: not part of the mounted handler's suite", extra[i])
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	logs := &syncBuffer{}
	log := slog.New(slog.NewJSONHandler(logs, nil))

	reg := prometheus.NewRegistry()
	m, err := metrics.New(reg)
	require.NoError(t, err)
	w, err := complaint.New(complaint.Options{Now: clock.Now, Observers: []observe.Observer{m}})
	require.NoError(t, err)
	var s *store.SQL
	if strings.HasPrefix(dsn, "postgres://") {
		s, err = postgres.Open(ctx, w, dsn)
	} else {
		s, err = sqlite.Open(ctx, w, dsn)
	}
	require.NoError(t, err)
	require.NoError(t, m.WatchStore(s, clock.Now))

	auth := []klagehttp.Authenticator{newShopStaff()}
	if path := flags["-tokens"]; path != "" {
		ts, err := klagehttp.LoadTokens(path)
		require.NoError(t, err)
		auth = append(auth, ts)
	}
	if flags["-oidc-issuer"] != "" {
		j, err := klagehttp.NewJWT(ctx, klagehttp.JWTConfig{Issuer: flags["-oidc-issuer"], JWKSURL: flags["-jwks"], Audience: flags["-audience"], Now: clock.Now})
		require.NoError(t, err)
		auth = append(auth, j)
	}
	perMinute, err := strconv.ParseFloat(flags["-intake-per-minute"], 64)
	require.NoError(t, err)
	burst, err := strconv.Atoi(flags["-intake-burst"])
	require.NoError(t, err)
	interval, err := time.ParseDuration(flags["-timer-interval"])
	require.NoError(t, err)

	relay := &store.Relay{Outbox: s, Now: clock.Now, Logger: log, Interval: 500 * time.Millisecond, Observer: w.Observer(),
		Notifier: m.Notifier("log", complaint.NotifierFunc(func(ctx context.Context, n complaint.Notification) error {
			log.InfoContext(ctx, "notification delivered", "key", n.Key(), "topic", n.Topic, "recipient", n.Recipient)
			return nil
		}))}
	timers := &store.Timers{Store: s, Workflow: w, Now: clock.Now, Logger: log, Interval: interval}
	api, err := klagehttp.New(klagehttp.Options{Workflow: w, Store: s, Authenticator: klagehttp.Authenticators(auth...),
		CustomerTokenSecret: []byte(testSecret), Now: clock.Now, Logger: log,
		IntakeRate: rate.Limit(perMinute / 60), IntakeBurst: burst, RequestRate: rate.Inf,
		Ready:   func(ctx context.Context) error { return s.DB().PingContext(ctx) },
		Metrics: m, MetricsHandler: promhttp.HandlerFor(reg, promhttp.HandlerOpts{})})
	require.NoError(t, err)

	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "Eksempel A/S") })
	mux.HandleFunc("GET /about", func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "about the shop") })
	mux.Handle("/klage/", http.StripPrefix("/klage", api))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	var wg sync.WaitGroup
	wg.Go(func() { _ = srv.Serve(ln) })
	wg.Go(func() { _ = relay.Run(ctx) })
	wg.Go(func() { _ = timers.Run(ctx) })

	base := "http://" + ln.Addr().String()
	shop := &server{t: t, base: base + "/klage", prefix: "/klage", clock: clock, logs: logs}
	var once sync.Once
	shop.stop = func() {
		once.Do(func() {
			cancel()
			shutdown, done := context.WithTimeout(context.Background(), 10*time.Second)
			defer done()
			assert.NoError(t, srv.Shutdown(shutdown), "graceful shutdown")
			wg.Wait()
			assert.NoError(t, s.Close())
		})
	}
	t.Cleanup(shop.stop)

	// The shop's own routes answer beside the API's.
	resp, err := http.Get(base + "/about")
	require.NoError(t, err)
	body, _ := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	require.Equal(t, "about the shop", string(body))
	return shop
}
