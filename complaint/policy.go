package complaint

import (
	"fmt"
	"math"
	"strings"
	"sync/atomic"
	"time"
	_ "time/tzdata" // Europe/Copenhagen for the presets, on any machine

	"github.com/rickar/cal/v2"
	"github.com/rickar/cal/v2/dk"

	"github.com/klageflow/klage/glossary"
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
	// Working: Elapsed counts only the time of working days in the
	// policy's Calendar (whole days, midnight to midnight in its zone).
	// Only a period without years, months or days may be working.
	Working bool `json:"working,omitempty"`
}

// Hours returns a period of n hours of elapsed time.
func Hours(n int) Period { return Period{Elapsed: time.Duration(n) * time.Hour} }

// WorkingHours returns a period of n hours counted on working days only:
// 24 working hours from Friday 17:00 end on Monday 17:00, and a day off in
// between moves them on by another day.
func WorkingHours(n int) Period {
	return Period{Elapsed: time.Duration(n) * time.Hour, Working: true}
}

// calendar reports whether p is counted in calendar days (so a pause keeps
// the due time of day).
func (p Period) calendar() bool { return p.Years != 0 || p.Months != 0 || p.Days != 0 }

// Calendar says which days are working days, for [Period]s counted in
// working hours. *cal.BusinessCalendar of github.com/rickar/cal/v2
// satisfies it; [DanishCalendar] is the presets'.
type Calendar interface {
	IsWorkday(t time.Time) bool
}

// DanishCalendar returns a calendar of Danish working days: Monday to
// Friday, less the public holidays of github.com/rickar/cal/v2/dk (Store
// Bededag is not one from 2024).
func DanishCalendar() Calendar {
	c := cal.NewBusinessCalendar()
	c.AddHoliday(dk.Holidays...)
	return c
}

// addWorking returns t plus d of working time: the time of the working
// days of c, in loc. With no working day in ten years it falls back to
// elapsed time, so a calendar without workdays cannot hang a transition.
func addWorking(t time.Time, d time.Duration, c Calendar, loc *time.Location) time.Time {
	cur := t.In(loc)
	for range 3660 {
		y, m, day := cur.Date()
		next := time.Date(y, m, day+1, 0, 0, 0, 0, loc)
		if c.IsWorkday(cur) {
			avail := next.Sub(cur)
			if d <= avail {
				return cur.Add(d).In(t.Location())
			}
			d -= avail
		}
		cur = next
	}
	return t.Add(d)
}

// workingBetween returns how much working time of c lies from t to u.
func workingBetween(t, u time.Time, c Calendar, loc *time.Location) time.Duration {
	var total time.Duration
	cur := t.In(loc)
	for i := 0; i < 3660 && cur.Before(u); i++ {
		y, m, day := cur.Date()
		next := time.Date(y, m, day+1, 0, 0, 0, 0, loc)
		if c.IsWorkday(cur) {
			end := next
			if u.Before(next) {
				end = u
			}
			total += end.Sub(cur)
		}
		cur = next
	}
	return total
}

// wall is t's reading on a wall clock in loc, as a time in UTC: the
// difference of two walls is a calendar difference that daylight saving
// time does not change.
func (z *zoneMemo) wall(t time.Time, loc *time.Location) time.Time {
	return time.Unix(t.Unix()+int64(z.offset(t, loc)), int64(t.Nanosecond())).UTC()
}

// unwall is the inverse of wall. Away from a change of offset, the offset
// at w is the one to take off; near one, time.Date decides.
func (z *zoneMemo) unwall(w time.Time, loc *time.Location) time.Time {
	offset := z.offset(w, loc)
	t := w.Add(-time.Duration(offset) * time.Second)
	if z.offset(t, loc) == offset {
		return t.UTC()
	}
	y, m, d := w.Date()
	h, mi, s := w.Clock()
	return time.Date(y, m, d, h, mi, s, w.Nanosecond(), loc).UTC()
}

