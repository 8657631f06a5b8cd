package notify_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/klageflow/klage/complaint"
	"github.com/klageflow/klage/glossary"
	"github.com/klageflow/klage/internal/notifytest"
	"github.com/klageflow/klage/notify"
)

// The Standard Webhooks specification's published test vector.
const (
	specSecret    = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	specID        = "msg_p5jXN8AQM9LWM0D4loKWxJek"
	specTimestamp = 1614265330
	specBody      = `{"test": 2432232314}`
	specSignature = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
)

// verify checks a request as a receiver does, written from the
// specification and independent of the notifier's code: the secret's key
// is the base64 after "whsec_"; the signed content is id.timestamp.body;
// webhook-signature is a space-separated list of "v1,<base64>", any of
// which may match; the timestamp must be within five minutes of now.
func verify(secret string, h http.Header, body []byte, now time.Time) error {
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
	if err != nil {
		return err
	}
	id, ts := h.Get("webhook-id"), h.Get("webhook-timestamp")
	if id == "" || ts == "" {
		return errors.New("missing headers")
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return err
	}
	if d := now.Sub(time.Unix(sec, 0)); d > 5*time.Minute || d < -5*time.Minute {
		return errors.New("timestamp out of tolerance")
	}
	mac := hmac.New(sha256.New, key)
	_, _ = fmt.Fprintf(mac, "%s.%s.%s", id, ts, body)
	want := mac.Sum(nil)
	for _, sig := range strings.Fields(h.Get("webhook-signature")) {
		version, value, ok := strings.Cut(sig, ",")
		if !ok || version != "v1" {
			continue
		}
		got, err := base64.StdEncoding.DecodeString(value)
		if err == nil && hmac.Equal(got, want) {
			return nil
		}
	}
	return errors.New("no matching signature")
}

func TestVerifierAgreesWithTheSpecification(t *testing.T) {
	h := http.Header{}
	h.Set("webhook-id", specID)
	h.Set("webhook-timestamp", strconv.Itoa(specTimestamp))
	h.Set("webhook-signature", "v1,bm9wZQ== "+specSignature)
	at := time.Unix(specTimestamp, 0)
	require.NoError(t, verify(specSecret, h, []byte(specBody), at))
	assert.Error(t, verify(specSecret, h, []byte(specBody+" "), at), "a changed body")
	assert.Error(t, verify(specSecret, h, []byte(specBody), at.Add(10*time.Minute)), "too old")
}

func TestWebhookSignsPerTheSpecification(t *testing.T) {
	w, err := notify.NewWebhook(notify.WebhookOptions{URL: "https://hooks.example/klage", Secret: specSecret})
	require.NoError(t, err)
	assert.Equal(t, specSignature, w.Sign(specID, specTimestamp, []byte(specBody)))
}

// receiver is a webhook endpoint over real HTTP on 127.0.0.1.
type receiver struct {
	mu     sync.Mutex
	got    []request
	status []int // answers to give, in order; then 204
}

type request struct {
	header http.Header
	body   []byte
}

func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	rc.mu.Lock()
	rc.got = append(rc.got, request{r.Header.Clone(), b})
	status := http.StatusNoContent
	if len(rc.status) > 0 {
		status, rc.status = rc.status[0], rc.status[1:]
	}
	rc.mu.Unlock()
	w.WriteHeader(status)
}

func (rc *receiver) requests() []request {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]request(nil), rc.got...)
}

const testSecret = "whsec_c2VjcmV0LWtleS1vZi10aGUtdGVzdC1yZWNlaXZlcg=="

func TestWebhookDelivers(t *testing.T) {
	rc := &receiver{status: []int{http.StatusInternalServerError}}
	srv := httptest.NewServer(rc)
	defer srv.Close()
	w, err := notify.NewWebhook(notify.WebhookOptions{URL: srv.URL + "/hooks/klage", Secret: testSecret})
	require.NoError(t, err)
	n := notifytest.Find(t, complaint.Consumer, glossary.English, complaint.TopicEscalated, glossary.ComplaintsDepartment)

	err = w.Notify(context.Background(), n)
	var se *notify.StatusError
	require.ErrorAs(t, err, &se, "a 500 is a failure the relay retries")
	assert.Equal(t, http.StatusInternalServerError, se.Status)
	require.NoError(t, w.Notify(context.Background(), n))

	got := rc.requests()
	require.Len(t, got, 2)
	for _, r := range got {
		require.NoError(t, verify(testSecret, r.header, r.body, time.Now()))
		assert.Equal(t, n.Key(), r.header.Get("webhook-id"), "the same id on every attempt")
		assert.Equal(t, "application/json", r.header.Get("Content-Type"))
		var back complaint.Notification
		require.NoError(t, json.Unmarshal(r.body, &back), "the body is the notification, its key checked")
		assert.Equal(t, n.Key(), back.Key())
		assert.Equal(t, n.Data.Description, back.Data.Description)
	}
}

func TestWebhookTimeout(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	defer srv.Close()
	defer close(release)
	w, err := notify.NewWebhook(notify.WebhookOptions{URL: srv.URL, Secret: testSecret, Timeout: 200 * time.Millisecond})
	require.NoError(t, err)
	err = w.Notify(context.Background(), notifytest.Find(t, complaint.Consumer, glossary.English, complaint.TopicStarted, glossary.Customer))
	require.ErrorIs(t, err, context.DeadlineExceeded)
	assert.NotContains(t, err.Error(), srv.URL, "no URL (which may carry a token) in the error")
}

func TestNewWebhookRefusesBadOptions(t *testing.T) {
	for _, o := range []notify.WebhookOptions{
		{URL: "http://hooks.example/klage", Secret: testSecret},
		{URL: "ftp://127.0.0.1/klage", Secret: testSecret},
		{URL: "not a url", Secret: testSecret},
		{URL: "https://hooks.example/klage", Secret: "c2VjcmV0"},
		{URL: "https://hooks.example/klage", Secret: "whsec_!!!"},
		{URL: "https://hooks.example/klage", Secret: "whsec_c2hvcnQ="},
	} {
		_, err := notify.NewWebhook(o)
		require.Error(t, err, o.URL)
		assert.True(t, strings.HasPrefix(err.Error(), "notify: webhook: "), err.Error())
		assert.NotContains(t, err.Error(), o.Secret)
	}
	for _, u := range []string{"http://127.0.0.1:8080/x", "http://[::1]:8080/x", "http://localhost/x", "https://hooks.example/x"} {
		_, err := notify.NewWebhook(notify.WebhookOptions{URL: u, Secret: testSecret})
		assert.NoError(t, err, u)
	}
}

func httptestServer(t testing.TB, h http.Handler) string {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv.URL
}
