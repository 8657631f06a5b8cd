package klagehttp

import (
	"errors"
	"fmt"
	"html/template"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/klageflow/klage/complaint"
	"github.com/klageflow/klage/escalation"
	"github.com/klageflow/klage/glossary"
	"github.com/klageflow/klage/store"
)

// PageText is the wording of the customer's page in one language: the
// headings, the buttons and the plain-words explanation of each state.
// Danish and English ship ([Options].PageTexts adds a language or changes
// the wording); what a language leaves out falls back to English.
type PageText struct {
	Title, Case, State, WhatNext, Referral, Answer, Decision, Granted, Fulfilled, Timeline string
	AnswerHeading, AnswerLabel, AnswerButton, Answered                                     string
	EscalateHeading, EscalateLabel, EscalateButton, Escalated, EscalateIntro               string
	Bodies, NotFound, Refused                                                              string
	// EscalateUntil takes the last day of the escalation window.
	EscalateUntil string
	// Next are what happens next, by clock: the sentence takes the due
	// time ("We answer you by %s.").
	Next map[complaint.DeadlineName]string
	// States explain each state in plain words.
	States map[complaint.State]string
	// Months are the months' names, January first.
	Months []string
	// At joins a date and a time of day: "%s at %s".
	At string
}

// shippedPageTexts are the page's Danish and English wording.
var shippedPageTexts = map[glossary.Language]PageText{
	glossary.English: {
		Title: "Your complaint", Case: "About", State: "Where it is", WhatNext: "What happens next", Referral: "The manufacturer's support",
		Answer: "Our answer", Decision: "The Complaints Department's decision", Granted: "What you get", Fulfilled: "Done",
		Timeline: "What has happened", AnswerHeading: "We need information from you", AnswerLabel: "Your answer",
		AnswerButton: "Send my answer", Answered: "Thank you: we have your answer.",
		EscalateHeading: "Not satisfied with our answer?", EscalateLabel: "Why you are not satisfied (optional)",
		EscalateButton: "Take my case to the Complaints Department", Escalated: "Your case is now with the Complaints Department.",
		EscalateIntro: "Our independent Complaints Department reviews your case impartially.",
		EscalateUntil: "You can ask for it until %s.",
		Bodies:        "Public complaint bodies", NotFound: "This link does not open a case. It may have expired.",
		Refused: "That could not be done now: the case may have moved on. Here is where it is.",
		Next: map[complaint.DeadlineName]string{
			complaint.DeadlineFirstResponse:  "We answer you by %s.",
			complaint.DeadlineProgressUpdate: "You hear from us again by %s.",
			complaint.DeadlineCustomerReply:  "We wait for your answer; please send it by %s.",
			complaint.DeadlineReviewDecision: "The Complaints Department decides by %s.",
			complaint.DeadlineDOAReplacement: "We aim to replace the item by %s.",
		},
		States: map[complaint.State]string{
			complaint.StateReceived:                  "We have received your complaint and will start on it soon.",
			complaint.StateInProgress:                "Customer service is working on your case.",
			complaint.StateAwaitingCustomer:          "We are waiting for information from you. Until we have it, the case waits for you.",
			complaint.StateWithManufacturer:          "The manufacturer's support is handling your case; you are in direct contact with them.",
			complaint.StateFinalAnswer:               "Customer service has given its final answer.",
			complaint.StateEscalated:                 "The independent Complaints Department is reviewing your case.",
			complaint.StateEscalatedAwaitingCustomer: "The Complaints Department is waiting for information from you.",
			complaint.StateReviewed:                  "The Complaints Department has decided.",
			complaint.StateClosed:                    "The case is closed.",
		},
		Months: []string{"January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"},
		At:     "%s at %s",
	},
	glossary.Danish: {
		Title: "Din klage", Case: "Om", State: "Hvor sagen er", WhatNext: "Hvad der sker nu", Referral: "Producentens support",
		Answer: "Vores svar", Decision: "Klageafdelingens afgørelse", Granted: "Det får du", Fulfilled: "Udført",
		Timeline: "Hvad der er sket", AnswerHeading: "Vi mangler oplysninger fra dig", AnswerLabel: "Dit svar",
		AnswerButton: "Send mit svar", Answered: "Tak: vi har fået dit svar.",
		EscalateHeading: "Ikke tilfreds med vores svar?", EscalateLabel: "Hvorfor du ikke er tilfreds (frivilligt)",
		EscalateButton: "Send min sag til Klageafdelingen", Escalated: "Din sag er nu hos Klageafdelingen.",
		EscalateIntro: "Vores uafhængige Klageafdeling behandler din sag upartisk.",
		EscalateUntil: "Du kan bede om det indtil %s.",
		Bodies:        "Offentlige klageinstanser", NotFound: "Linket åbner ingen sag. Det kan være udløbet.",
		Refused: "Det kunne ikke lade sig gøre nu: sagen kan være gået videre. Her er, hvor den er.",
		Next: map[complaint.DeadlineName]string{
			complaint.DeadlineFirstResponse:  "Vi svarer dig senest %s.",
			complaint.DeadlineProgressUpdate: "Du hører fra os igen senest %s.",
			complaint.DeadlineCustomerReply:  "Vi venter på dit svar; send det venligst senest %s.",
			complaint.DeadlineReviewDecision: "Klageafdelingen afgør sagen senest %s.",
			complaint.DeadlineDOAReplacement: "Vi sigter mod at ombytte varen senest %s.",
		},
		States: map[complaint.State]string{
			complaint.StateReceived:                  "Vi har modtaget din klage og går snart i gang med den.",
			complaint.StateInProgress:                "Kundeservice arbejder på din sag.",
			complaint.StateAwaitingCustomer:          "Vi venter på oplysninger fra dig. Indtil vi har dem, venter sagen på dig.",
			complaint.StateWithManufacturer:          "Producentens support behandler din sag; du er i direkte kontakt med dem.",
			complaint.StateFinalAnswer:               "Kundeservice har givet sit endelige svar.",
			complaint.StateEscalated:                 "Den uafhængige Klageafdeling behandler din sag.",
			complaint.StateEscalatedAwaitingCustomer: "Klageafdelingen venter på oplysninger fra dig.",
			complaint.StateReviewed:                  "Klageafdelingen har truffet afgørelse.",
			complaint.StateClosed:                    "Sagen er lukket.",
		},
		Months: []string{"januar", "februar", "marts", "april", "maj", "juni", "juli", "august", "september", "oktober", "november", "december"},
		At:     "%s kl. %s",
	},
}

