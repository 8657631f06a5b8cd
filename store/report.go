package store

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/klageflow/klage/complaint"
	"github.com/klageflow/klage/escalation"
	"github.com/klageflow/klage/glossary"
)

// ReportQuery selects what a [Report] covers: the complaints opened from
// From (inclusive) to To (exclusive) that match the filters.
type ReportQuery struct {
	From, To     time.Time
	Kind         glossary.Term          // optional
	Channel      glossary.Channel       // optional
	Manufacturer string                 // optional; compared as complaint ids are (case-folded)
	CustomerType complaint.CustomerType // optional
	// TopProducts is how many products TopProducts lists; 0 means 10.
	TopProducts int
	// Now is the time of OverdueByOwner; zero means the store's clock.
	Now time.Time
}

// Report is what the complaints of a [ReportQuery] say, for the
// Complaints Department's improvement work. Every figure is about those
// complaints; rates are shares from 0 to 1, and 0 when there is nothing
// to divide.
type Report struct {
	From   time.Time `json:"from"`
	To     time.Time `json:"to"`
	Opened int       `json:"opened"`
	// Unreadable counts the complaints of the period whose stored rows
	// the report could not read (damaged, or written by a newer release):
	// left out of every other figure.
	Unreadable int `json:"unreadable"`
	// Closed counts those opened in the range that are closed now; Open,
	// those that are not.
	Closed         int                                `json:"closed"`
	Open           int                                `json:"open"`
	ByState        map[complaint.State]int            `json:"by_state"`
	ByKind         map[glossary.Term]int              `json:"by_kind"`
	ByChannel      map[glossary.Channel]int           `json:"by_channel"`
	ByManufacturer map[string]int                     `json:"by_manufacturer"`
	TopProducts    []Count                            `json:"top_products"`
	ByOutcome      map[escalation.Outcome]int         `json:"by_outcome"`      // the decision's, else the final answer's
	EscalationRate float64                            `json:"escalation_rate"` // escalated / final answers
	OverturnRate   float64                            `json:"overturn_rate"`   // decisions that gave more than the final answer / decisions
	WithdrawalRate float64                            `json:"withdrawal_rate"` // withdrawn / closed (see withdrawals)
	BreachRate     map[complaint.DeadlineName]float64 `json:"breach_rate"`     // clocks breached / clocks started, by clock
	// The times to the milestones (complaint.Milestones), in seconds.
	TimeToFirstResponse Quantiles                     `json:"time_to_first_response"`
	TimeToFinalAnswer   Quantiles                     `json:"time_to_final_answer"`
	TimeToDecision      Quantiles                     `json:"time_to_decision"`
	RemediesGranted     map[escalation.RemedyKind]int `json:"remedies_granted"`
	// DOAReplacedWithin14Days is the share of DOA replacement clocks that
	// still applied and were met in time: the seed's goal.
	DOAReplacedWithin14Days float64                  `json:"doa_replaced_within_14_days"`
	FindingsByArea          []AreaCount              `json:"findings_by_area"`
	FeedbackByChannel       map[glossary.Channel]int `json:"feedback_by_channel"`
	SafetyByProduct         []Count                  `json:"safety_by_product"`
	OverdueByOwner          map[glossary.Role]int    `json:"overdue_by_owner"` // running clocks past due at Now
	Satisfaction            Satisfaction             `json:"satisfaction"`
	// Actions counts the improvement actions by status, and those overdue
	// at Now, whatever complaints they came from.
	Actions ActionCounts `json:"actions"`
	// Weeks are the range in weeks from From: how many of the complaints
	// were opened in each, and how many closed in each.
	Weeks []Week `json:"weeks"`
}

// ActionCounts counts improvement actions.
type ActionCounts struct {
	Open    int `json:"open"`
	Done    int `json:"done"`
	Dropped int `json:"dropped"`
	Overdue int `json:"overdue"`
}

func (c *ActionCounts) add(a Action, now time.Time) {
	switch a.Status {
	case ActionOpen:
		c.Open++
	case ActionDone:
		c.Done++
	case ActionDropped:
		c.Dropped++
	}
	if a.Overdue(now) {
		c.Overdue++
	}
}

// Week is one week of a report's range.
type Week struct {
	Start  time.Time `json:"start"`
	Opened int       `json:"opened"`
	Closed int       `json:"closed"`
}

const week = 7 * 24 * time.Hour

// weeks returns the weeks of q's range, empty.
func weeks(q ReportQuery) []Week {
	var out []Week
	for t := q.From; t.Before(q.To); t = t.Add(week) {
		out = append(out, Week{Start: t})
	}
	return out
}

// weekOf returns the index of t's week in q's range, or -1 outside it.
func weekOf(q ReportQuery, t time.Time) int {
	if t.Before(q.From) || !t.Before(q.To) {
		return -1
	}
	return int(t.Sub(q.From) / week)
}

// Count is a name and how many.
type Count struct {
	Name  string `json:"name"`
	Count int    `json:"count"`
}

