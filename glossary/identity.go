package glossary

import (
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/cases"
	"golang.org/x/text/unicode/norm"
)

// NormalID returns id in the form klage compares identities in: white space
// trimmed, Unicode NFKC (so a full-width "ａｎｎａ" is "anna") and case-folded
// ("Anna" is "anna"). Two ids name the same actor exactly when their normal
// forms are equal; see [SameID]. An id should pass [IDProblem] first, which
// refuses the characters normalisation cannot make harmless.
func NormalID(id string) string {
	id = strings.TrimSpace(id)
	ascii := true
	for i := 0; i < len(id); i++ {
		if id[i] >= utf8.RuneSelf {
			ascii = false
			break
		}
	}
	if ascii {
		return strings.ToLower(id) // folding and NFKC do no more to ASCII; no allocation when it is already lower case
	}
	// A Caser is not safe for concurrent use: one per call.
	return norm.NFKC.String(cases.Fold().String(norm.NFKC.String(id)))
}

// SameID reports whether ids a and b name the same actor: whether their
// normal forms ([NormalID]) are equal.
func SameID(a, b string) bool { return a == b || NormalID(a) == NormalID(b) }

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
// [HiddenRune]) and its letters must come from one script, so that a
// Cyrillic "а" cannot pass for a Latin "a". It does not allocate.
func IDProblem(id string) string {
	if !utf8.ValidString(id) {
		return "not valid UTF-8"
	}
	if _, hidden := HiddenRune(id); hidden {
		return "contains an invisible, bidirectional-control or private-use character"
	}
	group := -1
	for _, r := range id {
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
