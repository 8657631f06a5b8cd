package e2e

import (
	"context"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/klageflow/klage/complaint/complainttest"
)

// chromium finds Debian's chromium. bash scripts/test.sh installs it and
// sets KLAGE_REQUIRE_CHROMIUM=1, without which a machine that lacks it
// skips the browser test.
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if path, err := exec.LookPath(name); err == nil {
			return path
		}
	}
	if os.Getenv("KLAGE_REQUIRE_CHROMIUM") == "1" {
		t.Fatal("KLAGE_REQUIRE_CHROMIUM=1 but no chromium is installed")
	}
	t.Skip("no chromium: skipping the browser test (bash scripts/test.sh installs it)")
	return ""
}

// TestDashboardInBrowser loads the dashboard over real HTTP in headless
// Chromium, with a staff credential, and checks that its charts render
// with the known data set's numbers; it saves a screenshot under a
// temporary folder (with -update, also as docs/dashboard.png).
func TestDashboardInBrowser(t *testing.T) {
	browser := chromium(t)
	s := start(t, filepath.Join(t.TempDir(), "klage.db"), complainttest.NewClock(time.Time{}))
	escalated, _ := reportWalk(t, s)
	s.clock.Advance(time.Minute)
	from := url.QueryEscape(s.clock.Now().Add(-48 * time.Hour).Format(time.RFC3339))

	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(browser), chromedp.NoSandbox,
		chromedp.WindowSize(1280, 1000), chromedp.Flag("disable-gpu", true))
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancelAlloc()
	ctx, cancel := chromedp.NewContext(allocCtx)
	defer cancel()
	ctx, cancelTimeout := context.WithTimeout(ctx, 60*time.Second)
	defer cancelTimeout()

	err := chromedp.Do(ctx,
		chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
			_, err := chromedp.Call(ctx, network.SetExtraHTTPHeaders, network.SetExtraHTTPHeadersParams{
				Headers: network.Headers{"Authorization": "Bearer " + tokReviewer}})
			return err
		}),
		chromedp.Navigate(s.base+"/dashboard?from="+from),
		chromedp.WaitVisible(chromedp.CSS("#chart-weeks svg")),
	)
	require.NoError(t, err)
	text := func(sel string) string {
		v, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
		require.NoError(t, err, sel)
		return v
	}
	opened, escalation, satisfaction := text("#kpi-opened b"), text("#kpi-escalation b"), text("#kpi-satisfaction b")
	weekBars, err := chromedp.Run(ctx, chromedp.Evaluate[string](`[...document.querySelectorAll('#chart-weeks g.bar')].map(g => g.dataset.value + '/' + g.dataset.second).join(' ')`))
	require.NoError(t, err)
	findingLabel, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector('#chart-findings g.bar').dataset.label`))
	require.NoError(t, err)
	findingWidth, err := chromedp.Run(ctx, chromedp.Evaluate[float64](`document.querySelector('#chart-findings rect').getBoundingClientRect().width`))
	require.NoError(t, err)
	largestWidth, err := chromedp.Run(ctx, chromedp.Evaluate[float64](`Math.max(...[...document.querySelectorAll('#chart-satisfaction rect')].map(r => r.getBoundingClientRect().width))`))
	require.NoError(t, err)
	scripts, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.scripts.length`))
	require.NoError(t, err)
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	require.NoError(t, err)
	assert.Equal(t, "3", opened)
	assert.Equal(t, "50%", escalation)
	assert.Equal(t, "3.5 / 5", satisfaction)
	assert.Equal(t, "3/2", weekBars, "one week: three opened, two closed")
	assert.Equal(t, "workshop", findingLabel, "the finding on "+escalated.ID)
	assert.Greater(t, findingWidth, 100.0, "the bar is drawn")
	assert.Greater(t, largestWidth, 100.0)
	assert.Zero(t, scripts, "the page needs no JavaScript")

	// On a phone: the page fits the width, the charts one above another.
	err = chromedp.Do(ctx,
		chromedp.EmulateViewport(360, 780, chromedp.EmulateMobile),
		chromedp.Navigate(s.base+"/dashboard?from="+from),
		chromedp.WaitVisible(chromedp.CSS("#chart-weeks svg")),
	)
	require.NoError(t, err)
	widest, err := chromedp.Run(ctx, chromedp.Evaluate[float64](
		`Math.max(document.documentElement.scrollWidth, ...[...document.querySelectorAll('figure, .kpi')].map(e => e.getBoundingClientRect().right))`))
	require.NoError(t, err)
	assert.LessOrEqual(t, widest, 360.0, "nothing wider than a 360-pixel phone: no sideways scrolling")
	stacked, err := chromedp.Run(ctx, chromedp.Evaluate[bool](
		`document.querySelector('#chart-breach').getBoundingClientRect().top > document.querySelector('#chart-weeks').getBoundingClientRect().bottom`))
	require.NoError(t, err)
	assert.True(t, stacked, "one chart above the next")
	phone, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(t.TempDir(), "dashboard-phone.png"), phone, 0o644))

	shot := filepath.Join(t.TempDir(), "dashboard.png")
	require.NoError(t, os.WriteFile(shot, png, 0o644))
	t.Logf("screenshot: %s", shot)
	if *update {
		require.NoError(t, os.MkdirAll(filepath.Join("..", "docs"), 0o755))
		require.NoError(t, os.WriteFile(filepath.Join("..", "docs", "dashboard.png"), png, 0o644))
	}
}
