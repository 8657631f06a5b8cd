package e2e

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"io"
	"mime"
	"mime/quotedprintable"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/klageflow/klage/complaint/complainttest"
	"github.com/klageflow/klage/e2e/internal/smtptest"
	"github.com/klageflow/klage/internal/klaged"
	"github.com/klageflow/klage/internal/promtest"
)

const webhookSecret = "whsec_c2VjcmV0LWtleS1vZi10aGUtdGVzdC1yZWNlaXZlcg=="

// hooks is a webhook receiver that checks every signature, from the
// Standard Webhooks specification.
type hooks struct {
	mu  sync.Mutex
	ids []string
	bad int
}

func (h *hooks) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	key, _ := base64.StdEncoding.DecodeString(strings.TrimPrefix(webhookSecret, "whsec_"))
	mac := hmac.New(sha256.New, key)
	_, _ = fmt.Fprintf(mac, "%s.%s.%s", r.Header.Get("webhook-id"), r.Header.Get("webhook-timestamp"), body)
	want := "v1," + base64.StdEncoding.EncodeToString(mac.Sum(nil))
	h.mu.Lock()
	defer h.mu.Unlock()
	if r.Header.Get("webhook-signature") != want {
		h.bad++
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	h.ids = append(h.ids, r.Header.Get("webhook-id"))
}

func (h *hooks) received() (ids []string, bad int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]string(nil), h.ids...), h.bad
}

// TestDeliveryByEmailAndWebhook runs the service with -smtp, -staff-email
// and -webhook against a real SMTP server and webhook receiver: the
// customer gets Danish e-mail, the Complaints Department its own, the
// webhook every notification signed, and no secret or address reaches
// the log.
func TestDeliveryByEmailAndWebhook(t *testing.T) {
	mail := smtptest.Start(t, "relay", "smtp-password-1")
	ca := filepath.Join(t.TempDir(), "ca.pem")
	require.NoError(t, os.WriteFile(ca, mail.CertPEM, 0o600))
	h := &hooks{}
	hook := httptest.NewServer(h)
	defer hook.Close()
	t.Setenv("KLAGE_SMTP_PASSWORD", "smtp-password-1")
	t.Setenv("KLAGE_WEBHOOK_SECRET", webhookSecret)
	s := start(t, filepath.Join(t.TempDir(), "klage.db"), complainttest.NewClock(time.Time{}),
		"-smtp", "smtp://relay@"+mail.Addr, "-smtp-require-tls", "-smtp-ca", ca, "-from", "Kundeservice <kundeservice@eksempel.dk>",
		"-staff-email", "complaints_department=klageafdeling@eksempel.dk", "-webhook", hook.URL+"/klage",
		"-public-url", "https://klage.eksempel.dk/")
	c := s.create()
	for _, body := range []map[string]any{
		{"event": "start"},
		{"event": "answer", "answer": map[string]any{"outcome": "rejected", "text": "Skaden skyldes et fald."}},
	} {
		status, _ := s.event(tokAgent, c.ID, body)
		require.Equal(t, http.StatusOK, status)
	}
	status, _ := s.event(c.CustomerToken, c.ID, map[string]any{"event": "escalate"})
	require.Equal(t, http.StatusOK, status)

	// acknowledged, started, final_answer, escalated to the customer and
	// to the Complaints Department.

	require.Eventually(t, func() bool {
		ids, _ := h.received()
		return len(mail.Messages()) >= 5 && len(ids) >= 5
	}, 20*time.Second, 50*time.Millisecond, "delivered by the relay: %d mails, logs %s", len(mail.Messages()), s.logs.String())
	ids, bad := h.received()
	assert.Zero(t, bad, "every webhook verifies")
	assert.Len(t, ids, 5)

	subjects := map[string]string{}
	for _, m := range mail.Messages() {
		assert.Equal(t, "relay", m.User)
		assert.True(t, m.TLS)
		msg, err := m.Parse()
		require.NoError(t, err)
		subject, err := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
		require.NoError(t, err)
		subjects[m.To[0]+" "+msg.Header.Get("X-Klage-Key")[len(c.ID):]] = subject
		body, err := io.ReadAll(msg.Body)
		require.NoError(t, err)
		// Every e-mail to the customer links to their page, and the link
		// opens it; staff get no such link.
		text, err := io.ReadAll(quotedprintable.NewReader(bytes.NewReader(body)))
		require.NoError(t, err)
		link := pageLink.FindSubmatch(text)
		if m.To[0] != "karen@example.dk" {
			assert.Nil(t, link, "no customer link in staff mail")
		} else if assert.NotNil(t, link, "the customer's page in %s", msg.Header.Get("X-Klage-Key")) {
			resp, err := http.Get(s.base + string(link[1]))
			require.NoError(t, err)
			page, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			assert.Equal(t, http.StatusOK, resp.StatusCode)
			assert.Contains(t, string(page), "<h1>Din klage "+c.ID+"</h1>")
		}
		if strings.Contains(msg.Header.Get("X-Klage-Key"), "final_answer") {
			assert.True(t, bytes.Contains(body, []byte("Forbrugerklagen=C3=A6vnet")), "the complaint bodies, in Danish")
		}
	}
	assert.Equal(t, map[string]string{
		"karen@example.dk /1/acknowledged/customer":                    "Vi har modtaget din henvendelse (" + c.ID + ")",
		"karen@example.dk /2/started/customer":                         "Vi arbejder på din sag (" + c.ID + ")",
		"karen@example.dk /3/final_answer/customer":                    "Vores svar på din klage (" + c.ID + ")",
		"karen@example.dk /4/escalated/customer":                       "Klageafdelingen har din sag (" + c.ID + ")",
		"klageafdeling@eksempel.dk /4/escalated/complaints_department": "Sag sendt til behandling i Klageafdelingen (" + c.ID + ")",
	}, subjects)

	// The walk shows in the metrics, scraped over HTTP and parsed, once
	// the relay has recorded every delivery.
	var f promtest.Families
	require.Eventually(t, func() bool {
		f = promtest.ScrapeAs(t, s.base+"/metrics", tokSystem)
		return f.At(t, "klage_outbox_pending") == 0
	}, 20*time.Second, 50*time.Millisecond)
	for _, e := range []string{"open", "start", "answer", "escalate"} {
		assert.Equal(t, 1.0, f.At(t, "klage_transitions_total", "event", e), e)
	}
	assert.Equal(t, 5.0, f.At(t, "klage_deliveries_total", "notifier", "email"))
	assert.Equal(t, 5.0, f.At(t, "klage_deliveries_total", "notifier", "webhook"))
	assert.Equal(t, 3.0, f.At(t, "klage_http_requests_total", "route", "POST /complaints/{id}/events", "status", "200"))
	assert.Equal(t, 1.0, f.At(t, "klage_open_complaints", "state", "escalated"))
	assert.Equal(t, 0.0, f.At(t, "klage_outbox_pending"))
	assert.Equal(t, 1.0, f.At(t, "klage_store_up"))

	logs := s.logs.String()
	for _, secret := range []string{"smtp-password-1", webhookSecret, "karen@example.dk", "Karen Jensen"} {
		assert.NotContains(t, logs, secret)
	}
}

