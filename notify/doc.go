// Package notify delivers klage's notifications to people: customer
// e-mail in the customer's language over SMTP, and signed webhooks for
// staff systems.
//
// A [Renderer] writes each notification as a subject, a plain-text body
// and an HTML body, from [Texts]: text/template sources a retailer can
// replace message by message or add a language to, checked when the
// Renderer is built. Danish and English ship ([Shipped]); the texts a
// consumer must get in writing (how to escalate, the public complaint
// bodies with address and website, the remedy granted) are in them.
//
// [Email] sends the rendered messages through an SMTP server
// (github.com/wneessen/go-mail), with a Message-ID made from the
// notification's idempotency key. [Webhook] POSTs the notification's JSON
// signed per the Standard Webhooks specification. [Route] and [Fanout]
// combine notifiers; give the result to a store.Relay, which delivers
// from the outbox at least once and retries failures with backoff:
//
//	email, err := notify.NewEmail(notify.EmailOptions{URL: "smtp://relay@127.0.0.1:587", From: "Kundeservice <kundeservice@eksempel.dk>"})
//	hook, err := notify.NewWebhook(notify.WebhookOptions{URL: "https://staff.example/klage", Secret: os.Getenv("KLAGE_WEBHOOK_SECRET")})
//	relay := &store.Relay{Outbox: s, Notifier: notify.Fanout{notify.Route{
//		ByRecipient: map[glossary.Role]complaint.Notifier{glossary.Customer: email}, Default: email}, hook}}
//
// Errors never carry an e-mail address or a secret: the relay logs and
// stores them.
package notify
