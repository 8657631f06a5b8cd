package store

import (
	"context"
	"slices"
	"strings"

	"github.com/klageflow/klage/complaint"
	"github.com/klageflow/klage/glossary"
)

// Report computes the report of q over the complaints in memory, with the
// same definitions as the SQL stores.
func (m *Memory) Report(ctx context.Context, q ReportQuery) (Report, error) {
	if err := m.ready(ctx); err != nil {
		return Report{}, err
	}
	if err := q.check(m.w.Now); err != nil {
		return Report{}, err
	}
	m.mu.Lock()
	var snaps []complaint.Snapshot
	ratings := map[string]complaint.Rating{}
	for id, rec := range m.complaints {
		if inCohort(&rec.snap, q) {
			snaps = append(snaps, rec.snap)
			if r, ok := m.ratings[id]; ok {
				ratings[id] = r
			}
		}
	}
	var actions ActionCounts
	for _, a := range m.actions {
		actions.add(a, q.Now)
	}
	m.mu.Unlock()

	r := newReport(q)
	r.Actions = actions
	var answered, esc, withdrawn, decided, overturned, doa, doaMet int
	withdrawing := withdrawals(m.w)
	clocks, breached := map[complaint.DeadlineName]int{}, map[complaint.DeadlineName]int{}
	products, safety := map[string]int{}, map[string]int{}
	var times [3][]int64
	areas := map[string]*AreaCount{}
	var scores []int
	byKind := map[glossary.Term][]int{}
	var escScores, otherScores []int
	for i := range snaps {
		s := &snaps[i]
		c, err := m.w.Restore(*s)
		if err != nil {
			return Report{}, &DecodeError{ID: s.ID, Err: err}
		}
		r.Opened++
		if i := weekOf(q, s.CreatedAt); i >= 0 {
			r.Weeks[i].Opened++
		}
		if m.w.Terminal(s.State) {
			r.Closed++
			if i := weekOf(q, c.Last().At); i >= 0 {
				r.Weeks[i].Closed++
			}
			if slices.Contains(withdrawing, c.Last().Event) {
				withdrawn++
			}
		}
		r.ByState[s.State]++
		r.ByKind[s.Kind]++
		r.ByChannel[s.Channel]++
		if mf := manufacturerOf(s); mf != "" {
			r.ByManufacturer[mf]++
		}
		if p := productName(s.Product); p != "" {
			products[p]++
			if s.Safety {
				safety[p]++
			}
		}
		if s.Kind == glossary.Feedback {
			r.FeedbackByChannel[s.Channel]++
		}
		e := escalated(m.w, s)
		if e {
			esc++
		}
		switch {
		case s.Decision != nil:
			r.ByOutcome[s.Decision.Outcome]++
			decided++
			if s.FinalAnswer != nil && rank(s.Decision.Outcome) > rank(s.FinalAnswer.Outcome) {
				overturned++
			}
		case s.FinalAnswer != nil:
			r.ByOutcome[s.FinalAnswer.Outcome]++
		}
		if s.FinalAnswer != nil {
			answered++
		}
		if g, ok := c.Granted(); ok {
			r.RemediesGranted[g.Kind]++
		}
		for _, d := range s.Deadlines {
			clocks[d.Name]++
			if d.Breached {
				breached[d.Name]++
			}
			if d.Name == complaint.DeadlineDOAReplacement && !d.NotApplicable {
				doa++
				if !d.MetAt.IsZero() && !d.Breached {
					doaMet++
				}
			}
			if d.OverdueAt(q.Now) {
				r.OverdueByOwner[d.Owner]++
			}
		}
		ms := m.w.Milestones(c)
		for j, t := range []struct {
			ok bool
			d  int64
		}{{ms.HasFirstResponse, int64(ms.FirstResponse.Seconds())}, {ms.HasFinalAnswer, int64(ms.FinalAnswer.Seconds())}, {ms.HasDecision, int64(ms.Decision.Seconds())}} {
			if t.ok {
				times[j] = append(times[j], t.d)
			}
		}
		if s.Decision != nil {
			for _, f := range s.Decision.Findings {
				a := areas[f.Area]
				if a == nil {
					a = &AreaCount{Area: f.Area}
					areas[f.Area] = a
				}
				a.Count++
				if !slices.Contains(a.Complaints, s.ID) {
					a.Complaints = append(a.Complaints, s.ID)
				}
			}
		}
		if rt, ok := ratings[s.ID]; ok {
			scores = append(scores, rt.Score)
			byKind[s.Kind] = append(byKind[s.Kind], rt.Score)
			if e {
				escScores = append(escScores, rt.Score)
			} else {
				otherScores = append(otherScores, rt.Score)
			}
		}
	}
	r.Open = r.Opened - r.Closed
	r.EscalationRate, r.OverturnRate, r.WithdrawalRate = share(esc, answered), share(overturned, decided), share(withdrawn, r.Closed)
	for n, total := range clocks {
		r.BreachRate[n] = share(breached[n], total)
	}
	r.DOAReplacedWithin14Days = share(doaMet, doa)
	r.TimeToFirstResponse, r.TimeToFinalAnswer, r.TimeToDecision = quantiles(times[0]), quantiles(times[1]), quantiles(times[2])
	r.TopProducts = sortCounts(countsOf(products), q.TopProducts)
	r.SafetyByProduct = sortCounts(countsOf(safety), 0)
	for _, a := range areas {
		slices.Sort(a.Complaints)
		if len(a.Complaints) > MaxReportComplaints {
			a.Complaints = a.Complaints[:MaxReportComplaints]
		}
		r.FindingsByArea = append(r.FindingsByArea, *a)
	}
	sortAreas(r.FindingsByArea)
	r.Satisfaction.Average, r.Satisfaction.Count = meanOf(scores).Average, len(scores)
	for _, s := range scores {
		r.Satisfaction.Distribution[s]++
	}
	for k, ss := range byKind {
		r.Satisfaction.ByKind[k] = meanOf(ss)
	}
	r.Satisfaction.Escalated, r.Satisfaction.NotEscalated = meanOf(escScores), meanOf(otherScores)
	return r, nil
}