// AreaCount is how many findings name an area, and the complaints behind
// them (at most MaxReportComplaints ids, sorted).
type AreaCount struct {
	Area       string   `json:"area"`
	Count      int      `json:"count"`
	Complaints []string `json:"complaints"`
}

// MaxReportComplaints bounds the complaint ids a finding area lists.
const MaxReportComplaints = 50

// Quantiles are the median and 90th percentile of durations, in seconds,
// by nearest rank, over Count values.
type Quantiles struct {
	Median int64 `json:"median"`
	P90    int64 `json:"p90"`
	Count  int   `json:"count"`
}

// Satisfaction summarises customers' ratings (1 to 5).
type Satisfaction struct {
	Average      float64                `json:"average"`
	Count        int                    `json:"count"`
	Distribution map[int]int            `json:"distribution"`
	ByKind       map[glossary.Term]Mean `json:"by_kind"`
	Escalated    Mean                   `json:"escalated"`
	NotEscalated Mean                   `json:"not_escalated"`
}

// Mean is an average and how many values it is of.
type Mean struct {
	Average float64 `json:"average"`
	Count   int     `json:"count"`
}

// Reporter is a store that computes reports: the SQL stores (in the
// database, over the creation-time index) and Memory.
type Reporter interface {
	Report(ctx context.Context, q ReportQuery) (Report, error)
}

var (
	_ Reporter = (*SQL)(nil)
	_ Reporter = (*Memory)(nil)
)

// ErrInvalidReport is matched by the error of a report query whose range
// is empty or reversed.
var ErrInvalidReport = errors.New("store: invalid report query")

func (q *ReportQuery) check(now func() time.Time) error {
	if q.From.IsZero() || q.To.IsZero() || !q.To.After(q.From) {
		return fmt.Errorf("%w: want From before To", ErrInvalidReport)
	}
	if q.TopProducts <= 0 {
		q.TopProducts = 10
	}
	if q.Now.IsZero() {
		q.Now = now()
	}
	return nil
}

func newReport(q ReportQuery) Report {
	return Report{From: q.From, To: q.To, ByState: map[complaint.State]int{}, ByKind: map[glossary.Term]int{},
		ByChannel: map[glossary.Channel]int{}, ByManufacturer: map[string]int{}, TopProducts: []Count{},
		ByOutcome: map[escalation.Outcome]int{}, BreachRate: map[complaint.DeadlineName]float64{},
		RemediesGranted: map[escalation.RemedyKind]int{}, FindingsByArea: []AreaCount{},
		FeedbackByChannel: map[glossary.Channel]int{}, SafetyByProduct: []Count{}, OverdueByOwner: map[glossary.Role]int{},
		Satisfaction: Satisfaction{Distribution: map[int]int{}, ByKind: map[glossary.Term]Mean{}}, Weeks: weeks(q)}
}

func share(n, of int) float64 {
	if of == 0 {
		return 0
	}
	return float64(n) / float64(of)
}

// rank orders outcomes by how much they give the customer.
func rank(o escalation.Outcome) int {
	switch o {
	case escalation.Upheld:
		return 2
	case escalation.PartlyUpheld:
		return 1
	}
	return 0
}

// nearestRank returns the index (0-based) of the p-quantile of n sorted
// values.
func nearestRank(p float64, n int) int { return max(int(math.Ceil(p*float64(n)))-1, 0) }

// sortCounts orders counts by count, then name, and keeps the first n (all
// when n is 0).
func sortCounts(cs []Count, n int) []Count {
	slices.SortFunc(cs, func(a, b Count) int {
		if a.Count != b.Count {
			return b.Count - a.Count
		}
		return strings.Compare(a.Name, b.Name)
	})
	if n > 0 && len(cs) > n {
		cs = cs[:n]
	}
	return cs
}

// productName is what reports call a complaint's product.
func productName(p complaint.Product) string {
	if p.Name != "" {
		return p.Name
	}
	return p.SKU
}

// escalated reports whether s went to the Complaints Department, by w's
// lifecycle.
func escalated(w *complaint.Workflow, s *complaint.Snapshot) bool {
	if s.Decision != nil || w.Escalated(s.State) {
		return true
	}
	for _, d := range s.Deadlines {
		if d.Name == complaint.DeadlineReviewDecision {
			return true
		}
	}
	return false
}

// withdrawals returns the events of w's lifecycle that withdraw a
// complaint: the customer's own decision (Consent) to end the case
// (leading to a terminal state) without its being resolved (not Settles).
// In the reference lifecycle that is withdraw; accept settles, and close
// and lapse are not the customer's decision.
func withdrawals(w *complaint.Workflow) []complaint.Event {
	var out []complaint.Event
	for _, r := range w.Lifecycle().Rules {
		if r.Consent && !r.Settles && w.Terminal(r.To) && !slices.Contains(out, r.Event) {
			out = append(out, r.Event)
		}
	}
	return out
}
