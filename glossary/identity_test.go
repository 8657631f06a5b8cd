package glossary_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/klageflow/klage/glossary"
)

// The eight ways "anna" was written to pass for someone else: each is the
// same actor after normalisation, or refused.
var annaVariants = []string{
	"Anna",       // case
	"ANNA",       // case
	"anna ",      // trailing space
	" anna",      // leading space
	"ａｎｎａ",       // full-width letters (NFKC)
	"\u0430nna",  // a Cyrillic а among Latin letters
	"an\u200bna", // a zero-width space
	"anna\u202e", // a right-to-left override
}

func TestIdentityVariants(t *testing.T) {
	for _, v := range annaVariants {
		problem := glossary.IDProblem(v)
		same := glossary.SameID("anna", v)
		assert.True(t, same || problem != "", "%q is neither the same as anna nor refused", v)
		if problem == "" {
			assert.Equal(t, "anna", glossary.NormalID(v), "%q", v)
		}
	}
	assert.NotEmpty(t, glossary.IDProblem("\u0430nna"), "mixed scripts")
	assert.NotEmpty(t, glossary.IDProblem("an\u200bna"))
	assert.NotEmpty(t, glossary.IDProblem("anna\u202e"))
	assert.NotEmpty(t, glossary.IDProblem("anna\ue000"), "private use")
	assert.NotEmpty(t, glossary.IDProblem("an\u00adna"), "soft hyphen")
	assert.NotEmpty(t, glossary.IDProblem("\xff"), "not UTF-8")
}

func TestIdentityLegitimate(t *testing.T) {
	for _, id := range []string{"anna", "anna.jensen@example.dk", "agent-17", "søren", "Ærø", "анна", "山田太郎", "やまだ", "김민준", "ÅSE"} {
		assert.Empty(t, glossary.IDProblem(id), "%q", id)
	}
	assert.False(t, glossary.SameID("anna", "анна"), "an all-Cyrillic name is another person")
	assert.True(t, glossary.SameID("Søren", "SØREN"))
	// RFC 8265 maps case to lower case, not by full folding: ß stays ß.
	assert.True(t, glossary.SameID("STRASSE", "strasse"))
	assert.True(t, glossary.SameID("Straße", "straße"))
	assert.Equal(t, "anna", glossary.NormalID("anna"))
	allocs := testing.AllocsPerRun(100, func() { _ = glossary.IDProblem("agent-17"); _ = glossary.SameID("agent-17", "agent-17") })
	assert.Zero(t, allocs, "the common path does not allocate")
}

// TestIdentityPRECIS: every character that would let one person pass for
// another is refused where an id enters (RFC 8264 disallows it in the
// IdentifierClass, or RFC 8265's rules do), and the ids RFC 8265 maps to
// one form are one person.
func TestIdentityPRECIS(t *testing.T) {
	for _, tc := range []struct {
		name string
		r    string
	}{
		{"combining grapheme joiner", "\u034f"},
		{"variation selector 1", "\ufe00"},
		{"variation selector 16", "\ufe0f"},
		{"variation selector 17", "\U000E0100"},
		{"variation selector 256", "\U000E01EF"},
		{"braille pattern blank", "\u2800"},
		{"Khmer vowel inherent aq", "\u17b4"},
		{"Mongolian free variation selector", "\u180b"},
		{"zero-width joiner", "\u200d"},
		{"zero-width non-joiner", "\u200c"},
		{"word joiner", "\u2060"},
		{"Hangul filler", "\u3164"},
		{"no-break space", "\u00a0"},
		{"ideographic space", "\u3000"},
		{"symbol (RFC 8264: disallowed outside ASCII)", "\u2603"},
		{"compatibility ligature", "\ufb01"},
		{"unassigned", "\U0003FFFD"},
	} {
		for _, id := range []string{"agent-1" + tc.r, "agent" + tc.r + "-1", tc.r + "agent-1"} {
			assert.NotEmpty(t, glossary.IDProblem(id), "%s in %q", tc.name, id)
		}
	}
	for _, tc := range []struct{ a, b string }{
		{"agent-1", "AGENT-1"},
		{"agent-1", "ＡＧＥＮＴ－１"}, // width mapping
		{"Søren", "søren"},
		{"Hewlett Packard", "hewlett  packard"},
		{"ÅSE", "åse"},
	} {
		assert.True(t, glossary.SameID(tc.a, tc.b), "%q and %q", tc.a, tc.b)
	}
}

// TestLookAlike: ids that a reader takes for one person are one person to
// the impartiality rule, though not to the rules that let a person act.
func TestLookAlike(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		same bool
	}{
		{"ceo", "\u0441\u0435\u043e", true},        // all Cyrillic
		{"coco", "\u0441\u043e\u0441\u043e", true}, // all Cyrillic
		{"agent-1", "agent-l", true},               // one and ell
		{"morten", "rnorten", true},                // rn and m
		{"anna", "anne", false},
		{"agent-1", "agent-2", false},
	} {
		assert.Equal(t, tc.same, glossary.LookAlike(tc.a, tc.b), "%q and %q", tc.a, tc.b)
		if tc.a != tc.b && tc.same {
			assert.False(t, glossary.SameID(tc.a, tc.b), "%q may not act as %q", tc.b, tc.a)
		}
	}
}
