package complaint

import (
	"fmt"
	"slices"

	"github.com/klageflow/klage/escalation"
	"github.com/klageflow/klage/glossary"
	"github.com/klageflow/klage/internal/vocab"
)

// Translation names what a workflow shows people in one language that the
// library does not ship, or changes the shipped wording of one it does.
// Give it to [Options].Translations; [Workflow.Label] answers from it, and
// [Workflow.MissingLabels] reports what it leaves out (those fall back to
// English). A customer whose Language has a translation is written to in
// it.
type Translation struct {
	Language      glossary.Language
	States        map[State]string
	Events        map[Event]string
	Roles         map[glossary.Role]string
	Terms         map[glossary.Term]string
	Channels      map[glossary.Channel]string
	Topics        map[Topic]string
	Deadlines     map[DeadlineName]string
	CustomerTypes map[CustomerType]string
	Outcomes      map[escalation.Outcome]string
	// EscalationInstructions tell a customer how to take a final answer
	// to the Complaints Department (see [EscalationInfo]).
	EscalationInstructions string
}

// Labeled is a value with a name in each shipped language: a [State],
// [Event], [Topic], [DeadlineName], [CustomerType], glossary.Role,
// glossary.Term, glossary.Channel or escalation.Outcome.
type Labeled interface {
	String() string
	Label(lang glossary.Language) string
}

// labels is what a workflow says in each language, beyond the shipped
// tables: translations, and the labels of an extended lifecycle. The keys
// are the typed values themselves, so a state and an event of the same
// name are different keys.
type labels struct {
	names        map[glossary.Language]map[any]string
	instructions map[glossary.Language]string
}

func addAll[K comparable](dst map[any]string, src map[K]string) {
	for k, v := range src {
		dst[k] = v
	}
}

// newLabels collects the lifecycle's labels and the translations, checking
// that each translation is for a well-formed language, at most once, and
// names only values the workflow knows.
func newLabels(m *machine, ts []Translation) (*labels, error) {
	l := &labels{names: map[glossary.Language]map[any]string{}, instructions: map[glossary.Language]string{}}
	add := func(lang glossary.Language, k any, v string) {
		if l.names[lang] == nil {
			l.names[lang] = map[any]string{}
		}
		l.names[lang][k] = v
	}
	for _, s := range m.lc.States {
		for lang, v := range s.Labels {
			add(lang, s.State, v)
		}
	}
	for e, byLang := range m.labels {
		for lang, v := range byLang {
			add(lang, e, v)
		}
	}
	seen := map[glossary.Language]bool{}
	for i, t := range ts {
		field := fmt.Sprintf("Translations[%d]", i)
		if !t.Language.Code() || seen[t.Language] {
			return nil, &ConfigError{Field: field + ".Language", Problem: fmt.Sprintf("%q is not a language code, or has two translations", t.Language)}
		}
		seen[t.Language] = true
		for s := range t.States {
			if m.state(s) == nil {
				return nil, &ConfigError{Field: field + ".States", Problem: fmt.Sprintf("%q is not a state of the lifecycle", s)}
			}
		}
		for e := range t.Events {
			if !m.known(e) {
				return nil, &ConfigError{Field: field + ".Events", Problem: fmt.Sprintf("%q is not an event of the lifecycle", e)}
			}
		}
		for r := range t.Roles {
			if !m.role(r) {
				return nil, &ConfigError{Field: field + ".Roles", Problem: fmt.Sprintf("%q is not a role of the lifecycle", r)}
			}
		}
		if escalation.MentionsODR(t.EscalationInstructions) {
			return nil, &ConfigError{Field: field + ".EscalationInstructions", Problem: odrProblem}
		}
		if l.names[t.Language] == nil {
			l.names[t.Language] = map[any]string{}
		}
		dst := l.names[t.Language]
		addAll(dst, t.States)
		addAll(dst, t.Events)
		addAll(dst, t.Roles)
		addAll(dst, t.Terms)
		addAll(dst, t.Channels)
		addAll(dst, t.Topics)
		addAll(dst, t.Deadlines)
		addAll(dst, t.CustomerTypes)
		addAll(dst, t.Outcomes)
		for k, v := range dst {
			if escalation.MentionsODR(v) {
				return nil, &ConfigError{Field: field, Problem: fmt.Sprintf("the label of %v %s", k, odrProblem)}
			}
		}
		if err := checkText(field+".EscalationInstructions", t.EscalationInstructions, MaxTextLen); err != nil {
			return nil, &ConfigError{Field: field + ".EscalationInstructions", Problem: err.Error()}
		}
		if t.EscalationInstructions != "" {
			l.instructions[t.Language] = t.EscalationInstructions
		}
	}
	return l, nil
}

