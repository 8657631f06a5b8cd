package glossary_test

import (
	"encoding"
	"encoding/json"
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/klageflow/klage/glossary"
)

// vocabulary is what every glossary type offers, for one table test.
type vocabulary struct {
	kind   string
	wire   []string // DESIGN's wire names, in order
	values func() []string
	parse  func(string) (string, error)
	label  func(string, glossary.Language) string
	text   func(string) encoding.TextMarshaler
}

func strs[T ~string](vs []T) []string {
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = string(v)
	}
	return out
}

func parser[T ~string](f func(string) (T, error)) func(string) (string, error) {
	return func(s string) (string, error) {
		v, err := f(s)
		return string(v), err
	}
}

var vocabularies = []vocabulary{
	{
		kind: "term", wire: []string{"service", "support", "doa", "warranty", "claim", "feedback", "general"},
		values: func() []string { return strs(glossary.Terms()) }, parse: parser(glossary.ParseTerm),
		label: func(s string, l glossary.Language) string { return glossary.Term(s).Label(l) },
		text:  func(s string) encoding.TextMarshaler { return glossary.Term(s) },
	},
	{
		kind: "channel", wire: []string{"email", "chat", "phone", "web"},
		values: func() []string { return strs(glossary.Channels()) }, parse: parser(glossary.ParseChannel),
		label: func(s string, l glossary.Language) string { return glossary.Channel(s).Label(l) },
		text:  func(s string) encoding.TextMarshaler { return glossary.Channel(s) },
	},
	{
		kind: "role", wire: []string{"customer", "customer_service", "complaints_department", "manufacturer", "system"},
		values: func() []string { return strs(glossary.Roles()) }, parse: parser(glossary.ParseRole),
		label: func(s string, l glossary.Language) string { return glossary.Role(s).Label(l) },
		text:  func(s string) encoding.TextMarshaler { return glossary.Role(s) },
	},
	{
		kind: "language", wire: []string{"da", "en"},
		values: func() []string { return strs(glossary.Languages()) }, parse: parser(glossary.ParseLanguage),
		label: func(s string, l glossary.Language) string { return glossary.Language(s).Label(l) },
		text:  func(s string) encoding.TextMarshaler { return glossary.Language(s) },
	},
}

func TestVocabularies(t *testing.T) {
	for _, v := range vocabularies {
		t.Run(v.kind, func(t *testing.T) {
			assert.Equal(t, v.wire, v.values())
			danish, english := map[string]bool{}, map[string]bool{}
			for _, w := range v.wire {
				got, err := v.parse(w)
				require.NoError(t, err, "Parse(%q)", w)
				assert.Equal(t, w, got)

				b, err := v.text(w).MarshalText()
				require.NoError(t, err)
				assert.Equal(t, w, string(b))

				da, en := v.label(w, glossary.Danish), v.label(w, glossary.English)
				assert.NotEmpty(t, da, "Danish label of %q", w)
				assert.NotEmpty(t, en, "English label of %q", w)
				assert.False(t, danish[da], "duplicate Danish label %q", da)
				assert.False(t, english[en], "duplicate English label %q", en)
				danish[da], english[en] = true, true
			}
			for _, bad := range []string{"", "unknown", "EMAIL ", "customer-service"} {
				_, err := v.parse(bad)
				require.Error(t, err, "Parse(%q)", bad)
				assert.True(t, errors.Is(err, glossary.ErrUnknown))
				var pe *glossary.ParseError
				require.ErrorAs(t, err, &pe)
				assert.Equal(t, v.kind, pe.Kind)
				assert.Equal(t, bad, pe.Input)
				assert.Equal(t, fmt.Sprintf("glossary: unknown %s %q", v.kind, bad), err.Error())

				_, err = v.text(bad).MarshalText()
				if v.kind == "role" && bad == "unknown" {
					// A well-formed role name marshals: an extended
					// lifecycle may add roles (see TestRoleTextExtensible).
					assert.NoError(t, err)
					continue
				}
				assert.ErrorIs(t, err, glossary.ErrUnknown, "an unknown value never reaches the wire")
			}
		})
	}
}

