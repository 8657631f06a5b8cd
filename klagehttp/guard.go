package klagehttp

import (
	"crypto/rand"
	"encoding/hex"
	"net"
	"net/http"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// limiters keeps one rate limiter per client address. It forgets
// addresses that have been quiet for ten minutes.
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

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // never fails
	return hex.EncodeToString(b)
}
