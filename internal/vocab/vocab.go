// Package vocab holds the generic table behind klage's typed vocabularies:
// wire names, Danish and English labels and aliases accepted when parsing.
//
// It is internal: the public packages expose typed methods over it.
package vocab

import "strings"

// Entry describes one value of a vocabulary.
type Entry[T ~string] struct {
	Value   T
	Danish  string   // Danish label
	English string   // English label
	Aliases []string // extra names accepted by Parse, matched case-insensitively
}

// Set is an immutable vocabulary of values of type T. It is safe for
// concurrent use once built.
type Set[T ~string] struct {
	kind    string
	errf    func(kind, input string) error
	entries []Entry[T]
	texts   [][]byte // each entry's wire name, for MarshalText
	aliases map[string]T
}

// New builds a vocabulary. It panics on a duplicate or empty value: the
// tables are package-level literals, so that is a programming error caught by
// every test run, never a reaction to input.
//
// errf builds the error that ParseErr, MarshalText and UnmarshalText return
// for an unknown value, so that each public package keeps its own error type.
func New[T ~string](kind string, errf func(kind, input string) error, entries ...Entry[T]) *Set[T] {
	s := &Set[T]{
		kind:    kind,
		errf:    errf,
		entries: entries,
		aliases: make(map[string]T),
	}
	for i, e := range entries {
		if e.Value == "" || e.Danish == "" || e.English == "" {
			panic("vocab: incomplete " + kind + " entry " + string(e.Value))
		}
		if s.Index(e.Value) < i {
			panic("vocab: duplicate " + kind + " " + string(e.Value))
		}
		for _, a := range e.Aliases {
			s.aliases[strings.ToLower(a)] = e.Value
		}
		s.texts = append(s.texts, []byte(e.Value))
	}
	return s
}

// Text returns v's wire name as bytes, shared and not to be modified (a
// full slice expression: appending to it copies), or nil when v is not
// one of the values. MarshalText returns it, so that encoding a value
// allocates nothing: encoding/json copies what a TextMarshaler returns,
// as it does json.RawMessage's own bytes.
func (s *Set[T]) Text(v T) []byte {
	if i := s.Index(v); i >= 0 {
		b := s.texts[i]
		return b[:len(b):len(b)]
	}
	return nil
}

// Valid reports whether v is one of the values.
func (s *Set[T]) Valid(v T) bool {
	return s.Index(v) >= 0
}

// Parse returns the value whose wire name is exactly in, or whose alias
// matches in case-insensitively.
func (s *Set[T]) Parse(in string) (T, bool) {
	if s.Valid(T(in)) {
		return T(in), true
	}
	if len(s.aliases) > 0 {
		if v, ok := s.aliases[strings.ToLower(strings.TrimSpace(in))]; ok {
			return v, true
		}
	}
	var zero T
	return zero, false
}

// Shipped reports whether the tables carry labels in the language with
// code lang: Danish ("da") and English ("en").
func Shipped(lang string) bool { return lang == "da" || lang == "en" }

// Label returns the label of v in the language with code lang, in English
// when the tables do not ship that language (see Shipped), or "" for an
// unknown v.
func (s *Set[T]) Label(v T, lang string) string {
	i := s.Index(v)
	if i < 0 {
		return ""
	}
	if lang == "da" {
		return s.entries[i].Danish
	}
	return s.entries[i].English
}

// Values returns every value in table order.
func (s *Set[T]) Values() []T {
	out := make([]T, len(s.entries))
	for i, e := range s.entries {
		out[i] = e.Value
	}
	return out
}

// Index returns the position of v in table order, or -1. The vocabularies
// are small (a dozen values at most) and looked up on every transition, so
// they are scanned rather than hashed.
func (s *Set[T]) Index(v T) int {
	for i := range s.entries {
		if s.entries[i].Value == v {
			return i
		}
	}
	return -1
}

// ParseErr is Parse with the configured error for unknown input.
func (s *Set[T]) ParseErr(in string) (T, error) {
	if v, ok := s.Parse(in); ok {
		return v, nil
	}
	var zero T
	return zero, s.errf(s.kind, in)
}

// MarshalText returns the wire name of v, or an error when v is unknown, so
// that an invalid value never reaches the wire.
func (s *Set[T]) MarshalText(v T) ([]byte, error) {
	if b := s.Text(v); b != nil {
		return b, nil
	}
	return nil, s.errf(s.kind, string(v))
}

// UnmarshalText parses b into *p, leaving *p unchanged on error.
func (s *Set[T]) UnmarshalText(p *T, b []byte) error {
	if v, ok := s.Intern(b); ok {
		*p = v
		return nil
	}
	v, err := s.ParseErr(string(b))
	if err != nil {
		return err
	}
	*p = v
	return nil
}

// WellFormed reports whether s is a well-formed wire name: 1 to 64 bytes of
// lower-case ASCII letters, digits and underscores, starting with a letter.
// Values of an extended lifecycle (a state, event or role the library does
// not ship) must be well-formed to be stored and sent.
func WellFormed(s string) bool {
	if s == "" || len(s) > 64 || s[0] < 'a' || s[0] > 'z' {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < 'a' || c > 'z') && (c < '0' || c > '9') && c != '_' {
			return false
		}
	}
	return true
}

// Intern returns the value whose wire name is b, without allocating, so
// that decoding a known name does not copy it.
func (s *Set[T]) Intern(b []byte) (T, bool) {
	for i := range s.entries {
		if string(s.entries[i].Value) == string(b) {
			return s.entries[i].Value, true
		}
	}
	var zero T
	return zero, false
}