// pageText returns the wording in lang, or English when lang has none.
func (srv *Handler) pageText(lang glossary.Language) PageText {
	if t, ok := srv.texts[lang]; ok {
		return t
	}
	return srv.texts[glossary.English]
}

// mergePageTexts returns the shipped wording with the options' over it,
// language by language, and what a language leaves out from English.
func mergePageTexts(shipped, opts map[glossary.Language]PageText) map[glossary.Language]PageText {
	out := maps.Clone(shipped)
	for lang, t := range opts {
		if base, ok := out[lang]; ok {
			out[lang] = fillText(t, base)
		} else {
			out[lang] = t
		}
	}
	en := out[glossary.English]
	for lang, t := range out {
		out[lang] = fillText(t, en)
	}
	return out
}

// fillText returns t with what it leaves out taken from base.
func fillText(t, base PageText) PageText {
	for _, f := range []struct{ s, def *string }{{&t.Title, &base.Title}, {&t.Case, &base.Case}, {&t.State, &base.State},
		{&t.WhatNext, &base.WhatNext}, {&t.Referral, &base.Referral}, {&t.Answer, &base.Answer},
		{&t.Decision, &base.Decision}, {&t.Granted, &base.Granted}, {&t.Fulfilled, &base.Fulfilled},
		{&t.Timeline, &base.Timeline}, {&t.AnswerHeading, &base.AnswerHeading}, {&t.AnswerLabel, &base.AnswerLabel},
		{&t.AnswerButton, &base.AnswerButton}, {&t.Answered, &base.Answered}, {&t.EscalateHeading, &base.EscalateHeading},
		{&t.EscalateLabel, &base.EscalateLabel}, {&t.EscalateButton, &base.EscalateButton}, {&t.Escalated, &base.Escalated},
		{&t.EscalateUntil, &base.EscalateUntil}, {&t.EscalateIntro, &base.EscalateIntro}, {&t.Bodies, &base.Bodies}, {&t.NotFound, &base.NotFound},
		{&t.Refused, &base.Refused}, {&t.At, &base.At}} {
		if *f.s == "" {
			*f.s = *f.def
		}
	}
	t.Next, t.States = mergeTexts(base.Next, t.Next), mergeTexts(base.States, t.States)
	if len(t.Months) != 12 {
		t.Months = base.Months
	}
	return t
}