// zoneMemo remembers the last period of one offset that a time zone lookup
// found, so that the clocks of a transition, whose times nearly always
// fall in the same period, look the zone up once. It is safe for
// concurrent use; its zero value is empty.
type zoneMemo struct{ last atomic.Pointer[zoneSpan] }

// zoneSpan is a period [start, end) of loc, in Unix seconds, with one
// offset from UTC.
type zoneSpan struct {
	loc        *time.Location
	start, end int64
	offset     int
}

// offset returns loc's offset from UTC at t, in seconds.
func (z *zoneMemo) offset(t time.Time, loc *time.Location) int {
	sec := t.Unix()
	if s := z.last.Load(); s != nil && s.loc == loc && sec >= s.start && sec < s.end {
		return s.offset
	}
	lt := t.In(loc)
	_, offset := lt.Zone()
	start, end := lt.ZoneBounds()
	s := &zoneSpan{loc: loc, start: math.MinInt64, end: math.MaxInt64, offset: offset}
	if !start.IsZero() {
		s.start = start.Unix()
	}
	if !end.IsZero() {
		s.end = end.Unix()
	}
	z.last.Store(s)
	return offset
}

// Days returns a period of n calendar days.
func Days(n int) Period { return Period{Days: n} }

// Months returns a period of n calendar months.
func Months(n int) Period { return Period{Months: n} }

// Years returns a period of n calendar years.
func Years(n int) Period { return Period{Years: n} }

// IsZero reports whether p is the zero period.
func (p Period) IsZero() bool { return p == Period{} }

// AddTo returns t plus p, with the calendar part counted in loc (UTC when
// nil), as the law counts periods: years and months end on the same day
// number, or on the month's last day when it has no such day (two months
// from 31 December end on 28 or 29 February, one year from 29 February on
// 28 February), then days are added, then Elapsed. The time of day is kept.
// The result is in t's location.
//
// A Working period needs the policy's calendar: AddTo counts it as
// elapsed time; [Policy.Due] counts it on working days.
func (p Period) AddTo(t time.Time, loc *time.Location) time.Time {
	if !p.calendar() {
		return t.Add(p.Elapsed)
	}
	if loc == nil {
		loc = time.UTC
	}
	orig := t.Location()
	t = t.In(loc)
	y, m, d := t.Date()
	h, mi, sec := t.Clock()
	months := int(m) - 1 + p.Months + 12*p.Years
	y, m = y+floorDiv(months, 12), time.Month(months-12*floorDiv(months, 12)+1)
	d = min(d, daysIn(y, m))
	t = time.Date(y, m, d+p.Days, h, mi, sec, t.Nanosecond(), loc)
	return t.Add(p.Elapsed).In(orig)
}

// floorDiv is a/b rounded down, for month arithmetic that may go back.
func floorDiv(a, b int) int {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}