// pageLink finds the customer's link in an e-mail (-public-url).
var pageLink = regexp.MustCompile(`https://klage\.eksempel\.dk(/case/[A-Za-z0-9._~%-]+)`)

func TestDeliveryFlagsRefused(t *testing.T) {
	daemonOnly(t)
	dsn := filepath.Join(t.TempDir(), "klage.db")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-smtp", "smtp://127.0.0.1:2525"}, "-from"},
		{[]string{"-smtp", "ftp://127.0.0.1", "-from", "a@b.dk"}, "scheme"},
		{[]string{"-webhook", "https://hooks.example/klage"}, "KLAGE_WEBHOOK_SECRET"},
		{[]string{"-public-url", "klage.eksempel.dk"}, "-public-url"},
		{[]string{"-public-url", "https://klage.eksempel.dk/?a=1"}, "-public-url"},
		{[]string{"-staff-email", "customer=a@b.dk"}, "staff role"},
		{[]string{"-staff-email", "complaints_department=nope"}, "address"},
		{[]string{"-smtp", "smtp://127.0.0.1:2525", "-from", "a@b.dk", "-smtp-ca", "/nonexistent.pem"}, "-smtp-ca"},
	} {
		var logs bytes.Buffer
		err := klaged.Run(context.Background(), append([]string{"-addr", "127.0.0.1:0", "-dsn", dsn}, tc.args...), &logs, nil)
		require.Error(t, err, tc.args)
		assert.Contains(t, err.Error()+logs.String(), tc.want)
	}
}
