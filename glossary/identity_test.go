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
	assert.True(t, glossary.SameID("straße", "STRASSE"), "full case folding")
	assert.Equal(t, "anna", glossary.NormalID("anna"))
	allocs := testing.AllocsPerRun(100, func() { _ = glossary.IDProblem("agent-17"); _ = glossary.SameID("agent-17", "agent-17") })
	assert.Zero(t, allocs, "the common path does not allocate")
}
