package klaged

import (
	"net"
	"net/http"
	"sync"
	"time"
)

// connGuard is a listener that bounds the connections it serves: at most
// max at once, and at most perClient from one client address. At either
// bound it makes room by closing a connection that is doing nothing (idle
// between keep-alive requests, or accepted and silent for a moment), the
// one idle longest, the client's own first; only when every connection is
// busy does the new one wait. So a client holding thousands of idle
// connections, or a thousand clients polling now and then, cannot keep a
// new client or a health probe out. Its ConnState method must be the
// http.Server's ConnState.
type connGuard struct {
	net.Listener
	max, perClient int
	now            func() time.Time

	mu     sync.Mutex
	conns  map[net.Conn]*connInfo
	byAddr map[string]int
}

// connInfo is what the guard knows of one connection.
type connInfo struct {
	addr  string
	state http.ConnState
	since time.Time // when it entered state
}

// silentNew is how long a new connection may send nothing before the
// guard counts it as idle.
const silentNew = time.Second

func newConnGuard(ln net.Listener, limit, perClient int) *connGuard {
	return &connGuard{Listener: ln, max: limit, perClient: perClient, now: time.Now,
		conns: map[net.Conn]*connInfo{}, byAddr: map[string]int{}}
}

// Accept accepts the next connection and makes room for it: when every
// connection that counts against a bound is busy, it waits for one to
// finish or fall idle (as a listener with a plain cap would), checking
// every waitStep.
func (g *connGuard) Accept() (net.Conn, error) {
	c, err := g.Listener.Accept()
	if err != nil {
		return nil, err
	}
	addr := hostOf(c.RemoteAddr())
	for {
		g.mu.Lock()
		ok := g.byAddr[addr] < g.perClient || g.evict(addr)
		ok = ok && (len(g.conns) < g.max || g.evict(""))
		if ok {
			g.conns[c] = &connInfo{addr: addr, state: http.StateNew, since: g.now()}
			g.byAddr[addr]++
			g.mu.Unlock()
			return c, nil
		}
		g.mu.Unlock()
		time.Sleep(waitStep)
	}
}

// waitStep is how often a waiting Accept looks for room again.
const waitStep = 50 * time.Millisecond

// evict closes the connection idle longest (of addr, or of anyone when
// addr is empty) and reports whether there was one. g.mu is held.
func (g *connGuard) evict(addr string) bool {
	var (
		oldest net.Conn
		since  time.Time
	)
	now := g.now()
	for c, info := range g.conns {
		idle := info.state == http.StateIdle || (info.state == http.StateNew && now.Sub(info.since) >= silentNew)
		if !idle || (addr != "" && info.addr != addr) {
			continue
		}
		if oldest == nil || info.since.Before(since) {
			oldest, since = c, info.since
		}
	}
	if oldest == nil {
		return false
	}
	g.forget(oldest)
	_ = oldest.Close()
	return true
}

// forget drops c from the books. g.mu is held.
func (g *connGuard) forget(c net.Conn) {
	info, ok := g.conns[c]
	if !ok {
		return
	}
	delete(g.conns, c)
	if g.byAddr[info.addr]--; g.byAddr[info.addr] <= 0 {
		delete(g.byAddr, info.addr)
	}
}

// ConnState follows each connection's state, for http.Server.ConnState.
func (g *connGuard) ConnState(c net.Conn, state http.ConnState) {
	g.mu.Lock()
	defer g.mu.Unlock()
	switch state {
	case http.StateClosed, http.StateHijacked:
		g.forget(c)
	default:
		if info, ok := g.conns[c]; ok {
			info.state, info.since = state, g.now()
		}
	}
}

// hostOf is the client's address without its port.
func hostOf(a net.Addr) string {
	if tcp, ok := a.(*net.TCPAddr); ok {
		return tcp.IP.String()
	}
	host, _, err := net.SplitHostPort(a.String())
	if err != nil {
		return a.String()
	}
	return host
}