func mergeTexts[K comparable](base, over map[K]string) map[K]string {
	out := maps.Clone(base)
	if out == nil {
		out = map[K]string{}
	}
	maps.Copy(out, over)
	return out
}

var customerTemplate = template.Must(template.ParseFS(templates, "templates/customer.html"))

// customerPage is what the customer's page shows.
type customerPage struct {
	Lang                        glossary.Language
	T                           PageText
	ID, Product, StateLabel     string
	Explanation, Flash, Failure string
	Base                        string
	Next                        []string
	Referral                    *complaint.Referral
	Answer, Decision            *pageOutcome
	Granted                     string
	Fulfilments                 []string
	CanAnswer, CanEscalate      bool
	Question, EscalateText      string
	Bodies                      []escalation.Body
	Timeline                    []pageEntry
}

type pageOutcome struct{ Outcome, Text string }

type pageEntry struct{ Machine, When, What, Note string }

// pageCustomer returns the customer and the complaint that the page's
// capability token opens, or answers 404 (in the customer's language when
// it is known).
func (srv *Handler) pageCustomer(w http.ResponseWriter, r *http.Request) (*complaint.Complaint, glossary.Actor, bool) {
	fail := func() {
		lang, _ := requestLanguage(r)
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(http.StatusNotFound)
		_, _ = w.Write([]byte(srv.pageText(lang).NotFound + "\n"))
	}
	p, err := srv.customers.authenticate(r.PathValue("token"))
	if err != nil {
		fail()
		return nil, glossary.Actor{}, false
	}
	c, err := srv.s.Get(r.Context(), p.Complaint)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		srv.fail(w, r, err)
		return nil, glossary.Actor{}, false
	}
	if err != nil || !srv.w.Audience(p.Actor).Sees(c) {
		fail()
		return nil, glossary.Actor{}, false
	}
	return c, p.Actor, true
}

// customerPage answers GET /case/{token}: the customer's own page, reached
// with the capability link their acknowledgement carries. It is
// server-rendered, needs no script, and shows what complaint.Audience lets
// the customer see.
func (srv *Handler) customerPage(w http.ResponseWriter, r *http.Request) {
	c, customer, ok := srv.pageCustomer(w, r)
	if !ok {
		return
	}
	srv.renderPage(w, r, c, customer, r.URL.Query().Get("done"), "", http.StatusOK)
}

