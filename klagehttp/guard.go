package klagehttp

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// strictJSON refuses a JSON document with a duplicate key in an object,
// counting keys that differ only in case as duplicates (encoding/json
// would match them to the same field, the last one silently winning).
func strictJSON(data []byte) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var walk func() error
	walk = func() error {
		tok, err := dec.Token()
		if err != nil {
			return err
		}
		switch tok {
		case json.Delim('{'):
			seen := map[string]bool{}
			for dec.More() {
				k, err := dec.Token()
				if err != nil {
					return err
				}
				key := strings.ToLower(k.(string))
				if seen[key] {
					return fmt.Errorf("the key %q appears twice (keys are matched without regard to case)", k)
				}
				seen[key] = true
				if err := walk(); err != nil {
					return err
				}
			}
			_, err = dec.Token() // '}'
			return err
		case json.Delim('['):
			for dec.More() {
				if err := walk(); err != nil {
					return err
				}
			}
			_, err = dec.Token() // ']'
			return err
		}
		return nil
	}
	if err := walk(); err != nil {
		return fmt.Errorf("malformed JSON body: %w", err)
	}
	return nil
}

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
