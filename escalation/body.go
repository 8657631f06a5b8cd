package escalation

import (
	"errors"
	"fmt"
	"strings"
)

// ErrInvalidBody is matched by every error that Body.Validate returns.
var ErrInvalidBody = errors.New("escalation: invalid complaint body")

// Body is an external complaint body (klageinstans) that a consumer can
// turn to when the retailer wholly or partly rejects a complaint. A trader
// selling to consumers must tell them in writing which body that is.
type Body struct {
	Name        string `json:"name"`         // the body's own (Danish) name
	EnglishName string `json:"english_name"` // for notifications in English
	Website     string `json:"website"`
	Description string `json:"description"` // what the body does, in English
}

// closedPlatforms are addresses that must never be given to a customer: the
// EU online dispute resolution platform closed in July 2025.
var closedPlatforms = []string{"ec.europa.eu/consumers/odr", "ec.europa.eu/odr"}

// Validate reports whether b can be given to a customer: it has a name and
// a website, and it is not the closed EU ODR platform.
func (b Body) Validate() error {
	if strings.TrimSpace(b.Name) == "" {
		return fmt.Errorf("%w: a body needs a name", ErrInvalidBody)
	}
	if strings.TrimSpace(b.Website) == "" {
		return fmt.Errorf("%w: %s needs a website", ErrInvalidBody, b.Name)
	}
	site := strings.ToLower(b.Website)
	for _, closed := range closedPlatforms {
		if strings.Contains(site, closed) {
			return fmt.Errorf("%w: %s: the EU ODR platform closed in July 2025", ErrInvalidBody, b.Website)
		}
	}
	return nil
}

// DanishConsumerBodies returns, in the order a consumer turns to them, the
// public complaint bodies for Danish consumers: Center for Klageløsning,
// which mediates, and then Forbrugerklagenævnet, which decides. Both sit in
// Nævnenes Hus. The slice is new on every call.
func DanishConsumerBodies() []Body {
	return []Body{
		{
			Name:        "Center for Klageløsning",
			EnglishName: "Centre for Complaint Resolution",
			Website:     "https://naevneneshus.dk",
			Description: "Mediates between consumer and trader; the first place a consumer complaint goes.",
		},
		{
			Name:        "Forbrugerklagenævnet",
			EnglishName: "Danish Consumer Complaints Board",
			Website:     "https://naevneneshus.dk",
			Description: "Decides consumer complaints that mediation did not resolve.",
		},
	}
}
