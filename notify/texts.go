package notify

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	htmltemplate "html/template"
	"reflect"
	"slices"
	"strings"
	texttemplate "text/template"
	"text/template/parse"
	"time"

	"github.com/klageflow/klage/complaint"
	"github.com/klageflow/klage/escalation"
	"github.com/klageflow/klage/glossary"
)

//go:embed texts/*.tmpl
var shipped embed.FS

// ErrTemplate is matched by every *TemplateError.
var ErrTemplate = errors.New("notify: invalid template")

// errODR is the cause of a *TemplateError for a text that links to the
// closed EU ODR platform.
var errODR = errors.New("links to the EU ODR platform, which closed on 20 July 2025")

// TemplateError reports a text or layout that [NewRenderer] refused: it does
// not parse, names a field or template that does not exist, fails on a
// sample notification, or a message the workflow sends has no English text
// to fall back on.
type TemplateError struct {
	Language glossary.Language
	Name     string // the template, e.g. "final_answer.customer.body"
	Err      error
}

// Error implements error.
func (e *TemplateError) Error() string {
	return fmt.Sprintf("notify: template %s/%s: %v", e.Language, e.Name, e.Err)
}

// Unwrap returns ErrTemplate and the cause.
func (e *TemplateError) Unwrap() []error { return []error{ErrTemplate, e.Err} }

// Texts is the wording of the messages in one language: text/template
// source with a {{define}} for each message's subject and body, named
// "<topic>.<recipient>.subject" and "<topic>.<recipient>.body" (for example
// "final_answer.customer.body"), and any parts they share.
//
// A body is written once and rendered twice: as the plain-text part with
// text/template, and as the HTML part with html/template, which escapes
// every value; the HTML layout keeps its line breaks. A template sees a
// [Letter] and the functions label (a state, event, term, outcome, remedy
// or deadline in the message's language, from the workflow's labels), date
// (a time as a date in the message's language) and bodyname (a complaint
// body's name in the message's language).
type Texts struct {
	Language glossary.Language
	Source   string
	// Months are the names of the months, January first, for date; empty
	// means the shipped names for Danish and English and ISO dates
	// (2006-01-02) for other languages.
	Months []string
}

// Shipped returns the Danish and English texts that klage ships, a new
// copy on every call. Read them (notify/texts/*.tmpl) as the model for a
// retailer's own.
func Shipped() []Texts {
	var out []Texts
	for _, lang := range []glossary.Language{glossary.Danish, glossary.English} {
		b, err := shipped.ReadFile("texts/" + string(lang) + ".tmpl")
		if err != nil {
			panic(err) // embedded at build time
		}
		out = append(out, Texts{Language: lang, Source: string(b)})
	}
	return out
}

// ShippedHTMLLayout is the html/template source of the shipped HTML
// layout: a plain, readable page for mail clients. It sees
// {{.Language}}, {{.Subject}} and {{.Body}} (the rendered body, already
// escaped).
func ShippedHTMLLayout() string {
	b, err := shipped.ReadFile("texts/layout.html.tmpl")
	if err != nil {
		panic(err) // embedded at build time
	}
	return string(b)
}

// Letter is what a message template sees: the notification and who sends
// it.
type Letter struct {
	complaint.Notification
	// Language is the language of the message.
	Language glossary.Language
	// Sender signs the message: RendererOptions.Sender.
	Sender string
	// DepartmentSender signs what the Complaints Department sends:
	// RendererOptions.DepartmentSender.
	DepartmentSender string
	// Link, in a message to the customer, is their page's address
	// (RendererOptions.CustomerLink); empty when there is none.
	Link string
}

