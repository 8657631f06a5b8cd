package complaint

import (
	"fmt"
	"strings"
	"time"
	_ "time/tzdata" // Europe/Copenhagen for the presets, on any machine
)

// Period is a length of time in a Policy. Years, months and days are
// calendar periods, counted in the policy's time zone, so that a due date
// does not move when daylight saving time changes; Elapsed is elapsed time
// (hours and minutes) added after them. The zero Period is "no period".
type Period struct {
	Years   int           `json:"years,omitempty"`
	Months  int           `json:"months,omitempty"`
	Days    int           `json:"days,omitempty"`
	Elapsed time.Duration `json:"elapsed,omitempty"`
}

// Hours returns a period of n hours of elapsed time.
func Hours(n int) Period { return Period{Elapsed: time.Duration(n) * time.Hour} }

// Days returns a period of n calendar days.
func Days(n int) Period { return Period{Days: n} }

// Months returns a period of n calendar months.
func Months(n int) Period { return Period{Months: n} }

// Years returns a period of n calendar years.
func Years(n int) Period { return Period{Years: n} }

// IsZero reports whether p is the zero period.
func (p Period) IsZero() bool { return p == Period{} }

// AddTo returns t plus p, with the calendar part counted in loc (UTC when
// nil). Like time.AddDate it normalises: one month after 31 January is 2 or
// 3 March, one year after 29 February is 1 March, so a period never ends
// before the calendar says it should. The result is in t's location.
func (p Period) AddTo(t time.Time, loc *time.Location) time.Time {
	if p.Years == 0 && p.Months == 0 && p.Days == 0 {
		return t.Add(p.Elapsed)
	}
	if loc == nil {
		loc = time.UTC
	}
	orig := t.Location()
	if p.Years != 0 || p.Months != 0 || p.Days != 0 {
		t = t.In(loc).AddDate(p.Years, p.Months, p.Days)
	}
	return t.Add(p.Elapsed).In(orig)
}

// String returns p in ISO 8601 duration form, e.g. "P2Y", "P14D", "PT24H".
func (p Period) String() string {
	if p.IsZero() {
		return "0"
	}
	var b strings.Builder
	b.WriteByte('P')
	if p.Years != 0 {
		fmt.Fprintf(&b, "%dY", p.Years)
	}
	if p.Months != 0 {
		fmt.Fprintf(&b, "%dM", p.Months)
	}
	if p.Days != 0 {
		fmt.Fprintf(&b, "%dD", p.Days)
	}
	if p.Elapsed != 0 {
		b.WriteByte('T')
		h := p.Elapsed / time.Hour
		rest := p.Elapsed - h*time.Hour
		if h != 0 {
			fmt.Fprintf(&b, "%dH", h)
		}
		if rest != 0 {
			fmt.Fprintf(&b, "%gS", rest.Seconds())
		}
	}
	return b.String()
}

func (p Period) negative() bool {
	return p.Years < 0 || p.Months < 0 || p.Days < 0 || p.Elapsed < 0
}

// atLeast reports whether p is at least q whatever date it starts from.
func (p Period) atLeast(q Period) bool {
	for _, ref := range []time.Time{
		time.Date(2023, 1, 31, 0, 0, 0, 0, time.UTC),
		time.Date(2024, 2, 29, 0, 0, 0, 0, time.UTC),
		time.Date(2025, 8, 31, 0, 0, 0, 0, time.UTC),
	} {
		if p.AddTo(ref, nil).Before(q.AddTo(ref, nil)) {
			return false
		}
	}
	return true
}

// Policy is the data a workflow's deadlines and rules are computed from:
// the retailer's promises and the law that applies to a kind of customer.
// It is plain data; start from a preset and change what differs. A zero
// Period turns the deadline it sets off, except for ClaimPeriod, which every
// policy needs.
//
// A Policy is validated by New: a negative period, a missing claim period,
// or a consumer claim period shorter than two years is refused.
type Policy struct {
	// Name identifies the policy in logs and errors.
	Name string
	// Customers is the customer type the policy is for. For consumers the
	// claim period cannot be shortened below two years.
	Customers CustomerType
	// Location is the time zone calendar periods are counted in; nil means
	// UTC.
	Location *time.Location

	// FirstResponse: time to leave received (start or answer).
	FirstResponse Period
	// ProgressUpdate: how often the customer must hear from whoever works on
	// the case (customer service, the manufacturer referral, the Complaints
	// Department) while it is open.
	ProgressUpdate Period
	// DOAReplacement: time from receipt to a final answer on a DOA
	// complaint.
	DOAReplacement Period
	// ReviewDecision: time the Complaints Department has to decide an
	// escalated case.
	ReviewDecision Period
	// EscalationWindow: how long after a final answer the customer may
	// escalate; the case can be closed by the Complaints Department only
	// after it. Zero means no limit (only the system actor closes).
	EscalationWindow Period

	// ClaimPeriod: how long after delivery a claim can be made.
	ClaimPeriod Period
	// NoticePeriod: a claim made within this time of discovering the
	// defect is always timely. Zero when the law sets no fixed period.
	NoticePeriod Period
	// Presumption: a defect that shows within this time of delivery is
	// presumed to have been there at delivery (burden of proof on the
	// seller). Zero when no presumption applies.
	Presumption Period
	// EarlierPresumption applies instead of Presumption to goods delivered
	// before PresumptionChange.
	EarlierPresumption Period
	// PresumptionChange is when Presumption replaced EarlierPresumption.
	PresumptionChange time.Time
}

