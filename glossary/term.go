package glossary

import "github.com/klageflow/klage/internal/vocab"

// Term is a word of the complaints policy. A complaint's kind is a Term: the
// customer asks for service, for support, reports a DOA item, invokes the
// manufacturer's warranty, or makes a claim against the seller.
type Term string

// The terms.
const (
	// Service: an authorised technician works on the product, sent in or on
	// site.
	Service Term = "service"
	// Support: guidance by web, e-mail or phone, such as how to connect or
	// troubleshoot a product.
	Support Term = "support"
	// DOA (dead on arrival): the item was broken when it was delivered.
	DOA Term = "doa"
	// Warranty (garanti): a voluntary promise, usually by the manufacturer,
	// covering faults for a limited period.
	Warranty Term = "warranty"
	// Claim (reklamation): the customer tells the seller that something is
	// wrong with the product they bought.
	Claim Term = "claim"
	// Feedback: views and opinions on the company, for the Complaints
	// Department's improvement work. It is about no product.
	Feedback Term = "feedback"
	// General: a complaint about something other than a product: delivery,
	// billing, staff.
	General Term = "general"
)

// AboutProduct reports whether a complaint of kind t is about a product:
// every kind but Feedback and General. Only those need a product and get a
// claim assessment.
func (t Term) AboutProduct() bool { return t != Feedback && t != General }

var terms = vocab.New("term", newParseError,
	vocab.Entry[Term]{Value: Service, Danish: "service", English: "service", Aliases: []string{"service"}},
	vocab.Entry[Term]{Value: Support, Danish: "support", English: "support", Aliases: []string{"support"}},
	vocab.Entry[Term]{Value: DOA, Danish: "DOA (defekt ved levering)", English: "DOA (dead on arrival)",
		Aliases: []string{"doa", "dead on arrival", "defekt ved levering"}},
	vocab.Entry[Term]{Value: Warranty, Danish: "garanti", English: "warranty", Aliases: []string{"garanti"}},
	vocab.Entry[Term]{Value: Claim, Danish: "reklamation", English: "claim", Aliases: []string{"reklamation"}},
	vocab.Entry[Term]{Value: Feedback, Danish: "synspunkter og forslag", English: "feedback", Aliases: []string{"synspunkt"}},
	vocab.Entry[Term]{Value: General, Danish: "generel klage", English: "general complaint", Aliases: []string{"generel klage"}},
)

// definitions are written in our own words from the retailer's policy.
var definitions = map[Term][2]string{ // [Danish, English]
	Service: {
		"En autoriseret tekniker udfører arbejde på produktet, enten indsendt til værksted eller hos kunden.",
		"An authorised technician works on the product, either sent in to a workshop or at the customer's site.",
	},
	Support: {
		"Vejledning via web, e-mail eller telefon, fx hvordan et produkt tilsluttes, eller hvordan en fejl findes.",
		"Guidance by web, e-mail or phone, for example how to connect a product or how to track down a fault.",
	},
	DOA: {
		"Varen virker ikke ved levering. Fremgangsmåden afhænger af producenten; målet er, at defekte varer som standard erstattes inden for 14 dage.",
		"The item does not work when it is delivered. The procedure depends on the manufacturer; the aim is that defective items are replaced within 14 days as standard.",
	},
	Warranty: {
		"Et frivilligt løfte, som regel fra producenten, der i en begrænset periode dækker fabrikationsfejl og fejl, der opstår af sig selv.",
		"A voluntary promise, usually from the manufacturer, that covers manufacturing faults and faults that arise by themselves for a limited period.",
	},
	Claim: {
		"Kunden gør sælgeren opmærksom på, at der er et problem med den købte vare.",
		"The customer tells the seller that there is a problem with the product they bought.",
	},
	Feedback: {
		"Kundens synspunkter og forslag om virksomheden, som Klageafdelingen bruger i sit arbejde med at forbedre procedurerne.",
		"The customer's views and suggestions about the company, which the Complaints Department uses to improve procedures.",
	},
	General: {
		"En klage over andet end en vare, fx levering, fakturering eller personalets optræden.",
		"A complaint about something other than a product, such as delivery, billing or how staff behaved.",
	},
}

// ParseTerm parses a term's wire name; it also accepts the Danish name
// ("reklamation", "garanti", ...) in any letter case.
func ParseTerm(s string) (Term, error) { return terms.ParseErr(s) }

// Terms returns every term.
func Terms() []Term { return terms.Values() }

// Valid reports whether t is a known term.
func (t Term) Valid() bool { return terms.Valid(t) }

// String returns the wire name.
func (t Term) String() string { return string(t) }

// Label returns the term's name in lang.
func (t Term) Label(lang Language) string { return terms.Label(t, string(lang)) }

// Definition returns what the term means, in lang, or "" for an unknown term.
func (t Term) Definition(lang Language) string {
	d, ok := definitions[t]
	if !ok {
		return ""
	}
	if lang == English {
		return d[1]
	}
	return d[0]
}

// MarshalText implements encoding.TextMarshaler; it fails for an unknown value.
func (t Term) MarshalText() ([]byte, error) { return terms.MarshalText(t) }

// UnmarshalText implements encoding.TextUnmarshaler.
func (t *Term) UnmarshalText(b []byte) error { return terms.UnmarshalText(t, b) }
