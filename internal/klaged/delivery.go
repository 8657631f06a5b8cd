package klaged

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net/mail"
	"net/url"
	"os"
	"strings"

	"github.com/klageflow/klage/complaint"
	"github.com/klageflow/klage/glossary"
	"github.com/klageflow/klage/notify"
)

// deliveryFlags are the flags that choose how notifications are delivered.
type deliveryFlags struct {
	smtp       string
	from       string
	sender     string
	deptSender string
	requireTLS bool
	ca         string
	staff      map[glossary.Role]string
	webhook    string
	// publicURL is where customers reach the service (-public-url); link
	// makes their page's address for a message (set once the handler is).
	publicURL string
	link      func(complaint.Notification) string
}

func (d *deliveryFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&d.publicURL, "public-url", "", "where customers reach this service, e.g. https://klage.eksempel.dk: every e-mail to a customer then links to their own page (/case/{token}), where they follow the case, answer and escalate")
	fs.StringVar(&d.smtp, "smtp", "", "deliver e-mail through this SMTP server, e.g. smtp://user@127.0.0.1:2525 (the password from KLAGE_SMTP_PASSWORD, or in the URL); smtps:// for TLS from the start")
	fs.StringVar(&d.from, "from", "", `the sender of e-mail, e.g. "Kundeservice <kundeservice@eksempel.dk>" (with -smtp)`)
	fs.StringVar(&d.sender, "sender", "", "who signs the customers' e-mail; empty means -from's name")
	fs.StringVar(&d.deptSender, "department-sender", "", "who signs the Complaints Department's e-mail; empty means the department's name in the customer's language")
	fs.BoolVar(&d.requireTLS, "smtp-require-tls", false, "refuse to send e-mail when the server offers no STARTTLS")
	fs.StringVar(&d.ca, "smtp-ca", "", "a PEM file of the certificate authorities to trust for the SMTP server (a private CA); empty means the system's")
	fs.Func("staff-email", "role=address: e-mail a staff role's notifications (complaints_department, customer_service, manufacturer); repeat for each", func(v string) error {
		role, addr, ok := strings.Cut(v, "=")
		r, err := glossary.ParseRole(role)
		if !ok || err != nil || r == glossary.Customer {
			return errors.New("want role=address with a staff role")
		}
		if _, err := mail.ParseAddress(addr); err != nil {
			return errors.New("not an e-mail address")
		}
		if d.staff == nil {
			d.staff = map[glossary.Role]string{}
		}
		d.staff[r] = addr
		return nil
	})
	fs.StringVar(&d.webhook, "webhook", "", "also POST every notification to this URL, signed per Standard Webhooks with the secret in KLAGE_WEBHOOK_SECRET")
}

// notifier builds the relay's notifier from the flags: e-mail to customers
// (and to the staff roles with an address), the log for everyone else, and
// with -webhook every notification to the webhook as well. getenv reads
// the secrets, which are never logged.
//
// counted wraps each notifier so that its deliveries are counted under its
// name.
func (d *deliveryFlags) notifier(w *complaint.Workflow, fallback complaint.Notifier, getenv func(string) string, log *slog.Logger,
	counted func(name string, n complaint.Notifier) complaint.Notifier) (complaint.Notifier, error) {
	fallback = counted("log", fallback)
	people := fallback
	if d.smtp != "" {
		u, err := url.Parse(d.smtp)
		if err != nil {
			return nil, errors.New("-smtp: not a URL")
		}
		if pw := getenv("KLAGE_SMTP_PASSWORD"); pw != "" && u.User != nil {
			u.User = url.UserPassword(u.User.Username(), pw)
		}
		from, err := mail.ParseAddress(d.from)
		if err != nil {
			return nil, errors.New("-smtp needs -from, the sender's address")
		}
		sender := d.sender
		if sender == "" {
			sender = from.Name
		}
		r, err := notify.NewRenderer(notify.RendererOptions{Workflow: w, Sender: sender, DepartmentSender: d.deptSender,
			CustomerLink: d.link})
		if err != nil {
			return nil, err
		}
		var tlsConfig *tls.Config
		if d.ca != "" {
			pem, err := os.ReadFile(d.ca)
			if err != nil {
				return nil, fmt.Errorf("-smtp-ca: %w", err)
			}
			pool := x509.NewCertPool()
			if !pool.AppendCertsFromPEM(pem) {
				return nil, errors.New("-smtp-ca: no certificate in the file")
			}
			tlsConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
		}
		email, err := notify.NewEmail(notify.EmailOptions{URL: u.String(), From: d.from, Renderer: r, Staff: d.staff,
			RequireTLS: d.requireTLS, TLSConfig: tlsConfig})
		if err != nil {
			return nil, err
		}
		byEmail := counted("email", email)
		routes := map[glossary.Role]complaint.Notifier{glossary.Customer: byEmail}
		for role := range d.staff {
			routes[role] = byEmail
		}
		people = notify.Route{ByRecipient: routes, Default: fallback}
		log.Info("delivering e-mail", "smtp", u.Redacted(), "staff_roles", len(d.staff))
	}
	if d.webhook == "" {
		return people, nil
	}
	secret := getenv("KLAGE_WEBHOOK_SECRET")
	if secret == "" {
		return nil, errors.New("-webhook needs the secret in KLAGE_WEBHOOK_SECRET")
	}
	hook, err := notify.NewWebhook(notify.WebhookOptions{URL: d.webhook, Secret: secret})
	if err != nil {
		return nil, fmt.Errorf("-webhook: %w", err)
	}
	if u, err := url.Parse(d.webhook); err == nil {
		log.Info("delivering webhooks", "host", u.Host)
	}
	return notify.Fanout{people, counted("webhook", hook)}, nil
}