// daysIn returns the number of days of month m of year y.
func daysIn(y int, m time.Month) int {
	return time.Date(y, m+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

// String returns p in ISO 8601 duration form, e.g. "P2Y", "P14D", "PT24H",
// with " on working days" after a Working one.
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
		if p.Working {
			b.WriteString(" on working days")
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
		time.Date(2023, 3, 1, 0, 0, 0, 0, time.UTC), // a year that ends after a leap day
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
// A Policy is validated by New: a negative period or a missing claim
// period is refused, and so is a consumer policy that gives less than the
// law's minimums ([LawMinimums]): a claim period under two years, a notice
// period under two months (or none), a presumption under the law's periods
// (or none), or a change date that applies the earlier, shorter
// presumption to goods bought after 1 January 2022.
type Policy struct {
	// Name identifies the policy in logs and errors.
	Name string
	// Customers is the customer type the policy is for. For consumers the
	// claim period cannot be shortened below two years.
	Customers CustomerType
	// Location is the time zone calendar periods are counted in; nil means
	// UTC.
	Location *time.Location
	// Calendar says which days are working days, for periods counted in
	// WorkingHours; nil means every day is one.
	Calendar Calendar

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
	// CustomerReply: how long the customer has to answer a request for
	// information before they are reminded (the customer-reply clock).
	// Zero: the customer is never chased.
	CustomerReply Period
	// CustomerReminder: how long after the first reminder the customer is
	// reminded again, and the role that asked is told.
	CustomerReminder Period
	// CustomerLapse: how long after the customer-reply clock lapsed a case
	// whose customer has not answered is closed as lapsed (EventLapse),
	// with a notice that says how to reopen it. Zero (the default): never.
	CustomerLapse Period
	// ReminderRepeat: how long after a lapsed clock's first reminder the
	// responsible role is reminded again.
	ReminderRepeat Period
	// Retention: how long a closed complaint keeps its customer's
	// personal data and free texts; a store's purge sweep erases them
	// after it (store.PersonalData.Purge). Zero keeps them.
	Retention Period

	// ClaimPeriod: how long after delivery a claim can be made.
	ClaimPeriod Period
	// NoticePeriod: a claim made within this time of discovering the
	// defect is always timely. Zero when the law sets no fixed period.
	NoticePeriod Period
	// Presumption: a defect that shows within this time of delivery is
	// presumed to have been there at delivery (burden of proof on the
	// seller). Zero when no presumption applies.
	Presumption Period
	// EarlierPresumption applies instead of Presumption to goods bought
	// (by purchase date, not delivery) before PresumptionChange. With the
	// purchase date unknown, goods delivered before the change were bought
	// before it too; for goods delivered shortly after it the assessment
	// reports the presumption as unknown when the two periods would decide
	// differently (see [ClaimAssessment].PresumptionUnknown).
	EarlierPresumption Period
	// PresumptionChange is when Presumption replaced EarlierPresumption
	// (for Danish consumers: goods bought from 1 January 2022).
	PresumptionChange time.Time

	// Manufacturers holds each manufacturer's own terms, by name (matched
	// as glossary.SameID matches ids): a warranty case is assessed against
	// its warranty period, a DOA case against its DOA window.
	Manufacturers map[string]ManufacturerTerms
}

// ManufacturerTerms are a manufacturer's own terms, which differ from one
// manufacturer to the next.
type ManufacturerTerms struct {
	// Warranty is how long after delivery the manufacturer's warranty runs.
	Warranty Period
	// DOAWindow is how long after delivery the manufacturer accepts an item
	// as dead on arrival; DOAProcedure says what to do (notes for customer
	// service: "call Lenovo Premier Support with the serial number").
	DOAWindow    Period
	DOAProcedure string
}

// terms returns the terms of manufacturer m, if p has them.
func (p *Policy) terms(m string) (ManufacturerTerms, bool) {
	if m == "" {
		return ManufacturerTerms{}, false
	}
	if t, ok := p.Manufacturers[m]; ok {
		return t, true
	}
	for name, t := range p.Manufacturers {
		if glossary.SameID(name, m) {
			return t, true
		}
	}
	return ManufacturerTerms{}, false
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
//	FirstResponse       24 hours    the retailer's promise: e-mail answered within 24 hours on weekdays:
//	                                counted on Danish working days (DanishCalendar)
//	ProgressUpdate      72 hours    our default: a customer whose case is being worked on never waits
//	                                more than three days for news; a silence is elapsed time
//	DOAReplacement      14 days     the retailer's goal: DOA items replaced within 14 days
//	ReviewDecision      30 days     our default for the Complaints Department
//	EscalationWindow    2 months    our default, matching the two-month notice rule
//	CustomerReply       7 days      our default: a customer asked for information is reminded after a week
//	CustomerReminder    7 days      and again a week later (day 14), when the role that asked is told too
//	CustomerLapse       none        closing a silent customer's case as lapsed is a choice: off by default
//	ReminderRepeat      24 hours    a lapsed clock's owner is reminded again a working day later:
//	                                counted on Danish working days
//	Retention           3 years     Forældelsesloven §3: the limitation period of a claim
//	ClaimPeriod         2 years     Købeloven §83; cannot be shortened by agreement
//	NoticePeriod        2 months    Købeloven §81: notice within two months is always timely
//	Presumption         1 year      Købeloven §77 a, stk. 3, goods bought from 1 January 2022
//	EarlierPresumption  6 months    the same rule for goods bought before 2022
//
// Calendar periods are counted in Europe/Copenhagen.
func DanishConsumerPolicy() Policy {
	return Policy{
		Name:               "dk-consumer",
		Customers:          Consumer,
		Location:           copenhagen,
		Calendar:           danishCalendar,
		FirstResponse:      WorkingHours(24),
		ProgressUpdate:     Hours(72),
		DOAReplacement:     Days(14),
		ReviewDecision:     Days(30),
		EscalationWindow:   Months(2),
		CustomerReply:      Days(7),
		CustomerReminder:   Days(7),
		ReminderRepeat:     WorkingHours(24),
		Retention:          Years(3),
		ClaimPeriod:        Years(2),
		NoticePeriod:       Months(2),
		Presumption:        Years(1),
		EarlierPresumption: Months(6),
		PresumptionChange:  LawMinimums().PresumptionChange,
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

// Minimums are what the law gives every consumer, which no policy for
// consumers may shorten or remove: [Policy.Validate] refuses a consumer
// policy that gives less.
type Minimums struct {
	ClaimPeriod  Period // Købeloven §83: 2 years from delivery
	NoticePeriod Period // Købeloven §81: notice within 2 months is always timely
	// Presumption applies to goods bought from PresumptionChange,
	// EarlierPresumption to goods bought before it (Købeloven §77 a,
	// stk. 3: 1 year from 1 January 2022, 6 months before).
	Presumption        Period
	EarlierPresumption Period
	PresumptionChange  time.Time
}

// LawMinimums returns the Danish consumer minimums that
// [DanishConsumerPolicy] gives and every consumer policy must give at
// least.
func LawMinimums() Minimums {
	return Minimums{ClaimPeriod: Years(2), NoticePeriod: Months(2), Presumption: Years(1),
		EarlierPresumption: Months(6), PresumptionChange: time.Date(2022, 1, 1, 0, 0, 0, 0, copenhagen)}
}

// floor refuses p when it gives a consumer less than m, for any purchase
// date: a shorter or missing claim or notice period, a shorter or missing
// presumption, or a change date that gives goods bought after the law's
// change the earlier, shorter presumption.
func (m Minimums) floor(p *Policy) error {
	switch {
	case !p.ClaimPeriod.atLeast(m.ClaimPeriod):
		return &ConfigError{Field: "ClaimPeriod", Problem: "a consumer claim period cannot be shorter than " + m.ClaimPeriod.String() + " (Købeloven §83)"}
	case p.NoticePeriod.IsZero() || !p.NoticePeriod.atLeast(m.NoticePeriod):
		return &ConfigError{Field: "NoticePeriod", Problem: "a consumer's notice within " + m.NoticePeriod.String() + " of noticing a defect is always timely (Købeloven §81): the period cannot be shorter or removed"}
	case p.Presumption.IsZero() || !p.Presumption.atLeast(m.Presumption):
		return &ConfigError{Field: "Presumption", Problem: "the presumption for goods bought from 2022 cannot be shorter than " + m.Presumption.String() + " or removed (Købeloven §77 a)"}
	case p.PresumptionChange.IsZero():
		return nil // the (longer) Presumption applies to all goods
	case p.PresumptionChange.After(m.PresumptionChange) && !p.EarlierPresumption.atLeast(m.Presumption):
		return &ConfigError{Field: "PresumptionChange", Problem: "is after " + m.PresumptionChange.Format(time.DateOnly) + ": goods bought since then would get the earlier, shorter presumption (Købeloven §77 a)"}
	case !p.EarlierPresumption.atLeast(m.EarlierPresumption):
		return &ConfigError{Field: "EarlierPresumption", Problem: "cannot be shorter than " + m.EarlierPresumption.String() + " for goods bought before " + m.PresumptionChange.Format(time.DateOnly)}
	}
	return nil
}

// danishCalendar is DanishCalendar, built once: the presets share it, and
// a BusinessCalendar is safe for concurrent reads.
var danishCalendar = DanishCalendar()

// everyDay is the calendar of a policy without one.
type everyDay struct{}

func (everyDay) IsWorkday(time.Time) bool { return true }

func (p *Policy) calendar() Calendar {
	if p.Calendar == nil {
		return everyDay{}
	}
	return p.Calendar
}

// Due returns when period d, started at t, ends under p: calendar parts
// counted in p's Location, working hours on p's Calendar.
func (p *Policy) Due(d Period, t time.Time) time.Time {
	if d.Working && !d.calendar() {
		return addWorking(t, d.Elapsed, p.calendar(), p.location())
	}
	return d.AddTo(t, p.location())
}

func (p *Policy) location() *time.Location {
	if p.Location == nil {
		return time.UTC
	}
	return p.Location
}

// Setting returns the period of p named name ("ReminderRepeat",
// "CustomerReminder", ...: the name of a Period field), for a [Timer]'s
// Setting, and whether p has one of that name.
func (p *Policy) Setting(name string) (Period, bool) {
	switch name {
	case "FirstResponse":
		return p.FirstResponse, true
	case "ProgressUpdate":
		return p.ProgressUpdate, true
	case "DOAReplacement":
		return p.DOAReplacement, true
	case "ReviewDecision":
		return p.ReviewDecision, true
	case "EscalationWindow":
		return p.EscalationWindow, true
	case "CustomerReply":
		return p.CustomerReply, true
	case "CustomerReminder":
		return p.CustomerReminder, true
	case "CustomerLapse":
		return p.CustomerLapse, true
	case "ReminderRepeat":
		return p.ReminderRepeat, true
	case "Retention":
		return p.Retention, true
	}
	return Period{}, false
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
		{"Retention", p.Retention},
		{"CustomerReply", p.CustomerReply},
		{"CustomerReminder", p.CustomerReminder},
		{"CustomerLapse", p.CustomerLapse},
		{"ReminderRepeat", p.ReminderRepeat},
		{"ClaimPeriod", p.ClaimPeriod},
		{"NoticePeriod", p.NoticePeriod},
		{"Presumption", p.Presumption},
		{"EarlierPresumption", p.EarlierPresumption},
	}
	for _, f := range fields {
		if f.p.negative() {
			return &ConfigError{Field: f.name, Problem: "negative period " + f.p.String()}
		}
		if f.p.Working && f.p.calendar() {
			return &ConfigError{Field: f.name, Problem: "only a period of hours can be counted on working days"}
		}
	}
	if !p.Customers.Valid() {
		return &ConfigError{Field: "Customers", Problem: fmt.Sprintf("unknown customer type %q", p.Customers)}
	}
	if p.ClaimPeriod.IsZero() {
		return &ConfigError{Field: "ClaimPeriod", Problem: "required"}
	}
	if !p.EarlierPresumption.IsZero() && p.PresumptionChange.IsZero() {
		return &ConfigError{Field: "PresumptionChange", Problem: "required with EarlierPresumption"}
	}
	if p.Customers == Consumer {
		if err := LawMinimums().floor(&p); err != nil {
			return err
		}
	}
	for name, t := range p.Manufacturers {
		field := fmt.Sprintf("Manufacturers[%q]", name)
		if strings.TrimSpace(name) == "" {
			return &ConfigError{Field: "Manufacturers", Problem: "a manufacturer without a name"}
		}
		if t.Warranty.negative() || t.DOAWindow.negative() || t.Warranty.Working || t.DOAWindow.Working {
			return &ConfigError{Field: field, Problem: "negative or working-day period"}
		}
		if len(t.DOAProcedure) > MaxTextLen {
			return &ConfigError{Field: field + ".DOAProcedure", Problem: "too long"}
		}
	}
	return nil
}
