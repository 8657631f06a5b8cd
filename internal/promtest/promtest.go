// Package promtest scrapes Prometheus metrics over HTTP for tests and
// reads samples from them: the text format parsed, never grepped.
package promtest

import (
	"net/http"
	"testing"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// Families are scraped metric families by name.
type Families map[string]*dto.MetricFamily

// Scrape GETs url and parses the text format.
func Scrape(tb testing.TB, url string) Families {
	tb.Helper()
	return ScrapeAs(tb, url, "")
}

// ScrapeAs is Scrape with a bearer token (none when empty).
func ScrapeAs(tb testing.TB, url, token string) Families {
	tb.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		tb.Fatalf("promtest: %v", err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req) // #nosec G107 -- a test helper: url is the test's own server
	if err != nil {
		tb.Fatalf("promtest: %v", err)
	}
	defer func() { _ = resp.Body.Close() }()
	if resp.StatusCode != http.StatusOK {
		tb.Fatalf("promtest: %s answered %d", url, resp.StatusCode)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	f, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		tb.Fatalf("promtest: %v", err)
	}
	return f
}

// Value returns the value of the sample of family name whose labels
// include the given name, value pairs (a histogram's sample count), and
// whether there is one.
func (f Families) Value(name string, labels ...string) (float64, bool) {
	fam, ok := f[name]
	if !ok {
		return 0, false
	}
next:
	for _, m := range fam.GetMetric() {
		got := map[string]string{}
		for _, l := range m.GetLabel() {
			got[l.GetName()] = l.GetValue()
		}
		for i := 0; i+1 < len(labels); i += 2 {
			if got[labels[i]] != labels[i+1] {
				continue next
			}
		}
		switch {
		case m.Counter != nil:
			return m.GetCounter().GetValue(), true
		case m.Gauge != nil:
			return m.GetGauge().GetValue(), true
		case m.Histogram != nil:
			return float64(m.GetHistogram().GetSampleCount()), true
		}
	}
	return 0, false
}

// At is Value for a sample that must be there.
func (f Families) At(tb testing.TB, name string, labels ...string) float64 {
	tb.Helper()
	v, ok := f.Value(name, labels...)
	if !ok {
		tb.Fatalf("promtest: no %s %v", name, labels)
	}
	return v
}
