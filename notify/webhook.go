package notify

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/klageflow/klage/complaint"
)

// WebhookOptions configure a [Webhook] notifier.
type WebhookOptions struct {
	// URL receives the POSTs. It must be https, or http to a loopback
	// address (127.0.0.1, ::1, localhost) for a receiver on the same
	// machine.
	URL string
	// Secret signs every request: "whsec_" and the base64 of 24 to 64
	// random bytes, as the Standard Webhooks specification gives it. Keep
	// it out of source code and logs (the example service reads it from
	// KLAGE_WEBHOOK_SECRET).
	Secret string
	// Timeout bounds one delivery, with the context's own deadline; 0
	// means DefaultTimeout.
	Timeout time.Duration
	// Client sends the requests; nil means a client of its own. Give one
	// to trust a private certificate authority.
	Client *http.Client
	// Now is the clock of webhook-timestamp; nil means time.Now.
	Now func() time.Time
}

// Webhook delivers notifications as signed HTTP POSTs, per the Standard
// Webhooks specification (https://www.standardwebhooks.com): the body is
// the notification's JSON (its key included), and the headers are
// webhook-id (the notification's idempotency key, the same on every
// attempt, so a receiver drops duplicates by it), webhook-timestamp (Unix
// seconds) and webhook-signature ("v1," and the base64 HMAC-SHA256 of
// "id.timestamp.body" under the secret). Any answer but a 2xx is a
// failure, which the relay retries with backoff. It is safe for concurrent
// use.
type Webhook struct {
	url    string
	key    []byte
	opts   WebhookOptions
	client *http.Client
}

var _ complaint.Notifier = (*Webhook)(nil)

// NewWebhook checks the options and returns the notifier.
func NewWebhook(opts WebhookOptions) (*Webhook, error) {
	u, err := url.Parse(opts.URL)
	if err != nil || u.Host == "" {
		return nil, errors.New("notify: webhook: the URL does not parse")
	}
	switch {
	case u.Scheme == "https":
	case u.Scheme == "http" && loopback(u.Hostname()):
	default:
		return nil, fmt.Errorf("notify: webhook: the URL must be https (or http to a loopback address), not %s://%s", u.Scheme, u.Host)
	}
	encoded, ok := strings.CutPrefix(opts.Secret, "whsec_")
	if !ok {
		return nil, errors.New(`notify: webhook: the secret must start with "whsec_"`)
	}
	key, err := base64.StdEncoding.DecodeString(encoded)
	if err != nil || len(key) < 24 || len(key) > 64 {
		return nil, errors.New("notify: webhook: the secret must be the base64 of 24 to 64 bytes")
	}
	w := &Webhook{url: u.String(), key: key, opts: opts, client: opts.Client}
	if w.client == nil {
		w.client = &http.Client{}
	}
	return w, nil
}

func loopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Sign returns the webhook-signature of body sent as message id at
// timestamp ts (Unix seconds) under the secret's key: "v1," and the
// base64 HMAC-SHA256 of "id.ts.body".
func (w *Webhook) Sign(id string, ts int64, body []byte) string {
	mac := hmac.New(sha256.New, w.key)
	mac.Write([]byte(id + "." + strconv.FormatInt(ts, 10) + "."))
	mac.Write(body)
	return "v1," + base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// StatusError is a receiver's answer other than 2xx.
type StatusError struct {
	Key    string
	Status int
}

// Error implements error.
func (e *StatusError) Error() string {
	return fmt.Sprintf("notify: webhook %s: the receiver answered %d %s", e.Key, e.Status, http.StatusText(e.Status))
}

// Notify POSTs n, signed.
func (w *Webhook) Notify(ctx context.Context, n complaint.Notification) error {
	key := n.Key()
	body, err := json.Marshal(n)
	if err != nil {
		return fmt.Errorf("notify: webhook %s: %w", key, err)
	}
	timeout := w.opts.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.url, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("notify: webhook %s: %w", key, err)
	}
	now := time.Now
	if w.opts.Now != nil {
		now = w.opts.Now
	}
	ts := now().Unix()
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "klage")
	req.Header.Set("webhook-id", key)
	req.Header.Set("webhook-timestamp", strconv.FormatInt(ts, 10))
	req.Header.Set("webhook-signature", w.Sign(key, ts, body))
	resp, err := w.client.Do(req)
	if err != nil {
		var uerr *url.Error
		if errors.As(err, &uerr) {
			err = uerr.Err // without the URL, which may carry a token
		}
		return fmt.Errorf("notify: webhook %s: %w", key, err)
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10)) // let the connection be reused
	_ = resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return &StatusError{Key: key, Status: resp.StatusCode}
	}
	return nil
}