// inCohort reports whether s is one of the complaints q covers.
func inCohort(s *complaint.Snapshot, q ReportQuery) bool {
	switch {
	case s.CreatedAt.Before(q.From) || !s.CreatedAt.Before(q.To):
		return false
	case q.Kind != "" && s.Kind != q.Kind:
		return false
	case q.Channel != "" && s.Channel != q.Channel:
		return false
	case q.CustomerType != "" && s.Customer.Type != q.CustomerType:
		return false
	case q.Manufacturer != "" && manufacturerOf(s) != glossary.NormalID(q.Manufacturer):
		return false
	}
	return true
}

// manufacturerOf is the manufacturer a report files s under, as the SQL
// stores index it: the referral's, else the product's, case-folded.
func manufacturerOf(s *complaint.Snapshot) string {
	m := s.Product.Manufacturer
	if s.Referral != nil && s.Referral.Manufacturer != "" {
		m = s.Referral.Manufacturer
	}
	return glossary.NormalID(m)
}

func countsOf(m map[string]int) []Count {
	out := make([]Count, 0, len(m))
	for k, v := range m {
		out = append(out, Count{Name: k, Count: v})
	}
	return out
}

func sortAreas(as []AreaCount) {
	slices.SortFunc(as, func(a, b AreaCount) int {
		if a.Count != b.Count {
			return b.Count - a.Count
		}
		return strings.Compare(a.Area, b.Area)
	})
}

func quantiles(v []int64) Quantiles {
	if len(v) == 0 {
		return Quantiles{}
	}
	slices.Sort(v)
	return Quantiles{Median: v[nearestRank(0.5, len(v))], P90: v[nearestRank(0.9, len(v))], Count: len(v)}
}

func meanOf(v []int) Mean {
	if len(v) == 0 {
		return Mean{}
	}
	sum := 0
	for _, x := range v {
		sum += x
	}
	return Mean{Average: float64(sum) / float64(len(v)), Count: len(v)}
}
