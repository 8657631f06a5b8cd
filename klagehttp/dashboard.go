package klagehttp

import (
	"embed"
	"fmt"
	"html/template"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/klageflow/klage/glossary"
	"github.com/klageflow/klage/store"
)

//go:embed templates/dashboard.html templates/customer.html
var templates embed.FS

var dashboardTemplate = template.Must(template.ParseFS(templates, "templates/dashboard.html"))

// dashboardPage is what the dashboard template shows.
type dashboardPage struct {
	From, To, Filters string
	KPIs              []kpi
	Charts            []chart
}

type kpi struct{ ID, Label, Value string }

// chart is a horizontal bar chart, laid out here so that the page needs
// no script: one bar per row, or two (opened and closed) when Paired.
type chart struct {
	ID, Title     string
	Color         string
	Paired        bool
	Bars          []chartBar
	Width, Height int
	LabelWidth    int
}

type chartBar struct {
	Label          string
	Value          string // the figure the bar stands for, as shown
	Second         string // the second series' figure, when Paired
	Text           string
	Y, H, W        int
	TextX, TextY   int
	Y2, W2         int
	TextX2, TextY2 int
}

const (
	chartWidth = 440
	labelWidth = 140
	barSpace   = chartWidth - labelWidth - 60
	rowHeight  = 28
)

// newChart lays out bars of values (and seconds, when paired), scaled to
// the largest.
func newChart(id, title, color string, labels []string, values, seconds []float64, format func(float64) string) chart {
	c := chart{ID: id, Title: title, Color: color, Paired: seconds != nil, Width: chartWidth, LabelWidth: labelWidth}
	top := 0.0
	for i := range values {
		top = max(top, values[i])
		if seconds != nil {
			top = max(top, seconds[i])
		}
	}
	scale := func(v float64) int {
		if top == 0 {
			return 0
		}
		return max(int(v/top*barSpace), 1)
	}
	row := rowHeight
	if c.Paired {
		row = 2*rowHeight - 6
	}
	for i, label := range labels {
		y := i*row + 4
		b := chartBar{Label: label, Value: format(values[i]), Text: format(values[i]), Y: y, H: 18, W: scale(values[i]),
			TextY: y + 14}
		b.TextX = labelWidth + b.W + 6
		if c.Paired {
			b.Second = format(seconds[i])
			b.Y2, b.W2 = y+22, scale(seconds[i])
			b.TextX2, b.TextY2 = labelWidth+b.W2+6, y+36
		}
		c.Bars = append(c.Bars, b)
	}
	c.Height = len(labels)*row + 8
	return c
}

func count(v float64) string   { return fmt.Sprintf("%d", int(v)) }
func percent(v float64) string { return fmt.Sprintf("%.0f%%", v*100) }

// sortedKeys returns m's keys in order.
func sortedKeys[K ~string, V any](m map[K]V) []K {
	keys := make([]K, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// dashboard answers GET /dashboard: the report of /reports as a page of
// charts, server-rendered, that works without JavaScript.
func (srv *Handler) dashboard(w http.ResponseWriter, r *http.Request) {
	q, out, ok := srv.runReport(w, r)
	if !ok {
		return
	}
	page := srv.dashboardPage(q, out)
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'")
	if err := dashboardTemplate.Execute(w, page); err != nil {
		srv.log.ErrorContext(r.Context(), "dashboard", "error", err)
	}
}

func (srv *Handler) dashboardPage(q store.ReportQuery, rep store.Report) dashboardPage {
	en := glossary.English
	var filters []string
	for _, f := range []string{string(q.Kind), string(q.Channel), q.Manufacturer, string(q.CustomerType)} {
		if f != "" {
			filters = append(filters, f)
		}
	}
	page := dashboardPage{From: q.From.Format(time.DateOnly), To: q.To.Format(time.DateOnly), Filters: strings.Join(filters, ", ")}
	avg := "–"
	if rep.Satisfaction.Count > 0 {
		avg = fmt.Sprintf("%.1f / 5", rep.Satisfaction.Average)
	}
	page.KPIs = []kpi{
		{"opened", "opened", count(float64(rep.Opened))},
		{"closed", "closed", count(float64(rep.Closed))},
		{"open", "still open", count(float64(rep.Open))},
		{"escalation", "escalated after a final answer", percent(rep.EscalationRate)},
		{"overturn", "decisions that gave more", percent(rep.OverturnRate)},
		{"doa", "DOA replaced within 14 days", percent(rep.DOAReplacedWithin14Days)},
		{"satisfaction", fmt.Sprintf("satisfaction (%d ratings)", rep.Satisfaction.Count), avg},
	}

	var labels []string
	var opened, closed []float64
	for _, wk := range rep.Weeks {
		labels = append(labels, "week of "+wk.Start.Format("2 Jan"))
		opened, closed = append(opened, float64(wk.Opened)), append(closed, float64(wk.Closed))
	}
	page.Charts = append(page.Charts, newChart("weeks", "Opened and closed per week", "var(--opened)", labels, opened, closed, count))

	labels, values := nil, []float64(nil)
	for _, n := range sortedKeys(rep.BreachRate) {
		labels, values = append(labels, srv.w.Label(n, en)), append(values, rep.BreachRate[n])
	}
	page.Charts = append(page.Charts, newChart("breach", "Clocks breached", "var(--warn)", labels, values, nil, percent))

	labels, values = nil, nil
	for _, o := range sortedKeys(rep.ByOutcome) {
		labels, values = append(labels, srv.w.Label(o, en)), append(values, float64(rep.ByOutcome[o]))
	}
	page.Charts = append(page.Charts, newChart("outcomes", "Outcomes", "var(--bar)", labels, values, nil, count))

	labels, values = nil, nil
	for _, a := range rep.FindingsByArea {
		labels, values = append(labels, a.Area), append(values, float64(a.Count))
	}
	page.Charts = append(page.Charts, newChart("findings", "Findings by area", "var(--bar)", labels, values, nil, count))

	labels, values = nil, nil
	if rep.Satisfaction.Count > 0 {
		for score := 5; score >= 1; score-- {
			labels, values = append(labels, strings.Repeat("★", score)), append(values, float64(rep.Satisfaction.Distribution[score]))
		}
	}
	page.Charts = append(page.Charts, newChart("satisfaction", "Satisfaction", "var(--closed)", labels, values, nil, count))
	return page
}