// renderPage writes the page of c for customer, with a flash message for
// what was just done, or a failure.
func (srv *Handler) renderPage(w http.ResponseWriter, r *http.Request, c *complaint.Complaint, customer glossary.Actor, done, failure string, status int) {
	lang := c.Customer().Language
	if _, ok := srv.texts[lang]; !ok {
		lang = glossary.English
	}
	t := srv.pageText(lang)
	loc := srv.w.Policy(c.Customer().Type).Location
	when := func(at time.Time) string {
		at = at.In(loc)
		return fmt.Sprintf(t.At, fmt.Sprintf("%d %s %d", at.Day(), t.Months[at.Month()-1], at.Year()), at.Format("15:04"))
	}
	lastDay := func(at time.Time) string {
		at = at.In(loc).Add(-time.Nanosecond)
		return fmt.Sprintf("%d %s %d", at.Day(), t.Months[at.Month()-1], at.Year())
	}
	snap, _ := srv.w.Audience(customer).Complaint(c)
	page := customerPage{Lang: lang, T: t, ID: c.ID(), StateLabel: srv.w.Label(c.State(), lang), Explanation: t.States[c.State()],
		Base: mounted(r, "/case/"+r.PathValue("token")), Referral: snap.Referral, Failure: failure}
	if p := c.Product(); p.Name != "" {
		page.Product = p.Name
	} else {
		page.Product = srv.w.Label(c.Kind(), lang)
	}
	switch done {
	case "answered":
		page.Flash = t.Answered
	case "escalated":
		page.Flash = t.Escalated
	}
	for _, d := range c.Deadlines() {
		if s, ok := t.Next[d.Name]; ok && d.Running() {
			page.Next = append(page.Next, fmt.Sprintf(s, when(d.Due)))
		}
	}
	if a, ok := c.FinalAnswer(); ok {
		page.Answer = &pageOutcome{Outcome: srv.w.Label(a.Outcome, lang), Text: a.Text}
	}
	if d, ok := c.Decision(); ok {
		page.Decision = &pageOutcome{Outcome: srv.w.Label(d.Outcome, lang), Text: d.Explanation}
	}
	if g, ok := c.Granted(); ok {
		page.Granted = g.Kind.Label(lang)
		if g.Text != "" {
			page.Granted += ": " + g.Text
		}
		for _, f := range c.Fulfilments() {
			page.Fulfilments = append(page.Fulfilments, f.Remedy.Label(lang)+", "+f.Reference)
		}
	}
	acts := srv.pageEvents[c.State()]
	page.CanAnswer = acts.answer != "" && srv.w.Can(r.Context(), c, acts.answer, customer)
	if page.CanAnswer {
		// The question is the note of the entry that brought the case
		// into the state that waits for the customer.
		for _, e := range slices.Backward(c.History()) {
			if e.To == c.State() && e.From != c.State() {
				page.Question = e.Note
				break
			}
		}
	}
	page.CanEscalate = acts.escalate != "" && srv.w.Can(r.Context(), c, acts.escalate, customer)
	if page.CanEscalate {
		page.EscalateText = t.EscalateIntro
		for _, d := range c.Deadlines() {
			if d.Name == complaint.DeadlineEscalationWindow && d.Running() {
				page.EscalateText += " " + fmt.Sprintf(t.EscalateUntil, lastDay(d.Due))
			}
		}
	}
	// The law's complaint bodies, for a consumer whose complaint was not
	// upheld in full.
	notFull := (page.Decision != nil && snap.Decision != nil && !snap.Decision.Outcome.FullyUpheld()) ||
		(page.Decision == nil && snap.FinalAnswer != nil && !snap.FinalAnswer.Outcome.FullyUpheld())
	if notFull && c.Customer().Type == complaint.Consumer {
		page.Bodies = srv.w.ComplaintBodies()
		if lang != glossary.Danish {
			for i := range page.Bodies {
				if page.Bodies[i].EnglishName != "" {
					page.Bodies[i].Name = page.Bodies[i].EnglishName
				}
			}
		}
	}
	for _, e := range snap.History {
		page.Timeline = append(page.Timeline, pageEntry{Machine: e.At.Format(time.RFC3339), When: when(e.At),
			What: srv.w.Label(e.Event, lang), Note: e.Note})
	}
	var b strings.Builder
	if err := customerTemplate.Execute(&b, page); err != nil {
		srv.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Referrer-Policy", "no-referrer")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'")
	w.WriteHeader(status)
	_, _ = w.Write([]byte(b.String()))
}