// lookup returns v's label in lang from the workflow's own labels or the
// shipped tables, and whether there was one.
func (l *labels) lookup(v Labeled, lang glossary.Language) (string, bool) {
	if s, ok := l.names[lang][v]; ok && s != "" {
		return s, true
	}
	if vocab.Shipped(string(lang)) {
		if s := v.Label(lang); s != "" {
			return s, true
		}
	}
	return "", false
}

// Label returns v's name in lang: the workflow's translation or lifecycle
// label, else the shipped label, else the English one, else the wire name.
// It never fails: [Workflow.MissingLabels] reports what falls back.
func (w *Workflow) Label(v Labeled, lang glossary.Language) string {
	w = w.orDefault()
	if s, ok := w.labels.lookup(v, lang); ok {
		return s
	}
	if s, ok := w.labels.lookup(v, glossary.English); ok {
		return s
	}
	return v.String()
}

// Languages returns the languages the workflow writes in: the shipped ones
// and those it has a translation for, sorted.
func (w *Workflow) Languages() []glossary.Language {
	w = w.orDefault()
	out := glossary.Languages()
	for lang := range w.labels.names {
		if !slices.Contains(out, lang) {
			out = append(out, lang)
		}
	}
	slices.Sort(out)
	return out
}

// speaks reports whether the workflow writes in lang.
func (w *Workflow) speaks(lang glossary.Language) bool {
	return lang.Valid() || w.labels.names[lang] != nil
}

// labeled lists every value the workflow may show a person.
func (w *Workflow) labeled() []Labeled {
	var out []Labeled
	for _, s := range w.m.lc.States {
		out = append(out, s.State)
	}
	for _, e := range append([]Event{EventOpen}, w.m.events...) {
		out = append(out, e)
	}
	for _, r := range w.m.lc.Roles {
		out = append(out, r)
	}
	for _, t := range glossary.Terms() {
		out = append(out, t)
	}
	for _, c := range glossary.Channels() {
		out = append(out, c)
	}
	for _, t := range Topics() {
		out = append(out, t)
	}
	for _, d := range deadlineNames.Values() {
		out = append(out, d)
	}
	for _, t := range customerTypes.Values() {
		out = append(out, t)
	}
	for _, o := range escalation.Outcomes() {
		out = append(out, o)
	}
	return out
}

// MissingLabels lists, as "kind value" (for example "state service"), what
// the workflow has no label for in lang, so that a retailer adding a
// language can see what falls back to English; with "escalation
// instructions" when the customer texts lack them. It is empty for the
// shipped languages with the reference lifecycle.
func (w *Workflow) MissingLabels(lang glossary.Language) []string {
	w = w.orDefault()
	var out []string
	for _, v := range w.labeled() {
		if _, ok := w.labels.lookup(v, lang); !ok {
			out = append(out, fmt.Sprintf("%s %s", kindOf(v), v))
		}
	}
	if !lang.Valid() && w.labels.instructions[lang] == "" {
		out = append(out, "escalation instructions")
	}
	return out
}

func kindOf(v Labeled) string {
	switch v.(type) {
	case State:
		return "state"
	case Event:
		return "event"
	case glossary.Role:
		return "role"
	case glossary.Term:
		return "term"
	case glossary.Channel:
		return "channel"
	case Topic:
		return "topic"
	case DeadlineName:
		return "deadline"
	case CustomerType:
		return "customer type"
	case escalation.Outcome:
		return "outcome"
	}
	return fmt.Sprintf("%T", v)
}

// instructions returns how a customer writing in lang escalates.
func (w *Workflow) instructions(lang glossary.Language) string {
	if s := w.labels.instructions[lang]; s != "" {
		return s
	}
	if lang == glossary.Danish {
		return escalationInstructions[glossary.Danish]
	}
	return escalationInstructions[glossary.English]
}
