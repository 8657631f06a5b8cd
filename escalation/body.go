package escalation

import (
	"errors"
	"fmt"
	"net/url"
	"path"
	"strings"
)

// ErrInvalidBody is matched by every error that Body.Validate returns.
var ErrInvalidBody = errors.New("escalation: invalid complaint body")

// Body is an external complaint body (klageinstans) that a consumer can
// turn to when the retailer wholly or partly rejects a complaint. A trader
// selling to consumers must tell them in writing which body that is.
//
// The law asks for the body's name, postal address and website; Validate
// refuses a body without them.
type Body struct {
	Name              string `json:"name"`              // the body's own (Danish) name
	EnglishName       string `json:"english_name"`      // for notifications in English
	Address           string `json:"address,omitempty"` // postal address
	Website           string `json:"website"`
	Description       string `json:"description"`                  // what the body does, in English
	DanishDescription string `json:"danish_description,omitempty"` // the same, in Danish
}

// Validate reports whether b can be given to a customer: it has a name, a
// postal address and an http(s) website, and it is not the closed EU ODR
// platform.
func (b Body) Validate() error {
	switch {
	case strings.TrimSpace(b.Name) == "":
		return fmt.Errorf("%w: a body needs a name", ErrInvalidBody)
	case strings.TrimSpace(b.Address) == "":
		return fmt.Errorf("%w: %s needs a postal address", ErrInvalidBody, b.Name)
	case strings.TrimSpace(b.Website) == "":
		return fmt.Errorf("%w: %s needs a website", ErrInvalidBody, b.Name)
	}
	u, err := url.Parse(strings.TrimSpace(b.Website))
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return fmt.Errorf("%w: %s: the website must be an http(s) URL", ErrInvalidBody, b.Website)
	}
	if IsODR(b.Website) {
		return fmt.Errorf("%w: %s: the EU ODR platform closed on 20 July 2025", ErrInvalidBody, b.Website)
	}
	return nil
}

// IsODR reports whether rawURL points at the EU online dispute resolution
// platform, which closed on 20 July 2025 and must never be given to a
// customer. It compares the parsed host and the cleaned, decoded path: any
// host of the Commission's europa.eu domain (ec.europa.eu,
// webgate.ec.europa.eu, any letter case, any port) whose path has an "odr"
// segment, and any europa.eu host whose name starts with "odr."; so
// "https://EC.europa.eu:443/consumers//odr/" and
// "webgate.ec.europa.eu/odr/main" are recognised.
func IsODR(rawURL string) bool {
	raw := strings.TrimSpace(rawURL)
	u, err := url.Parse(raw)
	if err != nil {
		return false
	}
	if u.Host == "" && !strings.Contains(raw, "://") {
		u, err = url.Parse("https://" + strings.TrimPrefix(raw, "//"))
		if err != nil {
			return false
		}
	}
	host := strings.TrimSuffix(strings.ToLower(u.Hostname()), ".")
	if host != "europa.eu" && !strings.HasSuffix(host, ".europa.eu") {
		return false
	}
	if strings.HasPrefix(host, "odr.") || strings.Contains(host, ".odr.") {
		return true
	}
	for _, seg := range strings.Split(strings.ToLower(path.Clean("/"+u.Path)), "/") {
		if seg == "odr" {
			return true
		}
	}
	return false
}

// MentionsODR reports whether text names the EU ODR platform in a link
// (with or without its scheme), for the texts customers are sent.
func MentionsODR(text string) bool {
	lower := strings.ToLower(text)
	if !strings.Contains(lower, "europa.eu") {
		return false // the common case: no link to the Commission at all
	}
	for _, field := range strings.FieldsFunc(text, func(r rune) bool {
		return r == ' ' || r == '\n' || r == '\t' || r == '\r' || r == '<' || r == '>' || r == '"' || r == '\'' || r == '(' || r == ')' || r == '[' || r == ']'
	}) {
		field = strings.TrimRight(field, ".,;:!?")
		if i := strings.Index(strings.ToLower(field), "href="); i >= 0 {
			field = field[i+len("href="):]
		}
		if strings.Contains(strings.ToLower(field), "europa.eu") && IsODR(field) {
			return true
		}
	}
	return false
}

// DanishConsumerBodies returns, in the order a consumer turns to them, the
// public complaint bodies for Danish consumers: Center for Klageløsning,
// which mediates, and then Forbrugerklagenævnet, which decides. Both sit in
// Nævnenes Hus. The slice is new on every call.
func DanishConsumerBodies() []Body {
	return []Body{
		{
			Name:              "Center for Klageløsning",
			EnglishName:       "Centre for Complaint Resolution",
			Address:           "Nævnenes Hus, Toldboden 2, 8800 Viborg",
			Website:           "https://naevneneshus.dk",
			Description:       "Mediates between consumer and trader; the first place a consumer complaint goes.",
			DanishDescription: "Mægler mellem forbruger og erhvervsdrivende; det første sted en forbrugerklage går hen.",
		},
		{
			Name:              "Forbrugerklagenævnet",
			EnglishName:       "Danish Consumer Complaints Board",
			Address:           "Nævnenes Hus, Toldboden 2, 8800 Viborg",
			Website:           "https://naevneneshus.dk",
			Description:       "Decides consumer complaints that mediation did not resolve.",
			DanishDescription: "Afgør forbrugerklager, som mægling ikke løste.",
		},
	}
}