// RendererOptions configure a [Renderer]. The zero value renders the
// shipped texts with the reference workflow's labels.
type RendererOptions struct {
	// Workflow gives the labels (its translations included) and the
	// messages it can send; nil means the default workflow.
	Workflow *complaint.Workflow
	// Texts are the wording; nil means Shipped(). Texts in the same
	// language apply in order: a later {{define}} replaces an earlier one,
	// so append a retailer's changes to Shipped(). English must have every
	// message the workflow sends: it is the fallback.
	Texts []Texts
	// HTMLLayout is the html/template source that wraps every HTML body;
	// empty means ShippedHTMLLayout().
	HTMLLayout string
	// Sender signs customer messages, e.g. "Kundeservice, Eksempel A/S".
	Sender string
	// DepartmentSender signs the messages of the Complaints Department
	// (its acknowledgement of an escalation, its decision, its updates),
	// e.g. "Klageafdelingen, Eksempel A/S"; empty means the department's
	// name in the message's language. An independent department does not
	// sign as customer service.
	DepartmentSender string
	// CustomerLink, when set, gives the address of the customer's own page
	// for a notification to the customer (klagehttp's GET /case/{token},
	// with a capability token for the complaint), which every message to
	// the customer carries. Empty: no link.
	CustomerLink func(n complaint.Notification) string
	// StaffLanguage is the language of messages to staff and
	// manufacturers; empty means Danish. Customers get their own language.
	StaffLanguage glossary.Language
	// Location is the time zone of dates; nil means the consumer
	// policy's.
	Location *time.Location
}

// Message is a rendered notification: what an e-mail carries.
type Message struct {
	Language glossary.Language
	Subject  string
	Text     string // the plain-text part
	HTML     string // the HTML part, a whole document
}

// Renderer turns notifications into messages in the recipient's language.
// It is safe for concurrent use.
type Renderer struct {
	w      *complaint.Workflow
	langs  map[glossary.Language]*language
	layout *htmltemplate.Template
	sender string
	dept   string
	staff  glossary.Language
	link   func(complaint.Notification) string
}

type language struct {
	text *texttemplate.Template
	html *htmltemplate.Template
}

// Pair is a message a workflow sends: a topic to a recipient.
type Pair struct {
	Topic     complaint.Topic
	Recipient glossary.Role
}

func (p Pair) name(part string) string {
	return string(p.Topic) + "." + string(p.Recipient) + "." + part
}

// Pairs returns every (topic, recipient) a workflow can send: the
// notices of its lifecycle, the acknowledgements of opening (feedback goes
// to the Complaints Department too), a safety flag at intake, and the
// reminders to each clock's owner.
func Pairs(w *complaint.Workflow) []Pair {
	out := []Pair{
		{complaint.TopicAcknowledged, glossary.Customer},
		{complaint.TopicAcknowledged, glossary.ComplaintsDepartment},
		{complaint.TopicSafety, glossary.ComplaintsDepartment},
	}
	for _, r := range w.Lifecycle().Rules {
		for _, n := range r.Notify {
			out = append(out, Pair{n.Topic, n.To})
		}
	}
	out = append(out, Pair{complaint.TopicReminder, glossary.CustomerService}, Pair{complaint.TopicReminder, glossary.ComplaintsDepartment})
	// The timers' reminders: the customer's is a reply reminder, staff's a
	// reminder (a clock's owner is customer service or the department).
	for _, t := range w.Lifecycle().Timers {
		for _, r := range t.Notify {
			if r == glossary.Customer {
				out = append(out, Pair{complaint.TopicReplyReminder, r})
			} else {
				out = append(out, Pair{complaint.TopicReminder, r})
			}
		}
	}
	var uniq []Pair
	for _, p := range out {
		if !slices.Contains(uniq, p) {
			uniq = append(uniq, p)
		}
	}
	return uniq
}

