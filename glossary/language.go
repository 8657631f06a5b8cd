package glossary

import "github.com/klageflow/klage/internal/vocab"

// Language is a language that labels and customer notifications are
// written in, as an ISO 639 code ("da", "sv", "nb", "fi"). Danish and
// English ship with the library; a retailer adds another by giving a
// workflow labels in it (complaint.Translation), and the Label methods of
// the vocabulary types answer in English for a language they do not ship.
// The zero value is not a language.
type Language string

// The languages the library ships labels and texts in.
const (
	Danish  Language = "da"
	English Language = "en"
)

// Code reports whether l is a well-formed language code: two or three
// lower-case ASCII letters.
func (l Language) Code() bool {
	if len(l) < 2 || len(l) > 3 {
		return false
	}
	for i := 0; i < len(l); i++ {
		if l[i] < 'a' || l[i] > 'z' {
			return false
		}
	}
	return true
}

var languages = vocab.New("language", newParseError,
	vocab.Entry[Language]{Value: Danish, Danish: "dansk", English: "Danish", Aliases: []string{"dansk", "danish", "da-DK"}},
	vocab.Entry[Language]{Value: English, Danish: "engelsk", English: "English", Aliases: []string{"engelsk", "english", "en-GB", "en-US"}},
)

// ParseLanguage parses a language code ("da", "en"); it also accepts the
// language's name in Danish or English and a few region-qualified tags.
func ParseLanguage(s string) (Language, error) { return languages.ParseErr(s) }

// Languages returns the languages the library ships.
func Languages() []Language { return languages.Values() }

// Valid reports whether l is a language the library ships.
func (l Language) Valid() bool { return languages.Valid(l) }

// String returns the wire name.
func (l Language) String() string { return string(l) }

// Label returns the name of l written in lang.
func (l Language) Label(lang Language) string { return languages.Label(l, string(lang)) }

// MarshalText implements encoding.TextMarshaler. Any well-formed code
// marshals (a language a retailer added); anything else is an error.
func (l Language) MarshalText() ([]byte, error) {
	if b := languages.Text(l); b != nil {
		return b, nil // shared: see vocab's Set.Text
	}
	if !l.Code() {
		return languages.MarshalText(l)
	}
	return []byte(l), nil
}

// UnmarshalText implements encoding.TextUnmarshaler. It accepts any
// well-formed code, and the names and tags ParseLanguage accepts for the
// shipped languages.
func (l *Language) UnmarshalText(b []byte) error {
	if v, ok := languages.Intern(b); ok {
		*l = v
		return nil
	}
	if v := Language(b); v.Code() {
		*l = v
		return nil
	}
	return languages.UnmarshalText(l, b)
}