// pageActs are the events the customer page offers in one state: answer
// (the customer's answer to a request for information) and escalate.
type pageActs struct{ answer, escalate complaint.Event }

// pageEventsOf finds, state by state, the events the customer page offers
// from the lifecycle's facts, not by their names, so that an extended
// lifecycle's page works too: the answer is the customer's event that
// leaves a state waiting for them (Pauses) for one that is neither
// terminal nor waiting (provide_info, in the reference lifecycle); the
// escalation is the customer's event that leads to a state where the
// Complaints Department holds the case (escalate).
func pageEventsOf(w *complaint.Workflow) map[complaint.State]pageActs {
	out := map[complaint.State]pageActs{}
	for _, r := range w.Lifecycle().Rules {
		if !slices.Contains(r.Roles, glossary.Customer) || r.To == "" {
			continue
		}
		to, _ := w.State(r.To)
		for _, from := range r.From {
			spec, _ := w.State(from)
			acts := out[from]
			switch {
			case spec.Pauses && !to.Pauses && !to.Terminal && acts.answer == "":
				acts.answer = r.Event
			case to.Escalated && !spec.Escalated && acts.escalate == "":
				acts.escalate = r.Event
			}
			out[from] = acts
		}
	}
	return out
}

// pageAction answers the page's forms: POST /case/{token}/answer (the
// customer's answer to a request for information) and
// /case/{token}/escalate; then it sends the browser back to the page.
// pick chooses the event in the complaint's state; none there is refused
// like an event the state does not allow.
func (srv *Handler) pageAction(pick func(pageActs) complaint.Event, done string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		c, customer, ok := srv.pageCustomer(w, r)
		if !ok {
			return
		}
		event := pick(srv.pageEvents[c.State()])
		if event == "" {
			srv.renderPage(w, r, c, customer, "", srv.pageText(c.Customer().Language).Refused, http.StatusConflict)
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, MaxBody)
		if err := r.ParseForm(); err != nil {
			srv.renderPage(w, r, c, customer, "", srv.pageText(c.Customer().Language).Refused, http.StatusBadRequest)
			return
		}
		// A browser sends a textarea's line breaks as CRLF.
		note := strings.TrimSpace(strings.ReplaceAll(r.PostForm.Get("note"), "\r\n", "\n"))
		if !cleanText(strings.NewReplacer("\r", "", "\n", "", "\t", "").Replace(note)) {
			srv.renderPage(w, r, c, customer, "", srv.pageText(c.Customer().Language).Refused, http.StatusBadRequest)
			return
		}
		_, _, err := store.Fire(r.Context(), srv.s, srv.w, c.ID(), complaint.Input{Event: event, Actor: customer, Note: note},
			store.FireOptions{Loaded: c, ExpectedVersion: c.Version()})
		if err != nil {
			if errors.Is(err, complaint.ErrInvalidInput) || errors.Is(err, complaint.ErrInvalidTransition) || errors.Is(err, complaint.ErrForbidden) ||
				errors.Is(err, store.ErrConflict) {
				if fresh, gerr := srv.s.Get(r.Context(), c.ID()); gerr == nil {
					c = fresh
				}
				srv.renderPage(w, r, c, customer, "", srv.pageText(c.Customer().Language).Refused, http.StatusConflict)
				return
			}
			srv.fail(w, r, err)
			return
		}
		// Back to the page, by a reference relative to this form's
		// address: right under whatever prefix the handler is mounted at.
		w.Header().Set("Location", "../"+url.PathEscape(r.PathValue("token"))+"?done="+done)
		w.WriteHeader(http.StatusSeeOther)
	}
}
