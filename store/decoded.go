package store

import (
	"sync"
	"time"

	"github.com/klageflow/klage/complaint"
)

// The decoded cache's bounds: how many complaints it keeps, and for how
// long after this process last read or wrote one.
const (
	decodedMax = 1024
	decodedTTL = 30 * time.Second
)

// decodedCache remembers, for the complaints this store read or wrote in
// the last decodedTTL, the stored JSON of each one's row and the snapshot
// it decodes to, so that loading a row that has not changed since does
// not decode the JSON again: a request that reads a complaint and then
// fires an event on it, or fires and then reads it back, decodes it once.
//
// A hit needs the row's JSON to be byte for byte the one remembered, so a
// change by another process or replica, or by anything else, is never
// missed: it is decoded, and replaces the entry. The snapshots hold no
// contact details (the row's JSON has none). Erasing a complaint in this
// store forgets it at once, and an entry is dropped decodedTTL after its
// last use, so that erased texts do not linger in memory. It is safe for
// concurrent use; the snapshots in it are never changed, and
// [complaint.Workflow.Restore] copies what it takes from them.
type decodedCache struct {
	mu    sync.Mutex
	items map[string]decodedEntry
	sweep *time.Timer      // drops the entries past decodedTTL; nil while the cache is empty
	hits  int              // for tests
	clock func() time.Time // time.Now when nil; tests set it
}

func (dc *decodedCache) now() time.Time {
	if dc.clock != nil {
		return dc.clock()
	}
	return time.Now()
}

type decodedEntry struct {
	data string
	snap complaint.Snapshot
	used time.Time
}

// expired reports whether e was last used decodedTTL or more before now.
func (e decodedEntry) expired(now time.Time) bool { return now.Sub(e.used) >= decodedTTL }

// get returns the snapshot that data, complaint id's stored JSON, decodes
// to, if the cache holds it.
func (dc *decodedCache) get(id, data string) (complaint.Snapshot, bool) {
	dc.mu.Lock()
	defer dc.mu.Unlock()
	e, ok := dc.items[id]
	now := dc.now()
	if !ok || e.data != data || e.expired(now) {
		return complaint.Snapshot{}, false
	}
	e.used = now
	dc.items[id] = e
	dc.hits++
	return e.snap, true
}

// put remembers that data, complaint id's stored JSON, decodes to snap.
// Nothing else may hold snap's slices and pointers.
func (dc *decodedCache) put(id, data string, snap complaint.Snapshot) {
	dc.mu.Lock()
	defer dc.mu.Unlock()
	now := dc.now()
	if dc.items == nil {
		dc.items = map[string]decodedEntry{}
	}
	if dc.sweep == nil {
		dc.sweep = time.AfterFunc(decodedTTL, dc.expire)
	}
	if _, ok := dc.items[id]; !ok && len(dc.items) >= decodedMax {
		dc.dropExpired(now)
		for k := range dc.items { // still full: drop one, the map picks which
			if len(dc.items) < decodedMax {
				break
			}
			delete(dc.items, k)
		}
	}
	dc.items[id] = decodedEntry{data: data, snap: snap, used: now}
}

// dropExpired drops the entries not used for decodedTTL; dc.mu is held.
func (dc *decodedCache) dropExpired(now time.Time) {
	for k, e := range dc.items {
		if e.expired(now) {
			delete(dc.items, k)
		}
	}
}

// expire runs decodedTTL after the first entry and then every decodedTTL
// while the cache holds anything.
func (dc *decodedCache) expire() {
	dc.mu.Lock()
	defer dc.mu.Unlock()
	if dc.sweep == nil {
		return // closed
	}
	dc.dropExpired(dc.now())
	if len(dc.items) > 0 {
		dc.sweep.Reset(decodedTTL)
		return
	}
	dc.sweep = nil
}

// close empties the cache and stops its timer.
func (dc *decodedCache) close() {
	dc.mu.Lock()
	defer dc.mu.Unlock()
	if dc.sweep != nil {
		dc.sweep.Stop()
		dc.sweep = nil
	}
	dc.items = nil
}

// forget drops complaint id.
func (dc *decodedCache) forget(id string) {
	dc.mu.Lock()
	delete(dc.items, id)
	dc.mu.Unlock()
}
