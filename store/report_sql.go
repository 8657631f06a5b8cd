package store

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/klageflow/klage/complaint"
	"github.com/klageflow/klage/escalation"
	"github.com/klageflow/klage/glossary"
)

// The report's SQL reads the complaint rows' JSON (the checkpoint
// snapshot) and the milestone columns, for the rows that the creation-time
// index selects. jx and friends spell a JSON access in the dialect.
//
// On SQLite the statements read klage_complaints itself. On PostgreSQL,
// where the data column is TEXT (schema 8) and parsing it is the cost, the
// report first copies its cohort, in one REPEATABLE READ transaction, into
// a temporary table holding each complaint's columns and the parts of its
// JSON that the report reads (reportPaths), parsed once, as doc; every
// other statement reads that table, and all of them see one snapshot.

// reportPaths are the paths of a complaint's JSON that the report reads:
// the parts of it that the PostgreSQL cohort table keeps.
var reportPaths = []string{
	"channel", "customer.type", "product.name", "product.sku", "safety",
	"final_answer.outcome", "final_answer.remedy.kind",
	"decision.outcome", "decision.remedy.kind", "decision.findings", "deadlines",
}

// reportCohortTable is the PostgreSQL report's temporary table.
const reportCohortTable = "klage_report_cohort"

// projection returns the SQL of a JSONB object with doc's values at paths,
// nested as in doc, and, as last_event, the event of doc's newest history
// entry.
func projection(doc string, paths []string) string {
	type node struct {
		names []string
		kids  map[string]*node
	}
	root := &node{kids: map[string]*node{}}
	for _, p := range paths {
		n := root
		for _, part := range strings.Split(p, ".") {
			k, ok := n.kids[part]
			if !ok {
				k = &node{kids: map[string]*node{}}
				n.kids[part], n.names = k, append(n.names, part)
			}
			n = k
		}
	}
	// fields returns the arguments of jsonb_build_object for n's children,
	// found in the document at at.
	var fields func(n *node, at string) []string
	fields = func(n *node, at string) []string {
		var args []string
		for _, name := range n.names {
			value := at + "->'" + name + "'"
			if kid := n.kids[name]; len(kid.names) > 0 {
				value = "jsonb_build_object(" + strings.Join(fields(kid, value), ", ") + ")"
			}
			args = append(args, "'"+name+"'", value)
		}
		return args
	}
	args := append(fields(root, doc), "'last_event'", doc+"->'history'->-1->'event'")
	return "jsonb_build_object(" + strings.Join(args, ", ") + ")"
}

// querier runs the report's statements: the database, or the PostgreSQL
// report's transaction.
type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// reportSQL builds and runs the report's statements for one query.
type reportSQL struct {
	s     *SQL
	on    querier
	from  string // the cohort's FROM item, as c
	where string // the cohort, on c
	args  []any
	// unreadable counts the rows of the period whose data the report
	// cannot read (not a JSON object): left out of the cohort.
	unreadable int
}

// cohort returns the statements' builder for q, and what ends its
// transaction when it has one.
func (s *SQL) cohort(ctx context.Context, q ReportQuery) (reportSQL, func(), error) {
	d := s.d
	doc := d.cohortDoc()
	w := []string{"c.created_at >= ?", "c.created_at < ?"}
	args := []any{nanos(q.From), nanos(q.To)}
	if q.Kind != "" {
		w, args = append(w, "c.kind = ?"), append(args, string(q.Kind))
	}
	if q.Manufacturer != "" {
		w, args = append(w, "c.manufacturer = ?"), append(args, glossary.NormalID(q.Manufacturer))
	}
	// The rows of the period that a report cannot read: left out, counted.
	base, baseArgs := strings.Join(w, " AND "), slices.Clone(args)
	w = append(w, d.readable())
	if q.Channel != "" {
		w, args = append(w, d.jsonText(doc, "channel")+" = ?"), append(args, string(q.Channel))
	}
	if q.CustomerType != "" {
		w, args = append(w, d.jsonText(doc, "customer.type")+" = ?"), append(args, string(q.CustomerType))
	}
	where := strings.Join(w, " AND ")
	return d.cohort(ctx, s, base, baseArgs, where, args)
}

