package klagehttp

import (
	"context"
	"crypto"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/go-jose/go-jose/v4"
	"golang.org/x/time/rate"
)

// minKeyRefresh is the least time between two fetches of a remote key
// set: a flood of tokens with bad signatures (or unknown key ids) costs
// the issuer one fetch a minute, not one each.
const minKeyRefresh = time.Minute

// cachedKeySet is an oidc.KeySet over a remote JWKS: it verifies with the
// keys it has, and fetches the set again only when a signature does not
// verify and it has not fetched within minKeyRefresh. Parsing and
// verification are go-jose's and go-oidc's (oidc.StaticKeySet). It is safe
// for concurrent use.
type cachedKeySet struct {
	url    string
	client *http.Client

	mu      sync.Mutex // one fetch at a time
	keys    *oidc.StaticKeySet
	refresh *rate.Limiter
	fetches int // for tests
}

func newCachedKeySet(url string) *cachedKeySet {
	return &cachedKeySet{url: url, client: &http.Client{Timeout: 10 * time.Second},
		keys: &oidc.StaticKeySet{}, refresh: rate.NewLimiter(rate.Every(minKeyRefresh), 1)}
}

// VerifySignature implements oidc.KeySet.
func (ks *cachedKeySet) VerifySignature(ctx context.Context, jwt string) ([]byte, error) {
	ks.mu.Lock()
	keys := ks.keys
	ks.mu.Unlock()
	payload, err := keys.VerifySignature(ctx, jwt)
	if err == nil {
		return payload, nil
	}
	keys, fetched, ferr := ks.update(ctx, keys)
	if ferr != nil {
		return nil, ferr
	}
	if !fetched {
		return nil, err // the keys are fresh enough: the signature does not hold
	}
	return keys.VerifySignature(ctx, jwt)
}

// update fetches the key set again if the limiter allows and nobody did
// since seen was current, and returns the keys to verify with and whether
// they are new.
func (ks *cachedKeySet) update(ctx context.Context, seen *oidc.StaticKeySet) (*oidc.StaticKeySet, bool, error) {
	ks.mu.Lock()
	defer ks.mu.Unlock()
	if ks.keys != seen {
		return ks.keys, true, nil // another request fetched meanwhile
	}
	if !ks.refresh.Allow() {
		return ks.keys, false, nil
	}
	ks.fetches++
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, ks.url, nil)
	if err != nil {
		return nil, false, err
	}
	resp, err := ks.client.Do(req)
	if err != nil {
		return nil, false, fmt.Errorf("fetching the key set: %w", err)
	}
	defer func() { _ = resp.Body.Close() }()
	if resp.StatusCode != http.StatusOK {
		return nil, false, fmt.Errorf("fetching the key set: %s", resp.Status)
	}
	var set jose.JSONWebKeySet
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&set); err != nil {
		return nil, false, fmt.Errorf("decoding the key set: %w", err)
	}
	next := &oidc.StaticKeySet{}
	for _, k := range set.Keys {
		if k.Use == "" || k.Use == "sig" {
			next.PublicKeys = append(next.PublicKeys, crypto.PublicKey(k.Key))
		}
	}
	if len(next.PublicKeys) == 0 {
		return nil, false, errors.New("the key set has no signing keys")
	}
	ks.keys = next
	return next, true, nil
}