// copenhagen is Europe/Copenhagen; the tzdata package is embedded so that
// the presets work on machines without a zoneinfo database.
var copenhagen = func() *time.Location {
	loc, err := time.LoadLocation("Europe/Copenhagen")
	if err != nil {
		return time.FixedZone("CET", 3600)
	}
	return loc
}()

// DanishConsumerPolicy returns the preset for consumers in Denmark:
//
//	FirstResponse       24 hours    the retailer's promise: e-mail answered within 24 hours on weekdays
//	ProgressUpdate      72 hours    our default: a customer whose case is being worked on never waits
//	                                more than three days for news; a silence is elapsed time
//	DOAReplacement      14 days     the retailer's goal: DOA items replaced within 14 days
//	ReviewDecision      30 days     our default for the Complaints Department
//	EscalationWindow    2 months    our default, matching the two-month notice rule
//	ClaimPeriod         2 years     Købeloven §83; cannot be shortened by agreement
//	NoticePeriod        2 months    Købeloven §81: notice within two months is always timely
//	Presumption         1 year      Købeloven §77 b, goods delivered from 1 January 2022
//	EarlierPresumption  6 months    the same rule for goods delivered before 2022
//
// Calendar periods are counted in Europe/Copenhagen.
func DanishConsumerPolicy() Policy {
	return Policy{
		Name:               "dk-consumer",
		Customers:          Consumer,
		Location:           copenhagen,
		FirstResponse:      Hours(24),
		ProgressUpdate:     Hours(72),
		DOAReplacement:     Days(14),
		ReviewDecision:     Days(30),
		EscalationWindow:   Months(2),
		ClaimPeriod:        Years(2),
		NoticePeriod:       Months(2),
		Presumption:        Years(1),
		EarlierPresumption: Months(6),
		PresumptionChange:  time.Date(2022, 1, 1, 0, 0, 0, 0, copenhagen),
	}
}

// DanishBusinessPolicy returns the preset for business customers in
// Denmark. It differs from DanishConsumerPolicy in the law: the claim period
// is 12 months (the retailer's B2B terms), and there is no fixed notice
// period (a business must complain without undue delay) and no burden-of-
// proof presumption.
func DanishBusinessPolicy() Policy {
	p := DanishConsumerPolicy()
	p.Name = "dk-business"
	p.Customers = Business
	p.ClaimPeriod = Months(12)
	p.NoticePeriod = Period{}
	p.Presumption = Period{}
	p.EarlierPresumption = Period{}
	p.PresumptionChange = time.Time{}
	return p
}

func (p *Policy) location() *time.Location {
	if p.Location == nil {
		return time.UTC
	}
	return p.Location
}

// Validate reports the first problem with p as a *ConfigError, or nil.
func (p Policy) Validate() error {
	fields := []struct {
		name string
		p    Period
	}{
		{"FirstResponse", p.FirstResponse},
		{"ProgressUpdate", p.ProgressUpdate},
		{"DOAReplacement", p.DOAReplacement},
		{"ReviewDecision", p.ReviewDecision},
		{"EscalationWindow", p.EscalationWindow},
		{"ClaimPeriod", p.ClaimPeriod},
		{"NoticePeriod", p.NoticePeriod},
		{"Presumption", p.Presumption},
		{"EarlierPresumption", p.EarlierPresumption},
	}
	for _, f := range fields {
		if f.p.negative() {
			return &ConfigError{Field: f.name, Problem: "negative period " + f.p.String()}
		}
	}
	if !p.Customers.Valid() {
		return &ConfigError{Field: "Customers", Problem: fmt.Sprintf("unknown customer type %q", p.Customers)}
	}
	if p.ClaimPeriod.IsZero() {
		return &ConfigError{Field: "ClaimPeriod", Problem: "required"}
	}
	if p.Customers == Consumer && !p.ClaimPeriod.atLeast(Years(2)) {
		return &ConfigError{Field: "ClaimPeriod", Problem: "a consumer claim period cannot be shorter than 2 years (Købeloven §83)"}
	}
	if !p.EarlierPresumption.IsZero() && p.PresumptionChange.IsZero() {
		return &ConfigError{Field: "PresumptionChange", Problem: "required with EarlierPresumption"}
	}
	return nil
}
