package notify_test

import (
	"errors"
	"flag"
	"html"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/klageflow/klage/complaint"
	"github.com/klageflow/klage/glossary"
	"github.com/klageflow/klage/internal/notifytest"
	"github.com/klageflow/klage/notify"
)

var update = flag.Bool("update", false, "rewrite the golden files")

func renderer(t testing.TB, opts notify.RendererOptions) *notify.Renderer {
	t.Helper()
	if opts.Sender == "" {
		opts.Sender = "Kundeservice, Eksempel A/S"
	}
	r, err := notify.NewRenderer(opts)
	require.NoError(t, err)
	return r
}

var customerTypes = []complaint.CustomerType{complaint.Consumer, complaint.Business}

func golden(m notify.Message) string {
	return "Subject: " + m.Subject + "\nLanguage: " + string(m.Language) + "\n\n" + m.Text + "\n-- html --\n" + m.HTML
}

// TestGolden renders every message the walks produce, for each topic,
// recipient, language and customer type, and compares it with its golden
// file. Refresh them with go test ./notify -run TestGolden -update.
func TestGolden(t *testing.T) {
	r := renderer(t, notify.RendererOptions{})
	dir := filepath.Join("testdata", "golden")
	if *update {
		require.NoError(t, os.RemoveAll(dir))
		require.NoError(t, os.MkdirAll(dir, 0o755))
	}
	seen := map[notify.Pair]bool{}
	files := 0
	for _, lang := range []glossary.Language{glossary.Danish, glossary.English} {
		for _, typ := range customerTypes {
			done := map[string]bool{}
			for _, s := range notifytest.Walk(t, typ, lang) {
				name := s.Name + "." + string(lang) + "." + string(typ) + ".txt"
				if done[name] {
					continue
				}
				done[name] = true
				seen[notify.Pair{Topic: s.N.Topic, Recipient: s.N.Recipient}] = true
				m, err := r.Render(s.N)
				require.NoError(t, err, name)
				path := filepath.Join(dir, name)
				files++
				if *update {
					require.NoError(t, os.WriteFile(path, []byte(golden(m)), 0o644))
					continue
				}
				want, err := os.ReadFile(path)
				require.NoError(t, err, "run go test ./notify -run TestGolden -update")
				assert.Equal(t, string(want), golden(m), name)
			}
		}
	}
	for _, p := range notify.Pairs(nil) {
		assert.True(t, seen[p], "no golden file for %s to %s", p.Topic, p.Recipient)
	}
	if !*update {
		entries, err := os.ReadDir(dir)
		require.NoError(t, err)
		assert.Len(t, entries, files, "golden files that no walk produces: run with -update")
	}
}

// TestLegalParts checks, in every message of every walk, what the law and
// the design require a text to say: how to escalate an answer that did not
// give the customer all they asked for; the complaint bodies (name, postal
// address, website) when a consumer's complaint is not upheld in full; the
// remedy granted; the remedy carried out and its reference.
func TestLegalParts(t *testing.T) {
	r := renderer(t, notify.RendererOptions{})
	for _, lang := range []glossary.Language{glossary.Danish, glossary.English} {
		for _, typ := range customerTypes {
			for _, s := range notifytest.Walk(t, typ, lang) {
				n := s.N
				m, err := r.Render(n)
				require.NoError(t, err)
				has := func(what, want string) {
					t.Helper()
					assert.Contains(t, m.Text, want, "%s %s %s: text lacks %s", s.Name, lang, typ, what)
					assert.Contains(t, m.HTML, html.EscapeString(want), "%s %s %s: HTML lacks %s", s.Name, lang, typ, what)
				}
				d := n.Data
				notUpheld := (n.Topic == complaint.TopicFinalAnswer && !d.Answer.Outcome.FullyUpheld()) ||
					(n.Topic == complaint.TopicReviewed && !d.Decision.Outcome.FullyUpheld())
				if n.Recipient == glossary.Customer && n.Topic == complaint.TopicFinalAnswer && notUpheld {
					require.NotNil(t, d.Escalation, s.Name)
					has("how to escalate", d.Escalation.Instructions)
					has("the Complaints Department's contact", d.Escalation.Contact)
				}
				if n.Recipient == glossary.Customer && notUpheld && typ == complaint.Consumer {
					require.NotEmpty(t, d.ComplaintBodies, s.Name)
				}
				for _, b := range d.ComplaintBodies {
					name := b.Name
					if lang == glossary.English {
						name = b.EnglishName
					}
					has("a complaint body's name", name)
					has("a complaint body's address", b.Address)
					has("a complaint body's website", b.Website)
				}
				if n.Topic == complaint.TopicFinalAnswer && d.Answer.Remedy != nil {
					has("the remedy granted", d.Answer.Remedy.Kind.Label(lang))
					has("the remedy's text", d.Answer.Remedy.Text)
				}
				if n.Topic == complaint.TopicReviewed && d.Decision.Remedy != nil {
					has("the remedy granted", d.Decision.Remedy.Kind.Label(lang))
					has("the remedy's text", d.Decision.Remedy.Text)
				}
				if d.Fulfilment != nil {
					has("the remedy carried out", d.Fulfilment.Remedy.Label(lang))
					has("the fulfilment's reference", d.Fulfilment.Reference)
				}
				has("the case number", n.ComplaintID)
			}
		}
	}
}

