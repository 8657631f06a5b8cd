package notify_test

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/klageflow/klage/complaint"
	"github.com/klageflow/klage/e2e/internal/smtptest"
	"github.com/klageflow/klage/glossary"
	"github.com/klageflow/klage/internal/notifytest"
	"github.com/klageflow/klage/notify"
)

const (
	smtpUser     = "relay"
	smtpPassword = "s3cret-pa55"
	department   = "klageafdeling@eksempel.dk"
)

func newEmail(t testing.TB, srv *smtptest.Server, configure func(*notify.EmailOptions)) *notify.Email {
	t.Helper()
	opts := notify.EmailOptions{
		URL:           "smtp://" + smtpUser + ":" + smtpPassword + "@" + srv.Addr,
		RequireTLS:    true,
		From:          "Kundeservice <kundeservice@eksempel.dk>",
		Renderer:      renderer(t, notify.RendererOptions{}),
		Staff:         map[glossary.Role]string{glossary.ComplaintsDepartment: department},
		Manufacturers: map[string]string{"Lenovo": "support@lenovo.example"},
	}
	opts.TLSConfig = tlsConfig(srv)
	if configure != nil {
		configure(&opts)
	}
	e, err := notify.NewEmail(opts)
	require.NoError(t, err)
	return e
}

// received is an e-mail as the receiving side reads it.
type received struct {
	header  mail.Header
	subject string
	parts   map[string]string // content type → decoded content
}

func read(t testing.TB, m smtptest.Message) received {
	t.Helper()
	msg, err := m.Parse()
	require.NoError(t, err)
	subject, err := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
	require.NoError(t, err)
	r := received{header: msg.Header, subject: subject, parts: map[string]string{}}
	mediaType, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	require.NoError(t, err)
	require.Equal(t, "multipart/alternative", mediaType)
	mr := multipart.NewReader(msg.Body, params["boundary"])
	for {
		p, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		require.NoError(t, err)
		var body io.Reader = p
		if p.Header.Get("Content-Transfer-Encoding") == "quoted-printable" {
			body = quotedprintable.NewReader(p)
		}
		b, err := io.ReadAll(body)
		require.NoError(t, err)
		ct, _, err := mime.ParseMediaType(p.Header.Get("Content-Type"))
		require.NoError(t, err)
		r.parts[ct] = strings.ReplaceAll(string(b), "\r\n", "\n")
	}
	return r
}

// TestEmailDelivers sends a Danish consumer's final answer through a real
// SMTP server: over STARTTLS, authenticated, to the customer's address,
// with the subject, both parts and the Message-ID the notification gives.
func TestEmailDelivers(t *testing.T) {
	srv := smtptest.Start(t, smtpUser, smtpPassword)
	e := newEmail(t, srv, nil)
	n := notifytest.Find(t, complaint.Consumer, glossary.Danish, complaint.TopicFinalAnswer, glossary.Customer)
	require.NoError(t, e.Notify(context.Background(), n))

	msgs := srv.Messages()
	require.Len(t, msgs, 1)
	m := msgs[0]
	assert.True(t, m.TLS, "STARTTLS, which the server offers")
	assert.Equal(t, smtpUser, m.User)
	assert.Equal(t, "kundeservice@eksempel.dk", m.From)
	assert.Equal(t, []string{n.Data.Customer.Email}, m.To)

	want, err := renderer(t, notify.RendererOptions{}).Render(n)
	require.NoError(t, err)
	got := read(t, m)
	assert.Equal(t, want.Subject, got.subject)
	assert.Equal(t, "<"+notify.MessageID(n.Key(), "eksempel.dk")+">", got.header.Get("Message-ID"))
	assert.Equal(t, "da", got.header.Get("Content-Language"))
	assert.Equal(t, "auto-generated", got.header.Get("Auto-Submitted"))
	assert.Equal(t, strings.TrimSpace(want.Text), strings.TrimSpace(got.parts["text/plain"]))
	assert.Equal(t, strings.TrimSpace(want.HTML), strings.TrimSpace(got.parts["text/html"]))
	assert.Contains(t, got.parts["text/plain"], "Forbrugerklagenævnet")
}

func TestEmailStaffAddresses(t *testing.T) {
	srv := smtptest.Start(t, smtpUser, smtpPassword)
	e := newEmail(t, srv, nil)
	ctx := context.Background()
	require.NoError(t, e.Notify(ctx, notifytest.Find(t, complaint.Consumer, glossary.English, complaint.TopicEscalated, glossary.ComplaintsDepartment)))
	require.NoError(t, e.Notify(ctx, notifytest.Find(t, complaint.Consumer, glossary.English, complaint.TopicReferred, glossary.Manufacturer)))
	msgs := srv.Messages()
	require.Len(t, msgs, 2)
	assert.Equal(t, []string{department}, msgs[0].To)
	assert.Equal(t, []string{"support@lenovo.example"}, msgs[1].To)
	assert.Equal(t, "da", read(t, msgs[0]).header.Get("Content-Language"), "staff get the staff language")

	// Nobody to write to: permanent, and nothing is sent.
	reminder := notifytest.Find(t, complaint.Consumer, glossary.English, complaint.TopicReminder, glossary.CustomerService)
	err := e.Notify(ctx, reminder)
	require.ErrorIs(t, err, notify.ErrNoAddress)
	var permanent interface{ Permanent() bool }
	require.ErrorAs(t, err, &permanent)
	assert.True(t, permanent.Permanent())
	byPhone := notifytest.Find(t, complaint.Consumer, glossary.English, complaint.TopicStarted, glossary.Customer)
	byPhone.Data.Customer.Email = ""
	require.ErrorIs(t, e.Notify(ctx, byPhone), notify.ErrNoAddress)
	assert.Len(t, srv.Messages(), 2)
}

