package klagehttp

import (
	"crypto/rand"
	"encoding/hex"
	"net"
	"net/http"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/klageflow/klage/glossary"
)

// limiters keeps one rate limiter per client (an address, or a
// credential's actor). It forgets clients that have been quiet for ten
// minutes.
type limiters struct {
	mu    sync.Mutex
	limit rate.Limit
	burst int
	by    map[string]*limiterEntry
	swept time.Time
}

type limiterEntry struct {
	l    *rate.Limiter
	seen time.Time
}

func newLimiters(limit rate.Limit, burst int) *limiters {
	return &limiters{limit: limit, burst: burst, by: map[string]*limiterEntry{}}
}

// allow reports whether a request from addr may go ahead at now.
func (ls *limiters) allow(addr string, now time.Time) bool {
	ls.mu.Lock()
	defer ls.mu.Unlock()
	if now.Sub(ls.swept) > 10*time.Minute {
		for a, e := range ls.by {
			if now.Sub(e.seen) > 10*time.Minute {
				delete(ls.by, a)
			}
		}
		ls.swept = now
	}
	e := ls.by[addr]
	if e == nil {
		e = &limiterEntry{l: rate.NewLimiter(ls.limit, ls.burst)}
		ls.by[addr] = e
	}
	e.seen = now
	return e.l.AllowN(now, 1)
}

// clientAddr is the address a request came from (not a header it claims).
func clientAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// clientKey is who a request counts against for its client's limits: the
// credential's actor, or the address without one.
func clientKey(r *http.Request, p *Principal) string {
	if p != nil {
		return "p:" + string(p.Actor.Role) + ":" + glossary.NormalID(p.Actor.ID)
	}
	return "a:" + clientAddr(r)
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // never fails
	return hex.EncodeToString(b)
}
