package notify_test

import (
	"context"
	"fmt"

	"github.com/klageflow/klage/complaint"
	"github.com/klageflow/klage/complaint/complainttest"
	"github.com/klageflow/klage/glossary"
	"github.com/klageflow/klage/notify"
)

// A Danish customer's acknowledgement, as the shipped texts write it.
func ExampleRenderer_Render() {
	rec := &complainttest.Recorder{}
	clock := complainttest.NewClock(complainttest.Start)
	w, err := complaint.New(complaint.Options{Now: clock.Now, Notifier: rec, NewID: func() string { return "K-1042" }})
	if err != nil {
		panic(err)
	}
	if _, err := w.Open(context.Background(), complainttest.Intake()); err != nil {
		panic(err)
	}
	r, err := notify.NewRenderer(notify.RendererOptions{Workflow: w, Sender: "Kundeservice, Eksempel A/S"})
	if err != nil {
		panic(err)
	}
	m, err := r.Render(rec.Notifications()[0])
	if err != nil {
		panic(err)
	}
	fmt.Println(m.Subject)
	fmt.Println()
	fmt.Print(m.Text)
	// Output:
	// Vi har modtaget din henvendelse (K-1042)
	//
	// Kære Karen Jensen
	//
	// Tak fordi du kontaktede os. Vi har registreret din henvendelse (DOA (defekt ved levering)) og giver dig besked, så snart vi går i gang med den.
	//
	// Dit sagsnummer er K-1042 (UltraBook 14). Oplys det, hvis du skriver til os.
	//
	// Venlig hilsen
	// Kundeservice, Eksempel A/S
}

// A retailer words one message its own way and keeps the rest.
func ExampleTexts() {
	texts := append(notify.Shipped(), notify.Texts{Language: glossary.Danish,
		Source: `{{define "started.customer.subject"}}Eksempel A/S kigger på din sag ({{.ComplaintID}}){{end}}`})
	r, err := notify.NewRenderer(notify.RendererOptions{Texts: texts})
	if err != nil {
		panic(err)
	}
	m, err := r.Render(complaint.Notification{Topic: complaint.TopicStarted, Recipient: glossary.Customer, ComplaintID: "K-7",
		Data: complaint.Data{Language: glossary.Danish}})
	if err != nil {
		panic(err)
	}
	fmt.Println(m.Subject)
	// Output: Eksempel A/S kigger på din sag (K-7)
}

// The signature of the Standard Webhooks specification's example message.
func ExampleWebhook_Sign() {
	w, err := notify.NewWebhook(notify.WebhookOptions{URL: "https://staff.example/klage", Secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"})
	if err != nil {
		panic(err)
	}
	fmt.Println(w.Sign("msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, []byte(`{"test": 2432232314}`)))
	// Output: v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=
}

// E-mail to customers, the same events to a staff system's webhook.
func ExampleFanout() {
	email, err := notify.NewEmail(notify.EmailOptions{
		URL:   "smtp://relay@127.0.0.1:587",
		From:  "Kundeservice <kundeservice@eksempel.dk>",
		Staff: map[glossary.Role]string{glossary.ComplaintsDepartment: "klageafdeling@eksempel.dk"},
	})
	if err != nil {
		panic(err)
	}
	// The secret comes from the environment in a real service.
	hook, err := notify.NewWebhook(notify.WebhookOptions{URL: "https://staff.example/klage", Secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"})
	if err != nil {
		panic(err)
	}
	var n complaint.Notifier = notify.Fanout{notify.Route{ByRecipient: map[glossary.Role]complaint.Notifier{glossary.Customer: email}, Default: email}, hook}
	fmt.Printf("%T\n", n) // give it to store.Relay's Notifier
	// Output: notify.Fanout
}
