package notify

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net/mail"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	gomail "github.com/wneessen/go-mail"

	"github.com/klageflow/klage/complaint"
	"github.com/klageflow/klage/glossary"
)

// ErrNoAddress is matched by the error of a notification that has nobody
// to go to: a customer without an e-mail address (by phone only, or
// erased), or a staff role with no address configured. It is permanent
// (see [PermanentError]): a relay sets it aside instead of retrying.
var ErrNoAddress = errors.New("notify: no address for the recipient")

// PermanentError is a delivery failure that no retry will mend. Its
// Permanent method reports true, which store.Relay takes as the cue to
// dead-letter the notification at once.
type PermanentError struct{ Err error }

// Error implements error.
func (e *PermanentError) Error() string { return e.Err.Error() }

// Unwrap returns the cause.
func (e *PermanentError) Unwrap() error { return e.Err }

// Permanent reports true.
func (e *PermanentError) Permanent() bool { return true }

// DefaultTimeout bounds one delivery when the options set none.
const DefaultTimeout = 30 * time.Second

// EmailOptions configure an [Email] notifier.
type EmailOptions struct {
	// URL is the SMTP server: smtp://user:password@host:port uses
	// STARTTLS whenever the server offers it (port 587 by default);
	// smtps://... speaks TLS from the first byte (port 465). The user and
	// password, when present, authenticate with the best mechanism the
	// server offers; over a connection without TLS, only mechanisms that
	// do not reveal the password are used, so a server offering only
	// PLAIN or LOGIN in the clear is refused.
	URL string
	// RequireTLS refuses to send when an smtp:// server offers no
	// STARTTLS, instead of sending in the clear.
	RequireTLS bool
	// TLSConfig, optional, configures TLS (its ServerName defaults to the
	// URL's host); tests use it to trust their own certificate.
	TLSConfig *tls.Config
	// From is the sender, e.g. "Kundeservice <kundeservice@eksempel.dk>".
	From string
	// Renderer writes the messages; nil means the shipped texts.
	Renderer *Renderer
	// Staff are the addresses of the recipients other than the customer,
	// by role: the Complaints Department, customer service, a
	// manufacturer's support. A notification to a role without one fails
	// with ErrNoAddress.
	Staff map[glossary.Role]string
	// Manufacturers are the addresses of manufacturers' support by the
	// manufacturer's name (complaint.Referral.Manufacturer, else the
	// product's); they come before Staff for the manufacturer role.
	Manufacturers map[string]string
	// Timeout bounds one delivery, with the context's own deadline; 0
	// means DefaultTimeout.
	Timeout time.Duration
}

// Email delivers notifications as e-mail over SMTP: to the customer at
// the address the store resolved (complaint.Customer.Email), to staff at
// the configured addresses. Each message has a plain-text and an HTML
// part in the recipient's language, and a Message-ID made from the
// notification's idempotency key, so that every delivery attempt of one
// notification carries the same Message-ID and mail systems can drop
// duplicates. It is safe for concurrent use.
//
// Its errors never contain an e-mail address: the relay logs and stores
// them.
type Email struct {
	host      string
	port      int
	ssl       bool
	user      string
	password  string
	opts      EmailOptions
	from      *mail.Address
	domain    string
	renderer  *Renderer
	tlsConfig *tls.Config
}

var _ complaint.Notifier = (*Email)(nil)

// NewEmail checks the options and returns the notifier. It opens no
// connection: each delivery dials the server.
func NewEmail(opts EmailOptions) (*Email, error) {
	u, err := url.Parse(opts.URL)
	if err != nil {
		return nil, errors.New("notify: e-mail: the SMTP URL does not parse")
	}
	e := &Email{opts: opts, host: u.Hostname(), renderer: opts.Renderer}
	switch u.Scheme {
	case "smtp":
		e.port = 587
	case "smtps":
		e.port, e.ssl = 465, true
	default:
		return nil, fmt.Errorf("notify: e-mail: the SMTP URL's scheme is %q, want smtp or smtps", u.Scheme)
	}
	if e.host == "" {
		return nil, errors.New("notify: e-mail: the SMTP URL has no host")
	}
	if p := u.Port(); p != "" {
		if e.port, err = strconv.Atoi(p); err != nil || e.port < 1 || e.port > 65535 {
			return nil, fmt.Errorf("notify: e-mail: bad port %q", p)
		}
	}
	if u.User != nil {
		e.user = u.User.Username()
		e.password, _ = u.User.Password()
	}
	if e.from, err = mail.ParseAddress(opts.From); err != nil {
		return nil, fmt.Errorf("notify: e-mail: the sender %q is not an address", opts.From)
	}
	e.domain = e.from.Address[strings.LastIndexByte(e.from.Address, '@')+1:]
	for role, addr := range opts.Staff {
		if _, err := mail.ParseAddress(addr); err != nil {
			return nil, fmt.Errorf("notify: e-mail: the address for %s is not an address", role)
		}
	}
	for name, addr := range opts.Manufacturers {
		if _, err := mail.ParseAddress(addr); err != nil {
			return nil, fmt.Errorf("notify: e-mail: the address for manufacturer %q is not an address", name)
		}
	}
	if e.renderer == nil {
		if e.renderer, err = NewRenderer(RendererOptions{}); err != nil {
			return nil, err
		}
	}
	e.tlsConfig = &tls.Config{ServerName: e.host, MinVersion: tls.VersionTLS12}
	if opts.TLSConfig != nil {
		e.tlsConfig = opts.TLSConfig.Clone()
		if e.tlsConfig.ServerName == "" {
			e.tlsConfig.ServerName = e.host
		}
	}
	return e, nil
}

