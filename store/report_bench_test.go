package store_test

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/klageflow/klage/internal/pgtest"
	"github.com/klageflow/klage/store"
	"github.com/klageflow/klage/store/postgres"
)

// fillReportData fills a PostgreSQL store with n complaints of realistic
// shape: the complaints of reportData (a DOA replaced, a claim escalated
// and partly upheld, a withdrawal, feedback, a safety matter, a business
// customer's case), made through the library, then copied in SQL with new
// ids and creation times spread over a year, ratings included, and
// ANALYZEd. It returns a one-month query in the middle of the year.
func fillReportData(tb testing.TB, n int) (*store.SQL, store.ReportQuery) {
	tb.Helper()
	f := newFixture(tb)
	s, err := postgres.Open(ctx, f.w, pgtest.DSN(tb))
	require.NoError(tb, err)
	tb.Cleanup(func() { _ = s.Close() })
	f.s = s
	q, _ := reportData(tb, f)
	year := 365 * 24 * time.Hour
	start := q.From.Add(-year / 2)
	step := int64(year) / int64(n)
	_, err = s.DB().ExecContext(ctx, `
		INSERT INTO klage_complaints (id, state, version, created_at, updated_at, next_due, data, data_format, customer_id, kind, manufacturer,
			closed_at, first_response_secs, final_answer_secs, decision_secs)
		SELECT 'bulk-' || g, t.state, t.version, $1::bigint + g * $2::bigint, t.updated_at, t.next_due, t.data, t.data_format,
			t.customer_id || '-' || (g % 5000), t.kind, t.manufacturer, t.closed_at, t.first_response_secs, t.final_answer_secs, t.decision_secs
		FROM generate_series(1, $3::bigint) AS g
		JOIN (SELECT row_number() OVER (ORDER BY id) - 1 AS i, * FROM klage_complaints) AS t ON t.i = g % (SELECT COUNT(*) FROM klage_complaints)`,
		start.UnixNano(), step, n)
	require.NoError(tb, err)
	_, err = s.DB().ExecContext(ctx, `
		INSERT INTO klage_ratings (complaint_id, score, comment, rated_at, complaint_created_at)
		SELECT c.id, r.score, r.comment, r.rated_at, c.created_at
		FROM klage_complaints c JOIN klage_complaints t ON c.data = t.data AND t.id NOT LIKE 'bulk-%' JOIN klage_ratings r ON r.complaint_id = t.id
		WHERE c.id LIKE 'bulk-%'`)
	require.NoError(tb, err)
	_, err = s.DB().ExecContext(ctx, `ANALYZE`)
	require.NoError(tb, err)
	mid := start.Add(year / 2)
	return s, store.ReportQuery{From: mid, To: mid.Add(30 * 24 * time.Hour), Now: mid.Add(60 * 24 * time.Hour)}
}

// TestReportUsesIndexes: on 50,000 complaints, no statement of a
// one-month report scans the complaints table sequentially. On PostgreSQL
// one statement reads it, copying the cohort into the report's temporary
// table, which the others read.
func TestReportUsesIndexes(t *testing.T) {
	s, q := fillReportData(t, 50_000)
	type stmt struct {
		q    string
		args []any
	}
	var stmts []stmt
	stop := store.TraceReport(func(q string, args []any) { stmts = append(stmts, stmt{q, args}) })
	rep, err := s.Report(ctx, q)
	stop()
	require.NoError(t, err)
	assert.Greater(t, rep.Opened, 3000, "a month of a year of 50,000")
	require.Greater(t, len(stmts), 15)
	reads := 0
	for _, st := range stmts {
		if !strings.Contains(st.q, "klage_complaints") {
			assert.Contains(t, st.q, "klage_report_cohort", "a statement reads the cohort or the complaints: %s", st.q)
			continue
		}
		reads++
		rows, err := s.DB().QueryContext(ctx, "EXPLAIN "+st.q, st.args...)
		require.NoError(t, err)
		var plan []string
		for rows.Next() {
			var line string
			require.NoError(t, rows.Scan(&line))
			plan = append(plan, line)
		}
		require.NoError(t, rows.Close())
		text := strings.Join(plan, "\n")
		assert.NotContains(t, text, "Seq Scan on klage_complaints", "%s\n%s", st.q, text)
		assert.Contains(t, text, "klage_complaints_created", "%s\n%s", st.q, text)
	}
	assert.Equal(t, 1, reads, "one statement reads the complaints table")
}

// BenchmarkReport200kPostgres times one full one-month report over
// 200,000 complaints in PostgreSQL (the target: under a second):
//
//	go test -run '^$' -bench Report200k -benchtime 10x ./store/
func BenchmarkReport200kPostgres(b *testing.B) {
	s, q := fillReportData(b, 200_000)
	var opened int
	for b.Loop() {
		rep, err := s.Report(ctx, q)
		if err != nil {
			b.Fatal(err)
		}
		opened = rep.Opened
	}
	b.ReportMetric(float64(opened), "complaints")
}
