package glossary

import "github.com/klageflow/klage/internal/vocab"

// Language is a language that labels and customer notifications are
// written in. The zero value is not a language; Label methods treat every
// value but English as Danish.
type Language string

// The languages.
const (
	Danish  Language = "da"
	English Language = "en"
)

var languages = vocab.New("language", NewParseError,
	vocab.Entry[Language]{Value: Danish, Danish: "dansk", English: "Danish", Aliases: []string{"dansk", "danish", "da-DK"}},
	vocab.Entry[Language]{Value: English, Danish: "engelsk", English: "English", Aliases: []string{"engelsk", "english", "en-GB", "en-US"}},
)

// ParseLanguage parses a language code ("da", "en"); it also accepts the
// language's name in Danish or English and a few region-qualified tags.
func ParseLanguage(s string) (Language, error) { return languages.ParseErr(s) }

// Languages returns every language.
func Languages() []Language { return languages.Values() }

// Valid reports whether l is a known language.
func (l Language) Valid() bool { return languages.Valid(l) }

// String returns the wire name.
func (l Language) String() string { return string(l) }

// Label returns the name of l written in lang.
func (l Language) Label(lang Language) string { return languages.Label(l, lang == English) }

// MarshalText implements encoding.TextMarshaler; it fails for an unknown value.
func (l Language) MarshalText() ([]byte, error) { return languages.MarshalText(l) }

// UnmarshalText implements encoding.TextUnmarshaler.
func (l *Language) UnmarshalText(b []byte) error { return languages.UnmarshalText(l, b) }