// TestRoleTextExtensible: a role an extended lifecycle adds (a technician)
// goes to and from the wire; a malformed one does not, and ParseRole still
// knows only the shipped roles.
func TestRoleTextExtensible(t *testing.T) {
	var r glossary.Role
	require.NoError(t, r.UnmarshalText([]byte("technician")))
	assert.Equal(t, glossary.Role("technician"), r)
	assert.False(t, r.Valid(), "not a shipped role")
	for _, bad := range []string{"", "Technician", "tech-nician", "tech\u202e", "9lives"} {
		assert.Error(t, r.UnmarshalText([]byte(bad)), "UnmarshalText(%q)", bad)
		_, err := glossary.Role(bad).MarshalText()
		assert.Error(t, err, "MarshalText(%q)", bad)
	}
	_, err := glossary.ParseRole("technician")
	assert.ErrorIs(t, err, glossary.ErrUnknown)
}

func TestTermDanishNames(t *testing.T) {
	for in, want := range map[string]glossary.Term{
		"reklamation": glossary.Claim, "Reklamation": glossary.Claim, "REKLAMATION": glossary.Claim,
		"garanti": glossary.Warranty, "Garanti": glossary.Warranty,
		"defekt ved levering": glossary.DOA, "DOA": glossary.DOA, "Service": glossary.Service,
	} {
		got, err := glossary.ParseTerm(in)
		require.NoError(t, err, "ParseTerm(%q)", in)
		assert.Equal(t, want, got, "ParseTerm(%q)", in)
	}
	assert.Equal(t, "reklamation", glossary.Claim.Label(glossary.Danish))
	assert.Equal(t, "garanti", glossary.Warranty.Label(glossary.Danish))
	assert.Equal(t, "warranty", glossary.Warranty.Label(glossary.English))
}

func TestTermDefinitions(t *testing.T) {
	for _, term := range glossary.Terms() {
		da, en := term.Definition(glossary.Danish), term.Definition(glossary.English)
		assert.NotEmpty(t, da, term)
		assert.NotEmpty(t, en, term)
		assert.NotEqual(t, da, en, term)
	}
	assert.Contains(t, glossary.DOA.Definition(glossary.English), "14 days")
	assert.Contains(t, glossary.DOA.Definition(glossary.Danish), "14 dage")
	assert.Empty(t, glossary.Term("refund").Definition(glossary.English))
}

func TestJSON(t *testing.T) {
	type doc struct {
		Kind    glossary.Term    `json:"kind"`
		Channel glossary.Channel `json:"channel"`
		Actor   glossary.Actor   `json:"actor"`
	}
	in := doc{Kind: glossary.Claim, Channel: glossary.Chat, Actor: glossary.Actor{ID: "a-1", Role: glossary.CustomerService}}
	b, err := json.Marshal(in)
	require.NoError(t, err)
	assert.JSONEq(t, `{"kind":"claim","channel":"chat","actor":{"id":"a-1","role":"customer_service"}}`, string(b))
	var out doc
	require.NoError(t, json.Unmarshal(b, &out))
	assert.Equal(t, in, out)

	// Danish names are accepted on the way in and normalised.
	require.NoError(t, json.Unmarshal([]byte(`{"kind":"reklamation"}`), &out))
	assert.Equal(t, glossary.Claim, out.Kind)

	err = json.Unmarshal([]byte(`{"channel":"fax"}`), &out)
	assert.ErrorIs(t, err, glossary.ErrUnknown)
	assert.Equal(t, glossary.Chat, out.Channel, "a failed decode leaves the value")

	_, err = json.Marshal(doc{Kind: "refund"})
	assert.ErrorIs(t, err, glossary.ErrUnknown)
}

func TestActorString(t *testing.T) {
	assert.Equal(t, "complaints_department:cd-1", glossary.Actor{ID: "cd-1", Role: glossary.ComplaintsDepartment}.String())
}

func ExampleParseTerm() {
	t, _ := glossary.ParseTerm("reklamation")
	fmt.Println(t, "-", t.Label(glossary.English), "/", t.Label(glossary.Danish))
	fmt.Println(t.Definition(glossary.English))
	_, err := glossary.ParseTerm("refund")
	fmt.Println(err)
	// Output:
	// claim - claim / reklamation
	// The customer tells the seller that there is a problem with the product they bought.
	// glossary: unknown term "refund"
}
