// Package glossary is the domain vocabulary of klage: the terms of a
// retailer's complaints policy (service, support, DOA, warranty, claim), the
// channels a complaint arrives through, the roles of the people and systems
// that act on it, and the languages labels are written in.
//
// Every value is a typed string constant whose value is its wire name, the
// name used in JSON, SQL and HTTP. Each type has a Parse function that
// returns a *ParseError (matching ErrUnknown) for unknown input, implements
// encoding.TextMarshaler and encoding.TextUnmarshaler, and has a Label in
// Danish and English. Terms also carry a Definition in both languages.
//
// The package has no dependencies inside klage; every other package builds
// on it.
package glossary
