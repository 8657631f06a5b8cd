package escalation

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/klageflow/klage/glossary"
	"github.com/klageflow/klage/internal/vocab"
)

// RemedyKind is what a consumer may ask for when goods are defective
// (Købeloven §§78–78 b), or what a complaint grants.
type RemedyKind string

// The remedies.
const (
	Repair         RemedyKind = "repair"          // afhjælpning: the defect is repaired
	Replacement    RemedyKind = "replacement"     // omlevering: the goods are replaced
	PriceReduction RemedyKind = "price_reduction" // forholdsmæssigt afslag: part of the price is refunded
	Cancellation   RemedyKind = "cancellation"    // ophævelse: the purchase is cancelled and the price refunded
	OtherRemedy    RemedyKind = "other"           // anything else: a gift card, compensation, an apology
)

var remedyKinds = vocab.New("remedy", parseError,
	vocab.Entry[RemedyKind]{Value: Repair, Danish: "afhjælpning (reparation)", English: "repair"},
	vocab.Entry[RemedyKind]{Value: Replacement, Danish: "omlevering (ombytning)", English: "replacement"},
	vocab.Entry[RemedyKind]{Value: PriceReduction, Danish: "forholdsmæssigt afslag", English: "price reduction"},
	vocab.Entry[RemedyKind]{Value: Cancellation, Danish: "ophævelse af købet", English: "cancellation (refund)"},
	vocab.Entry[RemedyKind]{Value: OtherRemedy, Danish: "andet", English: "other"},
)

// ParseRemedyKind parses a remedy's wire name.
func ParseRemedyKind(s string) (RemedyKind, error) { return remedyKinds.ParseErr(s) }

// RemedyKinds returns every remedy.
func RemedyKinds() []RemedyKind { return remedyKinds.Values() }

// Valid reports whether k is a known remedy.
func (k RemedyKind) Valid() bool { return remedyKinds.Valid(k) }

// String returns the wire name.
func (k RemedyKind) String() string { return string(k) }

// Label returns the remedy's name in lang.
func (k RemedyKind) Label(lang glossary.Language) string { return remedyKinds.Label(k, string(lang)) }

// MarshalText implements encoding.TextMarshaler; it fails for an unknown value.
func (k RemedyKind) MarshalText() ([]byte, error) { return remedyKinds.MarshalText(k) }

// UnmarshalText implements encoding.TextUnmarshaler.
func (k *RemedyKind) UnmarshalText(b []byte) error { return remedyKinds.UnmarshalText(k, b) }

// Remedy is a remedy asked for or granted: its kind and, optionally, words
// that say more ("a new laptop of the same model", "DKK 500 back").
//
// Its JSON is {"kind", "text"}. A remedy without a kind (what klage v1
// recorded: the customer's own words) is written and read as a plain JSON
// string, so that v1 data keeps its form.
type Remedy struct {
	Kind RemedyKind `json:"kind"`
	Text string     `json:"text,omitempty"`
}

// IsZero reports whether r records nothing.
func (r Remedy) IsZero() bool { return r == Remedy{} }

type remedyFields Remedy // the fields without the methods

// MarshalJSON writes r as {"kind", "text"}, or as its text when it has no
// kind.
func (r Remedy) MarshalJSON() ([]byte, error) {
	if r.Kind == "" {
		return json.Marshal(r.Text)
	}
	return json.Marshal(remedyFields(r))
}

// UnmarshalJSON reads {"kind", "text"} or, as klage v1 wrote it, a string.
func (r *Remedy) UnmarshalJSON(b []byte) error {
	if t := bytes.TrimLeft(b, " \t\r\n"); len(t) > 0 && t[0] == '"' {
		var text string
		if err := json.Unmarshal(b, &text); err != nil {
			return err
		}
		*r = Remedy{Text: text}
		return nil
	}
	var f remedyFields
	if err := json.Unmarshal(b, &f); err != nil {
		return err
	}
	*r = Remedy(f)
	return nil
}

// validate reports a problem with a granted remedy as a *DecisionError on
// field.
func (r *Remedy) validate(field string) error {
	if !r.Kind.Valid() {
		return &DecisionError{Field: field + ".kind", Problem: fmt.Sprintf("unknown remedy %q", r.Kind)}
	}
	if r.Text != "" {
		return checkText(field+".text", r.Text)
	}
	return nil
}
