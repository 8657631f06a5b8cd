package glossary

import (
	"errors"
	"fmt"
)

// ErrUnknown is matched (with errors.Is) by every error returned for a name
// that is not in a vocabulary, in this package and in the other klage
// packages that parse wire names.
var ErrUnknown = errors.New("glossary: unknown name")

// ParseError reports a name that is not in a vocabulary.
type ParseError struct {
	Kind  string // the vocabulary: "term", "channel", "role", "state", ...
	Input string // the name that was not recognised
}

// Error implements error.
func (e *ParseError) Error() string {
	return fmt.Sprintf("glossary: unknown %s %q", e.Kind, e.Input)
}

// Unwrap returns ErrUnknown.
func (e *ParseError) Unwrap() error { return ErrUnknown }

// newParseError returns a *ParseError for input in the vocabulary kind.
// The other klage packages build a *ParseError the same way, so that every
// unknown wire name is reported alike.
func newParseError(kind, input string) error {
	return &ParseError{Kind: kind, Input: input}
}