// reportTrace, when set (by tests), sees every statement a report runs,
// with its arguments.
var reportTrace func(query string, args []any)

func (r reportSQL) query(ctx context.Context, q string, extra ...any) (*sql.Rows, error) {
	q, args := r.s.d.rebind(q), append(slices.Clone(r.args), extra...)
	if reportTrace != nil {
		reportTrace(q, args)
	}
	rows, err := r.on.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("store: report: %w", err)
	}
	return rows, nil
}

// counts runs "SELECT key, COUNT(*) ... GROUP BY key" over the cohort
// (with the joins and conditions given) and calls add for each row.
func (r reportSQL) counts(ctx context.Context, key, joins, cond string, add func(k string, n int)) error {
	q := "SELECT " + key + ", COUNT(*) FROM " + r.from + joins + " WHERE " + r.where
	if cond != "" {
		q += " AND " + cond
	}
	rows, err := r.query(ctx, q+" GROUP BY "+key)
	if err != nil {
		return err
	}
	return each(rows, func() error {
		var k sql.NullString
		var n int
		if err := rows.Scan(&k, &n); err != nil {
			return err
		}
		if k.Valid && k.String != "" {
			add(k.String, n)
		}
		return nil
	})
}

// each calls scan for every row of rows, then closes them; it returns the
// first error.
func each(rows *sql.Rows, scan func() error) error {
	defer rows.Close()
	for rows.Next() {
		if err := scan(); err != nil {
			return fmt.Errorf("store: report: %w", err)
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("store: report: %w", err)
	}
	return nil
}

// quantiles computes the nearest-rank median and 90th percentile of the
// milestone column col over the cohort.
func (r reportSQL) quantiles(ctx context.Context, col string) (Quantiles, error) {
	var q Quantiles
	if err := r.row(ctx, "SELECT COUNT("+col+") FROM "+r.from+" WHERE "+r.where, &q.Count); err != nil {
		return q, err
	}
	if q.Count == 0 {
		return q, nil
	}
	pick := "SELECT " + col + " FROM " + r.from + " WHERE " + r.where + " AND " + col + " IS NOT NULL ORDER BY " + col + " LIMIT 1 OFFSET ?"
	if err := r.scan(ctx, pick, []any{nearestRank(0.5, q.Count)}, &q.Median); err != nil {
		return q, err
	}
	return q, r.scan(ctx, pick, []any{nearestRank(0.9, q.Count)}, &q.P90)
}

func (r reportSQL) row(ctx context.Context, q string, dst any) error { return r.scan(ctx, q, nil, dst) }

// scan runs q over the cohort's arguments and extra, and scans its one
// row into dst.
func (r reportSQL) scan(ctx context.Context, q string, extra []any, dst ...any) error {
	q, args := r.s.d.rebind(q), append(slices.Clone(r.args), extra...)
	if reportTrace != nil {
		reportTrace(q, args)
	}
	if err := r.on.QueryRowContext(ctx, q, args...).Scan(dst...); err != nil {
		return fmt.Errorf("store: report: %w", err)
	}
	return nil
}

// Report computes the report of q in the database: GROUP BY queries over
// the complaints that the creation-time index selects, reading their JSON
// and milestone columns; no complaint is loaded into memory.
func (s *SQL) Report(ctx context.Context, q ReportQuery) (Report, error) {
	if err := s.usable(); err != nil {
		return Report{}, err
	}
	if err := q.check(s.w.Now); err != nil {
		return Report{}, err
	}
	d := s.d
	r := newReport(q)
	c, done, err := s.cohort(ctx, q)
	if err != nil {
		return Report{}, err
	}
	defer done()
	answer, decision := jx(d, "final_answer.outcome"), jx(d, "decision.outcome")
	rankOf := func(e string) string {
		return "CASE " + e + " WHEN 'upheld' THEN 2 WHEN 'partly_upheld' THEN 1 ELSE 0 END"
	}
	reviewClock := d.reviewClock()
	escalatedSQL := "(" + decision + " IS NOT NULL OR " + stateIn(s.w.StatesWhere(func(st complaint.StateSpec) bool { return s.w.Escalated(st.State) })) +
		" OR " + reviewClock + ")"
	var answered, esc, withdrawn, decided, overturned int
	err = c.scan(ctx, `SELECT COUNT(*), COUNT(c.closed_at),
		COALESCE(SUM(CASE WHEN `+answer+` IS NOT NULL THEN 1 ELSE 0 END), 0),
		COALESCE(SUM(CASE WHEN `+escalatedSQL+` THEN 1 ELSE 0 END), 0),
		COALESCE(SUM(CASE WHEN c.closed_at IS NOT NULL AND `+in(d.lastEvent(), withdrawals(s.w))+` THEN 1 ELSE 0 END), 0),
		COALESCE(SUM(CASE WHEN `+decision+` IS NOT NULL THEN 1 ELSE 0 END), 0),
		COALESCE(SUM(CASE WHEN `+decision+` IS NOT NULL AND `+answer+` IS NOT NULL AND `+rankOf(decision)+` > `+rankOf(answer)+` THEN 1 ELSE 0 END), 0)
		FROM `+c.from+` WHERE `+c.where, nil, &r.Opened, &r.Closed, &answered, &esc, &withdrawn, &decided, &overturned)
	if err != nil {
		return Report{}, err
	}
	r.Open = r.Opened - r.Closed
	r.Unreadable = c.unreadable
	r.EscalationRate, r.OverturnRate, r.WithdrawalRate = share(esc, answered), share(overturned, decided), share(withdrawn, r.Closed)

	product := "COALESCE(NULLIF(" + jx(d, "product.name") + ", ''), NULLIF(" + jx(d, "product.sku") + ", ''))"
	// What the complaint grants (complaint.Granted): the decision's remedy
	// in place of the answer's; a decision that grants nothing leaves the
	// answer's owed.
	granted := "COALESCE(NULLIF(" + jx(d, "decision.remedy.kind") + ", ''), " + jx(d, "final_answer.remedy.kind") + ")"
	products, safety := map[string]int{}, map[string]int{}
	groups := []struct {
		key, joins, cond string
		add              func(string, int)
	}{
		{"c.state", "", "", func(k string, n int) { r.ByState[complaint.State(k)] += n }},
		{"c.kind", "", "", func(k string, n int) { r.ByKind[glossary.Term(k)] += n }},
		{jx(d, "channel"), "", "", func(k string, n int) { r.ByChannel[glossary.Channel(k)] += n }},
		{"c.manufacturer", "", "", func(k string, n int) { r.ByManufacturer[k] += n }},
		{"COALESCE(" + decision + ", " + answer + ")", "", "", func(k string, n int) { r.ByOutcome[escalation.Outcome(k)] += n }},
		{granted, "", "", func(k string, n int) { r.RemediesGranted[escalation.RemedyKind(k)] += n }},
		{product, "", "", func(k string, n int) { products[k] += n }},
		{product, "", d.truthy(jx(d, "safety")), func(k string, n int) { safety[k] += n }},
		{jx(d, "channel"), "", "c.kind = 'feedback'", func(k string, n int) { r.FeedbackByChannel[glossary.Channel(k)] += n }},
	}
	for _, g := range groups {
		if err := c.counts(ctx, g.key, g.joins, g.cond, g.add); err != nil {
			return Report{}, err
		}
	}
	r.TopProducts = sortCounts(countsOf(products), q.TopProducts)
	r.SafetyByProduct = sortCounts(countsOf(safety), 0)

	// The clocks.
	clocks := map[string][2]int{}
	rows, err := c.query(ctx, "SELECT "+d.ex("name")+", COUNT(*), COALESCE(SUM(CASE WHEN "+d.truthy(d.ex("breached"))+" THEN 1 ELSE 0 END), 0) FROM "+c.from+
		d.elements("deadlines")+" WHERE "+c.where+" GROUP BY "+d.ex("name"))
	if err != nil {
		return Report{}, err
	}
	err = each(rows, func() error {
		var name string
		var n, b int
		err := rows.Scan(&name, &n, &b)
		clocks[name] = [2]int{n, b}
		return err
	})
	if err != nil {
		return Report{}, err
	}
	for name, nb := range clocks {
		r.BreachRate[complaint.DeadlineName(name)] = share(nb[1], nb[0])
	}
	var doa, doaMet int
	err = c.scan(ctx, "SELECT COUNT(*), COALESCE(SUM(CASE WHEN "+d.ex("met_at")+" IS NOT NULL AND NOT ("+d.truthy(d.ex("breached"))+") THEN 1 ELSE 0 END), 0)"+
		" FROM "+c.from+d.elements("deadlines")+" WHERE "+c.where+" AND "+d.ex("name")+" = 'doa_replacement' AND NOT ("+d.truthy(d.ex("not_applicable"))+")",
		nil, &doa, &doaMet)
	if err != nil {
		return Report{}, err
	}
	r.DOAReplacedWithin14Days = share(doaMet, doa)
	running := d.ex("due") + " IS NOT NULL AND " + d.ex("met_at") + " IS NULL AND NOT (" + d.truthy(d.ex("cancelled")) + ") AND NOT (" +
		d.truthy(d.ex("not_applicable")) + ") AND " + d.before(d.ex("due"))
	rows, err = c.query(ctx, "SELECT "+d.ex("owner")+", COUNT(*) FROM "+c.from+d.elements("deadlines")+" WHERE "+c.where+" AND "+running+
		" GROUP BY "+d.ex("owner"), q.Now.UTC().Format(time.RFC3339Nano))
	if err != nil {
		return Report{}, err
	}
	err = each(rows, func() error {
		var owner string
		var n int
		err := rows.Scan(&owner, &n)
		r.OverdueByOwner[glossary.Role(owner)] = n
		return err
	})
	if err != nil {
		return Report{}, err
	}

	// The weeks: openings by creation time, closings by closing time.
	for _, col := range []string{"c.created_at", "c.closed_at"} {
		bucket := fmt.Sprintf("(%s - %d) / %d", col, nanos(q.From), int64(week))
		err := c.counts(ctx, bucket, "", col+" IS NOT NULL AND "+col+" < "+fmt.Sprint(nanos(q.To)), func(k string, n int) {
			var i int
			if _, err := fmt.Sscan(k, &i); err == nil && i >= 0 && i < len(r.Weeks) {
				if col == "c.created_at" {
					r.Weeks[i].Opened += n
				} else {
					r.Weeks[i].Closed += n
				}
			}
		})
		if err != nil {
			return Report{}, err
		}
	}

	// The times.
	for _, t := range []struct {
		col string
		dst *Quantiles
	}{{"c.first_response_secs", &r.TimeToFirstResponse}, {"c.final_answer_secs", &r.TimeToFinalAnswer}, {"c.decision_secs", &r.TimeToDecision}} {
		if *t.dst, err = c.quantiles(ctx, t.col); err != nil {
			return Report{}, err
		}
	}

	// The findings, with the complaints behind them.
	areas := map[string]*AreaCount{}
	rows, err = c.query(ctx, "SELECT "+d.ex("area")+", c.id FROM "+c.from+d.elements("decision.findings")+" WHERE "+c.where)
	if err != nil {
		return Report{}, err
	}
	err = each(rows, func() error {
		var area, id string
		if err := rows.Scan(&area, &id); err != nil {
			return err
		}
		a := areas[area]
		if a == nil {
			a = &AreaCount{Area: area}
			areas[area] = a
		}
		a.Count++
		if !slices.Contains(a.Complaints, id) {
			a.Complaints = append(a.Complaints, id)
		}
		return nil
	})
	if err != nil {
		return Report{}, err
	}
	for _, a := range areas {
		slices.Sort(a.Complaints)
		if len(a.Complaints) > MaxReportComplaints {
			a.Complaints = a.Complaints[:MaxReportComplaints]
		}
		r.FindingsByArea = append(r.FindingsByArea, *a)
	}
	sortAreas(r.FindingsByArea)

	// The improvement actions.
	rows, err = c.on.QueryContext(ctx, d.rebind(`SELECT status, COUNT(*), COALESCE(SUM(CASE WHEN status = 'open' AND due < ? THEN 1 ELSE 0 END), 0)
		FROM klage_actions GROUP BY status`), nanos(q.Now))
	if err != nil {
		return Report{}, fmt.Errorf("store: report: %w", err)
	}
	err = each(rows, func() error {
		var status string
		var n, overdue int
		if err := rows.Scan(&status, &n, &overdue); err != nil {
			return err
		}
		switch ActionStatus(status) {
		case ActionOpen:
			r.Actions.Open = n
		case ActionDone:
			r.Actions.Done = n
		case ActionDropped:
			r.Actions.Dropped = n
		}
		r.Actions.Overdue += overdue
		return nil
	})
	if err != nil {
		return Report{}, err
	}

	// Satisfaction.
	rows, err = c.query(ctx, "SELECT rt.score, c.kind, CASE WHEN "+escalatedSQL+" THEN 1 ELSE 0 END, COUNT(*) FROM "+c.from+" JOIN klage_ratings rt ON rt.complaint_id = c.id WHERE "+
		c.where+" GROUP BY rt.score, c.kind, CASE WHEN "+escalatedSQL+" THEN 1 ELSE 0 END")
	if err != nil {
		return Report{}, err
	}
	sums := map[string][2]int{}
	total, count := 0, 0
	err = each(rows, func() error {
		var score, esc, n int
		var kind string
		if err := rows.Scan(&score, &kind, &esc, &n); err != nil {
			return err
		}
		r.Satisfaction.Distribution[score] += n
		total, count = total+score*n, count+n
		for _, k := range []string{"kind:" + kind, fmt.Sprint("esc:", esc)} {
			v := sums[k]
			sums[k] = [2]int{v[0] + score*n, v[1] + n}
		}
		return nil
	})
	if err != nil {
		return Report{}, err
	}
	mean := func(v [2]int) Mean {
		if v[1] == 0 {
			return Mean{}
		}
		return Mean{Average: float64(v[0]) / float64(v[1]), Count: v[1]}
	}
	r.Satisfaction.Count = count
	if count > 0 {
		r.Satisfaction.Average = float64(total) / float64(count)
	}
	for k, v := range sums {
		if kind, ok := strings.CutPrefix(k, "kind:"); ok {
			r.Satisfaction.ByKind[glossary.Term(kind)] = mean(v)
		}
	}
	r.Satisfaction.Escalated, r.Satisfaction.NotEscalated = mean(sums["esc:1"]), mean(sums["esc:0"])
	return r, nil
}

// stateIn is the SQL for "c.state is one of states": the states are the
// lifecycle's wire names, well-formed by its validation, so they are
// written as literals.
func stateIn(states []complaint.State) string { return in("c.state", states) }

// in returns the SQL condition "expr is one of names", with names as
// quoted literals (wire names, checked well-formed by the lifecycle).
func in[S ~string](expr string, names []S) string {
	if len(names) == 0 {
		return "FALSE"
	}
	quoted := make([]string, len(names))
	for i, n := range names {
		quoted[i] = "'" + strings.ReplaceAll(string(n), "'", "''") + "'"
	}
	return expr + " IN (" + strings.Join(quoted, ", ") + ")"
}