// NewRenderer parses and checks the texts: each must parse, every field
// and template it names must exist, every message must render a sample
// notification, and English must have every message the workflow sends.
// It returns a *TemplateError (ErrTemplate) otherwise.
func NewRenderer(opts RendererOptions) (*Renderer, error) {
	texts := opts.Texts
	if texts == nil {
		texts = Shipped()
	}
	layoutSource := opts.HTMLLayout
	if layoutSource == "" {
		layoutSource = ShippedHTMLLayout()
	}
	// The EU ODR platform closed on 20 July 2025: no text a customer gets
	// may link to it, and the texts are configuration.
	for _, part := range []struct{ name, text string }{{"layout", layoutSource}, {"sender", opts.Sender}, {"department sender", opts.DepartmentSender}} {
		if escalation.MentionsODR(part.text) {
			return nil, &TemplateError{Name: part.name, Err: errODR}
		}
	}
	for _, t := range texts {
		if escalation.MentionsODR(t.Source) {
			return nil, &TemplateError{Language: t.Language, Name: "texts", Err: errODR}
		}
	}
	layout, err := htmltemplate.New("layout").Parse(layoutSource)
	if err != nil {
		return nil, &TemplateError{Name: "layout", Err: err}
	}
	r := &Renderer{w: opts.Workflow, langs: map[glossary.Language]*language{}, layout: layout, sender: opts.Sender, dept: opts.DepartmentSender,
		staff: opts.StaffLanguage, link: opts.CustomerLink}
	if r.staff == "" {
		r.staff = glossary.Danish
	}
	loc := opts.Location
	if loc == nil {
		loc = r.w.Policy(complaint.Consumer).Location
	}
	if loc == nil {
		loc = time.UTC
	}
	for _, t := range texts {
		if !t.Language.Code() {
			return nil, &TemplateError{Language: t.Language, Name: "texts", Err: errors.New("not a language code")}
		}
		l := r.langs[t.Language]
		if l == nil {
			funcs := r.funcs(t.Language, t.Months, loc)
			l = &language{
				text: texttemplate.New(string(t.Language)).Funcs(funcs),
				html: htmltemplate.New(string(t.Language)).Funcs(htmltemplate.FuncMap(funcs)),
			}
			r.langs[t.Language] = l
		}
		if _, err := l.text.Parse(t.Source); err != nil {
			return nil, &TemplateError{Language: t.Language, Name: "texts", Err: err}
		}
		if _, err := l.html.Parse(t.Source); err != nil {
			return nil, &TemplateError{Language: t.Language, Name: "texts", Err: err}
		}
	}
	if err := r.check(); err != nil {
		return nil, err
	}
	return r, nil
}

func (r *Renderer) funcs(lang glossary.Language, months []string, loc *time.Location) texttemplate.FuncMap {
	if len(months) != 12 {
		months = shippedMonths[lang]
	}
	return texttemplate.FuncMap{
		"label": func(v complaint.Labeled) string {
			if v == nil || v.String() == "" {
				return ""
			}
			return r.w.Label(v, lang)
		},
		"date": func(t time.Time) string { return formatDate(t.In(loc), lang, months) },
		// lastday is the last day a period that ends at t includes: a
		// window that runs to the end of 2 May ends at midnight, 3 May
		// 00:00, and a letter says "until 2 May".
		"lastday": func(t time.Time) string {
			if t.IsZero() {
				return formatDate(t, lang, months)
			}
			return formatDate(t.In(loc).Add(-time.Nanosecond), lang, months)
		},
		"bodyname": func(b escalation.Body) string {
			if lang != glossary.Danish && b.EnglishName != "" {
				return b.EnglishName
			}
			return b.Name
		},
	}
}

var shippedMonths = map[glossary.Language][]string{
	glossary.Danish:  {"januar", "februar", "marts", "april", "maj", "juni", "juli", "august", "september", "oktober", "november", "december"},
	glossary.English: {"January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"},
}

func formatDate(t time.Time, lang glossary.Language, months []string) string {
	switch {
	case len(months) != 12:
		return t.Format(time.DateOnly)
	case lang == glossary.Danish:
		return fmt.Sprintf("%d. %s %d", t.Day(), months[t.Month()-1], t.Year())
	default:
		return fmt.Sprintf("%d %s %d", t.Day(), months[t.Month()-1], t.Year())
	}
}

// check verifies every language's messages: the fields they name exist,
// and they render a sample of their topic. English must have them all.
func (r *Renderer) check() error {
	en := r.langs[glossary.English]
	letter := reflect.TypeFor[Letter]()
	for lang, l := range r.langs {
		c := &checker{trees: map[string]*parse.Tree{}, funcs: map[string]reflect.Type{}, done: map[string]bool{}}
		for _, t := range l.text.Templates() {
			c.trees[t.Name()] = t.Tree
		}
		for _, name := range []string{"label", "date", "lastday", "bodyname"} {
			c.funcs[name] = reflect.TypeFor[string]()
		}
		for _, t := range l.text.Templates() {
			if !strings.HasSuffix(t.Name(), ".subject") && !strings.HasSuffix(t.Name(), ".body") {
				continue // a part: checked where a message uses it
			}
			if err := c.template(t.Name(), letter); err != nil {
				return &TemplateError{Language: lang, Name: t.Name(), Err: err}
			}
		}
	}
	for _, p := range Pairs(r.w) {
		for _, part := range []string{"subject", "body"} {
			if en == nil || en.text.Lookup(p.name(part)) == nil {
				return &TemplateError{Language: glossary.English, Name: p.name(part), Err: errors.New("missing: English is the fallback for every message")}
			}
		}
		n := sample(r.w, p)
		for lang := range r.langs {
			if r.langs[lang].text.Lookup(p.name("body")) == nil {
				continue
			}
			// A sample's link is made up: the adopter's link may need what
			// is not built yet, such as the HTTP handler that signs it.
			if _, err := r.render(n, lang, "https://klage.example/case/sample"); err != nil {
				return err
			}
		}
	}
	return nil
}