func TestRendersInTheCustomersLanguage(t *testing.T) {
	r := renderer(t, notify.RendererOptions{StaffLanguage: glossary.English})
	for _, s := range notifytest.Walk(t, complaint.Consumer, glossary.Danish) {
		m, err := r.Render(s.N)
		require.NoError(t, err)
		want := glossary.English
		if s.N.Recipient == glossary.Customer {
			want = glossary.Danish
		}
		assert.Equal(t, want, m.Language, s.Name)
		assert.NotContains(t, m.Subject, "\n")
	}
}

func TestHTMLEscapesValues(t *testing.T) {
	r := renderer(t, notify.RendererOptions{})
	s := notifytest.Walk(t, complaint.Consumer, glossary.English)[0]
	s.N.Data.Customer.Name = `<script>alert("x")</script>`
	m, err := r.Render(s.N)
	require.NoError(t, err)
	assert.Contains(t, m.Text, `<script>alert("x")</script>`)
	assert.NotContains(t, m.HTML, "<script>")
	assert.Contains(t, m.HTML, "&lt;script&gt;")
}

func TestRetailerTexts(t *testing.T) {
	// A retailer changes one message and adds Swedish for one topic: the
	// rest of Swedish falls back to English, and Missing says what.
	texts := append(notify.Shipped(),
		notify.Texts{Language: glossary.English, Source: `{{define "started.customer.subject"}}Hello from Acme ({{.ComplaintID}}){{end}}`},
		notify.Texts{Language: "sv", Source: `{{define "started.customer.subject"}}Vi arbetar med ditt ärende{{end}}` +
			`{{define "started.customer.body"}}Hej {{.Data.Customer.Name}}, vi har börjat.{{end}}`,
			Months: []string{"januari", "februari", "mars", "april", "maj", "juni", "juli", "augusti", "september", "oktober", "november", "december"}},
	)
	r := renderer(t, notify.RendererOptions{Texts: texts})
	var started, ack complaint.Notification
	for _, s := range notifytest.Walk(t, complaint.Consumer, glossary.English) {
		switch s.N.Topic {
		case complaint.TopicStarted:
			started = s.N
		case complaint.TopicAcknowledged:
			ack = s.N
		}
	}
	m, err := r.Render(started)
	require.NoError(t, err)
	assert.Equal(t, "Hello from Acme ("+started.ComplaintID+")", m.Subject)

	started.Data.Language, ack.Data.Language = "sv", "sv"
	m, err = r.Render(started)
	require.NoError(t, err)
	assert.Equal(t, glossary.Language("sv"), m.Language)
	assert.Equal(t, "Hej Karen Jensen, vi har börjat.\n", m.Text)
	m, err = r.Render(ack)
	require.NoError(t, err)
	assert.Equal(t, glossary.English, m.Language, "no Swedish acknowledgement: English")

	missing := r.Missing("sv")
	assert.Contains(t, missing, "acknowledged.customer.body")
	assert.NotContains(t, missing, "started.customer.body")
	assert.Empty(t, r.Missing(glossary.Danish))
}

func TestRendererRefusesBadTexts(t *testing.T) {
	override := func(lang glossary.Language, src string) []notify.Texts {
		return append(notify.Shipped(), notify.Texts{Language: lang, Source: src})
	}
	cases := []struct {
		name  string
		texts []notify.Texts
		want  string
	}{
		{"a field that does not exist", override(glossary.Danish, `{{define "started.customer.body"}}{{.Data.Nope}}{{end}}`), "Nope"},
		{"a field in a branch no sample takes", override(glossary.English,
			`{{define "started.customer.body"}}{{if .Data.Note}}x{{else}}{{.Data.Customer.Nmae}}{{end}}{{end}}`), "Nmae"},
		{"a field inside with", override(glossary.English,
			`{{define "fulfilled.customer.body"}}{{with .Data.Fulfilment}}{{.Referance}}{{end}}{{end}}`), "Referance"},
		{"a field inside range", override(glossary.English,
			`{{define "final_answer.customer.body"}}{{range .Data.ComplaintBodies}}{{.Adress}}{{end}}{{end}}`), "Adress"},
		{"a part that does not exist", override(glossary.English, `{{define "started.customer.body"}}{{template "nope" .}}{{end}}`), "nope"},
		{"a field in a part", override(glossary.English, `{{define "signoff"}}{{.Sendr}}{{end}}`), "Sendr"},
		{"a syntax error", override(glossary.English, `{{define "started.customer.body"}}{{.Data.Note}{{end}}`), "bad character"},
		{"no English text", []notify.Texts{{Language: glossary.Danish, Source: notify.Shipped()[0].Source}}, "English"},
		{"a function misused", override(glossary.English, `{{define "started.customer.body"}}{{date .Data.Note}}{{end}}`), "time.Time"},
		{"not a language", append(notify.Shipped(), notify.Texts{Language: "Svenska", Source: ""}), "language"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := notify.NewRenderer(notify.RendererOptions{Texts: tc.texts})
			require.Error(t, err)
			assert.True(t, errors.Is(err, notify.ErrTemplate), err.Error())
			var te *notify.TemplateError
			require.ErrorAs(t, err, &te)
			assert.Contains(t, err.Error(), tc.want)
			assert.True(t, strings.HasPrefix(err.Error(), "notify: "), err.Error())
		})
	}
	_, err := notify.NewRenderer(notify.RendererOptions{HTMLLayout: "{{.Body"})
	assert.ErrorIs(t, err, notify.ErrTemplate)
}