// TestEmailRetrySameMessageID: a server that refuses for a while makes
// Notify fail (temporarily, with no address or password in the error);
// the next attempt delivers the same message with the same Message-ID.
func TestEmailRetrySameMessageID(t *testing.T) {
	srv := smtptest.Start(t, smtpUser, smtpPassword)
	e := newEmail(t, srv, nil)
	n := notifytest.Find(t, complaint.Consumer, glossary.English, complaint.TopicStarted, glossary.Customer)
	srv.Refuse(1)
	err := e.Notify(context.Background(), n)
	require.Error(t, err)
	var permanent interface{ Permanent() bool }
	assert.False(t, errors.As(err, &permanent), "a 451 is worth a retry")
	assert.NotContains(t, err.Error(), n.Data.Customer.Email)
	assert.NotContains(t, err.Error(), smtpPassword)
	assert.True(t, strings.HasPrefix(err.Error(), "notify: e-mail "+n.Key()), err.Error())
	require.NoError(t, e.Notify(context.Background(), n))
	require.NoError(t, e.Notify(context.Background(), n), "a duplicate delivery")
	msgs := srv.Messages()
	require.Len(t, msgs, 2)
	assert.Equal(t, read(t, msgs[0]).header.Get("Message-ID"), read(t, msgs[1]).header.Get("Message-ID"))
	assert.Equal(t, 1, srv.Refused())
}

func TestEmailWrongPasswordFails(t *testing.T) {
	srv := smtptest.Start(t, smtpUser, smtpPassword)
	e := newEmail(t, srv, func(o *notify.EmailOptions) { o.URL = "smtp://" + smtpUser + ":wrong-password@" + srv.Addr })
	err := e.Notify(context.Background(), notifytest.Find(t, complaint.Consumer, glossary.English, complaint.TopicStarted, glossary.Customer))
	require.Error(t, err)
	assert.NotContains(t, err.Error(), "wrong-password")
	assert.Empty(t, srv.Messages())
}

// TestEmailTimeoutFromContext: a server that accepts the connection and
// never speaks does not hold Notify past its context.
func TestEmailTimeoutFromContext(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer func() { _ = ln.Close() }()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			defer func() { _ = c.Close() }() // held open, silent
		}
	}()
	e, err := notify.NewEmail(notify.EmailOptions{URL: "smtp://" + ln.Addr().String(), From: "kundeservice@eksempel.dk"})
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	err = e.Notify(ctx, notifytest.Find(t, complaint.Consumer, glossary.English, complaint.TopicStarted, glossary.Customer))
	require.Error(t, err)
}

func TestNewEmailRefusesBadOptions(t *testing.T) {
	for _, o := range []notify.EmailOptions{
		{URL: "http://127.0.0.1:25", From: "a@b.dk"},
		{URL: "smtp://", From: "a@b.dk"},
		{URL: "smtp://127.0.0.1:99999", From: "a@b.dk"},
		{URL: "smtp://127.0.0.1:25", From: "not an address"},
		{URL: "smtp://127.0.0.1:25", From: "a@b.dk", Staff: map[glossary.Role]string{glossary.ComplaintsDepartment: "nope"}},
		{URL: "smtp://127.0.0.1:25", From: "a@b.dk", Manufacturers: map[string]string{"Lenovo": "nope"}},
		{URL: "::", From: "a@b.dk"},
	} {
		_, err := notify.NewEmail(o)
		require.Error(t, err, o.URL)
		assert.True(t, strings.HasPrefix(err.Error(), "notify: "), err.Error())
	}
}

func TestMessageID(t *testing.T) {
	assert.Equal(t, "K-0001=2F3=2Ffinal_answer=2Fcustomer@eksempel.dk", notify.MessageID("K-0001/3/final_answer/customer", "eksempel.dk"))
	assert.NotEqual(t, notify.MessageID("a/b", "x"), notify.MessageID("a.b", "x"), "different keys, different ids")
	_, err := mail.ParseAddress(notify.MessageID("K 1/2/é<>/customer", "eksempel.dk"))
	assert.NoError(t, err, "a valid addr-spec whatever the key holds")
}

func tlsConfig(srv *smtptest.Server) *tls.Config {
	return &tls.Config{RootCAs: srv.RootCAs, MinVersion: tls.VersionTLS12}
}

// TestEmailNoSecretsInTheClear: against a server that offers no TLS, the
// password is never sent (no mechanism that would reveal it is chosen),
// and RequireTLS refuses to send at all.
func TestEmailNoSecretsInTheClear(t *testing.T) {
	srv := smtptest.StartPlain(t, smtpUser, smtpPassword)
	n := notifytest.Find(t, complaint.Consumer, glossary.English, complaint.TopicStarted, glossary.Customer)
	e := newEmail(t, srv, func(o *notify.EmailOptions) { o.RequireTLS = false })
	require.Error(t, e.Notify(context.Background(), n))
	e = newEmail(t, srv, func(o *notify.EmailOptions) { o.URL = "smtp://" + srv.Addr })
	require.Error(t, e.Notify(context.Background(), n), "RequireTLS and no STARTTLS offered")
	assert.Empty(t, srv.Messages())

	// Without a user and without RequireTLS, a local relay that asks for
	// no authentication takes the message in the clear.
	open := smtptest.StartPlain(t, "", "")
	e = newEmail(t, open, func(o *notify.EmailOptions) { o.URL, o.RequireTLS = "smtp://"+open.Addr, false })
	require.NoError(t, e.Notify(context.Background(), n))
	require.Len(t, open.Messages(), 1)
	assert.False(t, open.Messages()[0].TLS)
}
