package glossary

import (
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/mtibben/confusables"
	"golang.org/x/text/cases"
	"golang.org/x/text/secure/precis"
	"golang.org/x/text/unicode/norm"
)

// NormalID returns id in the form klage compares identities in: the PRECIS
// framework's UsernameCaseMapped profile (RFC 8264, RFC 8265 §3.3) applied
// to each part of id between spaces, the parts joined by one space, so
// that a full-width "ａｎｎａ" and "Anna" are "anna", and a manufacturer's
// "Hewlett  Packard" is "hewlett packard". Two ids name the same actor
// exactly when their normal forms are equal; see [SameID]. An id must pass
// [IDProblem] first, which refuses what the profile refuses; for an id it
// refuses, NormalID falls back to Unicode NFKC and case folding, so that a
// comparison never fails.
func NormalID(id string) string {
	id = strings.Trim(id, " ")
	ascii := true
	for i := 0; i < len(id); i++ {
		if id[i] >= utf8.RuneSelf {
			ascii = false
			break
		}
	}
	if ascii {
		// The profile does no more to ASCII than lower-case it; no
		// allocation when it is already lower case with single spaces.
		id = strings.ToLower(id)
		if strings.Contains(id, "  ") {
			id = strings.Join(asciiFields(id), " ")
		}
		return id
	}
	parts := asciiFields(id)
	for i, p := range parts {
		out, err := precis.UsernameCaseMapped.String(p)
		if err != nil {
			// Refused by IDProblem wherever an id enters; compare it as
			// well as can be done. A Caser is not safe for concurrent
			// use: one per call.
			out = norm.NFKC.String(cases.Fold().String(norm.NFKC.String(p)))
		}
		parts[i] = out
	}
	return strings.Join(parts, " ")
}

// asciiFields splits s around runs of ASCII spaces: other spaces (a
// no-break space, an ideographic space) are part of a field, where the
// PRECIS profile refuses them.
func asciiFields(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == ' ' })
}

// SameID reports whether ids a and b name the same actor: whether their
// normal forms ([NormalID]) are equal. It grants nothing to an id that
// merely looks like another: see [LookAlike].
func SameID(a, b string) bool { return a == b || NormalID(a) == NormalID(b) }

// LookAlike reports whether ids a and b could be taken for one person by
// a reader: the same id ([SameID]), or ids whose normal forms have the same
// confusable skeleton (Unicode Technical Standard #39 §4, with
// github.com/mtibben/confusables), such as a Latin "ceo" and a Cyrillic
// "сео". Rules that keep a person away from a case (impartiality) compare
// with it; rules that let a person act compare with SameID.
func LookAlike(a, b string) bool {
	if SameID(a, b) {
		return true
	}
	na, nb := NormalID(a), NormalID(b)
	return confusables.Skeleton(na) == confusables.Skeleton(nb)
}

// scriptGroups are the scripts an id's letters may come from, one group at
// a time; Japanese writing mixes three scripts and counts as one.
var scriptGroups = [][]*unicode.RangeTable{
	{unicode.Latin}, {unicode.Cyrillic}, {unicode.Greek}, {unicode.Armenian}, {unicode.Georgian},
	{unicode.Hebrew}, {unicode.Arabic}, {unicode.Devanagari}, {unicode.Thai},
	{unicode.Han, unicode.Hiragana, unicode.Katakana}, {unicode.Hangul, unicode.Han},
}

// HiddenRune reports the first rune of s that a person cannot see or that
// changes how the text around it is shown: a control character, a format
// character (zero-width spaces and joiners, soft hyphens, bidirectional
// controls, byte-order marks) or a private-use character.
func HiddenRune(s string) (rune, bool) {
	for _, r := range s {
		if r >= utf8.RuneSelf || r < 0x20 || r == 0x7f {
			if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) || unicode.Is(unicode.Co, r) || r == utf8.RuneError {
				return r, true
			}
		}
	}
	return 0, false
}

// IDProblem says what is wrong with an actor's or customer's id, or ""
// when nothing is: it must be valid UTF-8 with no hidden characters (see
// [HiddenRune]); each part between spaces must be a valid username under
// the PRECIS UsernameCaseMapped profile (RFC 8265 §3.3: letters and
// digits of any script, printable ASCII; no symbols, default-ignorable
// characters such as the combining grapheme joiner, variation selectors or
// Mongolian free variation selectors, no blank braille pattern, and the
// bidi rule holds); and its letters must come from one script, so that a
// Cyrillic "а" cannot pass for a Latin "a". It does not allocate for an
// ASCII id.
func IDProblem(id string) string {
	if !utf8.ValidString(id) {
		return "not valid UTF-8"
	}
	if _, hidden := HiddenRune(id); hidden {
		return "contains an invisible, bidirectional-control or private-use character"
	}
	group := -1
	ascii := true
	for _, r := range id {
		if r >= utf8.RuneSelf {
			ascii = false
		}
		if r < utf8.RuneSelf || !unicode.IsLetter(r) {
			if r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' {
				if group == -1 {
					group = 0
				} else if !inGroup(r, group) {
					return "mixes letters of different scripts"
				}
			}
			continue
		}
		switch {
		case group == -1:
			group = groupOf(r)
		case !inGroup(r, group):
			return "mixes letters of different scripts"
		}
	}
	if !ascii {
		for _, p := range asciiFields(id) {
			if _, err := precis.UsernameCaseMapped.String(p); err != nil {
				return "contains a character an identifier may not have (RFC 8265): " + strings.TrimPrefix(err.Error(), "precis: ")
			}
		}
	}
	return ""
}

// groupOf returns the index of r's script group, or for a script outside
// them, len(scriptGroups) plus a number that tells scripts apart.
func groupOf(r rune) int {
	for i, g := range scriptGroups {
		if unicode.In(r, g...) {
			return i
		}
	}
	for i, name := range otherScripts {
		if unicode.Is(unicode.Scripts[name], r) {
			return len(scriptGroups) + i
		}
	}
	return -2 // a letter in no script: a group of its own kind
}

func inGroup(r rune, group int) bool {
	if group < len(scriptGroups) && group >= 0 {
		return unicode.In(r, scriptGroups[group]...)
	}
	return groupOf(r) == group
}

// otherScripts are the names of every script, in a fixed order, for the
// letters outside scriptGroups.
var otherScripts = func() []string {
	names := make([]string, 0, len(unicode.Scripts))
	for name := range unicode.Scripts {
		names = append(names, name)
	}
	slices.Sort(names)
	return names
}()