// MessageID returns the Message-ID (without angle brackets) of the e-mail
// for the notification with idempotency key key: the key, with every
// character but letters, digits, '-' and '_' written as "=XX", at domain.
func MessageID(key, domain string) string {
	var b strings.Builder
	for i := 0; i < len(key); i++ {
		c := key[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', c == '-', c == '_':
			b.WriteByte(c)
		default:
			fmt.Fprintf(&b, "=%02X", c)
		}
	}
	return b.String() + "@" + domain
}

// address returns where n goes.
func (e *Email) address(n complaint.Notification) (string, error) {
	var addr string
	switch n.Recipient {
	case glossary.Customer:
		addr = n.Data.Customer.Email
	case glossary.Manufacturer:
		name := n.Data.Product.Manufacturer
		if n.Data.Referral != nil && n.Data.Referral.Manufacturer != "" {
			name = n.Data.Referral.Manufacturer
		}
		addr = e.opts.Manufacturers[name]
		if addr == "" {
			addr = e.opts.Staff[n.Recipient]
		}
	default:
		addr = e.opts.Staff[n.Recipient]
	}
	if addr == "" {
		return "", &PermanentError{fmt.Errorf("%w %s of %s", ErrNoAddress, n.Recipient, n.Key())}
	}
	return addr, nil
}

// Notify renders n and sends it.
func (e *Email) Notify(ctx context.Context, n complaint.Notification) error {
	key := n.Key()
	to, err := e.address(n)
	if err != nil {
		return err
	}
	m, err := e.renderer.Render(n)
	if err != nil {
		return fmt.Errorf("notify: e-mail %s: %w", key, err)
	}
	msg := gomail.NewMsg()
	msg.FromMailAddress(e.from)
	if err := msg.To(to); err != nil {
		return &PermanentError{fmt.Errorf("%w %s of %s: not an address", ErrNoAddress, n.Recipient, key)}
	}
	msg.Subject(m.Subject)
	msg.SetMessageIDWithValue(MessageID(key, e.domain))
	msg.SetDateWithValue(n.At)
	msg.SetGenHeader("Auto-Submitted", "auto-generated") // RFC 3834: no auto-replies to this
	msg.SetGenHeader("Content-Language", string(m.Language))
	msg.SetGenHeader("X-Klage-Key", key)
	msg.SetUserAgent("klage")
	msg.SetBodyString(gomail.TypeTextPlain, m.Text)
	msg.AddAlternativeString(gomail.TypeTextHTML, m.HTML)

	timeout := e.opts.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	if d, ok := ctx.Deadline(); ok {
		timeout = time.Until(d)
	}
	options := []gomail.Option{gomail.WithPort(e.port), gomail.WithTimeout(timeout), gomail.WithTLSConfig(e.tlsConfig)}
	switch {
	case e.ssl:
		options = append(options, gomail.WithSSL())
	case e.opts.RequireTLS:
		options = append(options, gomail.WithTLSPolicy(gomail.TLSMandatory))
	default:
		options = append(options, gomail.WithTLSPolicy(gomail.TLSOpportunistic))
	}
	if e.user != "" {
		options = append(options, gomail.WithSMTPAuth(gomail.SMTPAuthAutoDiscover),
			gomail.WithUsername(e.user), gomail.WithPassword(e.password))
	}
	client, err := gomail.NewClient(e.host, options...)
	if err != nil {
		return fmt.Errorf("notify: e-mail %s: %s", key, redact(err, to, e.user, e.password))
	}
	if err := client.DialAndSendWithContext(ctx, msg); err != nil {
		failure := &sendError{key: key, text: redact(err, to, e.user, e.password), err: err}
		var se *gomail.SendError
		if errors.As(err, &se) && se.Reason == gomail.ErrSMTPRcptTo && !se.IsTemp() {
			return &PermanentError{failure} // the server refuses the address for good
		}
		return failure
	}
	return nil
}

// sendError is a failed send whose message names no address or secret.
type sendError struct {
	key, text string
	err       error
}

func (e *sendError) Error() string { return "notify: e-mail " + e.key + ": " + e.text }
func (e *sendError) Unwrap() error { return e.err }

// redact returns err's text without the secrets and addresses in it, in
// any letter case (a server may echo an address in lower case), and
// without anything else that looks like an e-mail address.
func redact(err error, secrets ...string) string {
	s := err.Error()
	for _, secret := range secrets {
		if secret != "" {
			s = regexp.MustCompile("(?i)"+regexp.QuoteMeta(secret)).ReplaceAllLiteralString(s, "[redacted]")
		}
	}
	return emailLike.ReplaceAllLiteralString(s, "[redacted]")
}

// emailLike matches what looks like an e-mail address in a server's
// message.
var emailLike = regexp.MustCompile(`[^\s<>()"',;:\[\]]+@[^\s<>()"',;:\[\]]+`)