// Missing lists the messages the workflow sends that lang has no text for
// ("final_answer.customer.body"): those are written in English.
func (r *Renderer) Missing(lang glossary.Language) []string {
	var out []string
	l := r.langs[lang]
	for _, p := range Pairs(r.w) {
		for _, part := range []string{"subject", "body"} {
			if l == nil || l.text.Lookup(p.name(part)) == nil {
				out = append(out, p.name(part))
			}
		}
	}
	return out
}

// Render writes n in its recipient's language: the customer's own
// (Data.Language) for the customer, StaffLanguage for everyone else; in
// English when that language has no text for the message.
func (r *Renderer) Render(n complaint.Notification) (Message, error) {
	lang := r.staff
	if n.Recipient == glossary.Customer {
		lang = n.Data.Language
	}
	link := ""
	if r.link != nil && n.Recipient == glossary.Customer {
		link = r.link(n)
	}
	return r.render(n, lang, link)
}

// render writes n in lang; link is the customer's page, for a message to
// the customer.
func (r *Renderer) render(n complaint.Notification, lang glossary.Language, link string) (Message, error) {
	p := Pair{n.Topic, n.Recipient}
	l := r.langs[lang]
	if l == nil || l.text.Lookup(p.name("subject")) == nil || l.text.Lookup(p.name("body")) == nil {
		lang, l = glossary.English, r.langs[glossary.English]
	}
	if l == nil || l.text.Lookup(p.name("body")) == nil {
		return Message{}, &TemplateError{Language: lang, Name: p.name("body"), Err: errors.New("no such message")}
	}
	letter := Letter{Notification: n, Language: lang, Sender: r.sender, DepartmentSender: r.dept}
	if n.Recipient == glossary.Customer {
		letter.Link = link
	}
	var subject, text, body bytes.Buffer
	if err := l.text.ExecuteTemplate(&subject, p.name("subject"), letter); err != nil {
		return Message{}, &TemplateError{Language: lang, Name: p.name("subject"), Err: err}
	}
	if err := l.text.ExecuteTemplate(&text, p.name("body"), letter); err != nil {
		return Message{}, &TemplateError{Language: lang, Name: p.name("body"), Err: err}
	}
	if err := l.html.ExecuteTemplate(&body, p.name("body"), letter); err != nil {
		return Message{}, &TemplateError{Language: lang, Name: p.name("body") + " (html)", Err: err}
	}
	m := Message{Language: lang, Subject: oneLine(subject.String()), Text: tidy(text.String())}
	var page bytes.Buffer
	err := r.layout.Execute(&page, struct {
		Language glossary.Language
		Subject  string
		Body     htmltemplate.HTML
	}{lang, m.Subject, htmltemplate.HTML(tidy(body.String()))}) // #nosec G203 -- the output of html/template, escaped
	if err != nil {
		return Message{}, &TemplateError{Language: lang, Name: "layout", Err: err}
	}
	m.HTML = page.String()
	return m, nil
}

// oneLine folds a subject onto one line: a header cannot hold a newline.
func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// tidy trims a body and collapses runs of blank lines that optional parts
// leave behind.
func tidy(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	out := lines[:0]
	blank := false
	for _, line := range lines {
		line = strings.TrimRight(line, " \t")
		if line == "" && blank {
			continue
		}
		blank = line == ""
		out = append(out, line)
	}
	return strings.Join(out, "\n") + "\n"
}
