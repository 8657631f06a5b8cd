package escalation

import (
	"github.com/klageflow/klage/glossary"
	"github.com/klageflow/klage/internal/vocab"
)

// Outcome is how a complaint was resolved, by customer service's final
// answer or by the Complaints Department's decision.
type Outcome string

// The outcomes.
const (
	// Upheld: the customer gets what they asked for.
	Upheld Outcome = "upheld"
	// PartlyUpheld: the customer gets part of what they asked for.
	PartlyUpheld Outcome = "partly_upheld"
	// Rejected: the customer gets nothing of what they asked for.
	Rejected Outcome = "rejected"
)

var outcomes = vocab.New("outcome", parseError,
	vocab.Entry[Outcome]{Value: Upheld, Danish: "medhold", English: "upheld"},
	vocab.Entry[Outcome]{Value: PartlyUpheld, Danish: "delvist medhold", English: "partly upheld"},
	vocab.Entry[Outcome]{Value: Rejected, Danish: "afvist", English: "rejected"},
)

// ParseOutcome parses an outcome's wire name. An unknown name returns a
// *glossary.ParseError.
func ParseOutcome(s string) (Outcome, error) { return outcomes.ParseErr(s) }

// Outcomes returns every outcome.
func Outcomes() []Outcome { return outcomes.Values() }

// Valid reports whether o is a known outcome.
func (o Outcome) Valid() bool { return outcomes.Valid(o) }

// FullyUpheld reports whether the customer got all they asked for. When it
// is false, the customer must be told where to take the complaint next.
func (o Outcome) FullyUpheld() bool { return o == Upheld }

// String returns the wire name.
func (o Outcome) String() string { return string(o) }

// Label returns the outcome's name in lang.
func (o Outcome) Label(lang glossary.Language) string {
	return outcomes.Label(o, string(lang))
}

// MarshalText implements encoding.TextMarshaler; it fails for an unknown value.
func (o Outcome) MarshalText() ([]byte, error) { return outcomes.MarshalText(o) }

// UnmarshalText implements encoding.TextUnmarshaler.
func (o *Outcome) UnmarshalText(b []byte) error { return outcomes.UnmarshalText(o, b) }

// parseError reports input that is not in the vocabulary kind, as the
// glossary package does.
func parseError(kind, input string) error { return &glossary.ParseError{Kind: kind, Input: input} }