func TestPairsOfAnExtendedLifecycle(t *testing.T) {
	lc := complaint.Reference()
	lc.Find(complaint.EventStart, complaint.StateReceived).Notify = append(lc.Find(complaint.EventStart, complaint.StateReceived).Notify,
		complaint.Notice{Topic: complaint.TopicStarted, To: glossary.Manufacturer})
	w, err := complaint.New(complaint.Options{Lifecycle: &lc})
	require.NoError(t, err)
	assert.True(t, slices.Contains(notify.Pairs(w), notify.Pair{Topic: complaint.TopicStarted, Recipient: glossary.Manufacturer}))
	_, err = notify.NewRenderer(notify.RendererOptions{Workflow: w})
	require.ErrorIs(t, err, notify.ErrTemplate, "the workflow sends a message English has no text for")
	assert.Contains(t, err.Error(), "started.manufacturer")
	_, err = notify.NewRenderer(notify.RendererOptions{Workflow: w, Texts: append(notify.Shipped(), notify.Texts{Language: glossary.English,
		Source: `{{define "started.manufacturer.subject"}}Started{{end}}{{define "started.manufacturer.body"}}{{template "case-details" .}}{{end}}`})})
	require.NoError(t, err)
}

// TestReadmeEmail keeps the rendered e-mail in docs/notifications.md in step with the
// shipped texts: it is the golden file's subject and plain-text part.
func TestReadmeEmail(t *testing.T) {
	g, err := os.ReadFile(filepath.Join("testdata", "golden", "final_answer.customer.partly_upheld.da.consumer.txt"))
	require.NoError(t, err)
	head, rest, ok := strings.Cut(string(g), "\n\n")
	require.True(t, ok)
	subject, _, _ := strings.Cut(head, "\n")
	text, _, ok := strings.Cut(rest, "\n-- html --\n")
	require.True(t, ok)
	readme, err := os.ReadFile("../docs/notifications.md")
	require.NoError(t, err)
	want := "```text\n" + subject + "\n\n" + text + "```\n"
	assert.Contains(t, string(readme), want, "docs/notifications.md should show the golden e-mail")
}

// TestDepartmentSigns: what the Complaints Department tells a customer is
// signed by the department, never by customer service: it is independent.
func TestDepartmentSigns(t *testing.T) {
	r := renderer(t, notify.RendererOptions{DepartmentSender: "Klageafdelingen, Eksempel A/S"})
	checked := 0
	for _, lang := range []glossary.Language{glossary.Danish, glossary.English} {
		for _, s := range notifytest.Walk(t, complaint.Consumer, lang) {
			n := s.N
			if n.Recipient != glossary.Customer {
				continue
			}
			m, err := r.Render(n)
			require.NoError(t, err)
			fromDepartment := n.Data.By == glossary.ComplaintsDepartment || n.Topic == complaint.TopicEscalated || n.Topic == complaint.TopicReviewed
			if fromDepartment {
				checked++
				assert.Contains(t, m.Text, "Klageafdelingen, Eksempel A/S", s.Name)
				assert.NotContains(t, m.Text, "Kundeservice, Eksempel A/S", s.Name)
			} else {
				assert.Contains(t, m.Text, "Kundeservice, Eksempel A/S", s.Name)
			}
		}
	}
	assert.Positive(t, checked)
}

// TestCustomerLink: every message to the customer carries the address of
// their own page when the renderer has one, escaped in the HTML part;
// messages to staff never do, and without the option nothing is added.
func TestCustomerLink(t *testing.T) {
	link := func(n complaint.Notification) string {
		return "https://klage.example/case/" + n.ComplaintID + "?a=1&b=2"
	}
	with := renderer(t, notify.RendererOptions{CustomerLink: link})
	without := renderer(t, notify.RendererOptions{})
	customers := 0
	for _, lang := range []glossary.Language{glossary.Danish, glossary.English} {
		for _, s := range notifytest.Walk(t, complaint.Consumer, lang) {
			m, err := with.Render(s.N)
			require.NoError(t, err)
			plain, err := without.Render(s.N)
			require.NoError(t, err)
			assert.NotContains(t, plain.Text, "klage.example", s.Name)
			if s.N.Recipient != glossary.Customer {
				assert.NotContains(t, m.Text, "klage.example", s.Name)
				continue
			}
			customers++
			assert.Contains(t, m.Text, link(s.N), s.Name)
			assert.Contains(t, m.HTML, html.EscapeString(link(s.N)), s.Name)
		}
	}
	assert.Positive(t, customers)
}
