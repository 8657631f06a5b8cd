package e2e

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/klageflow/klage/complaint/complainttest"
)

// axeSource is axe-core's axe.min.js, from the npm registry: bash
// scripts/test.sh installs it and names it in KLAGE_AXE_JS. Without it
// (and without KLAGE_REQUIRE_CHROMIUM=1) the accessibility test skips.
func axeSource(t *testing.T) string {
	t.Helper()
	path := os.Getenv("KLAGE_AXE_JS")
	if path == "" {
		if os.Getenv("KLAGE_REQUIRE_CHROMIUM") == "1" {
			t.Fatal("KLAGE_REQUIRE_CHROMIUM=1 but KLAGE_AXE_JS does not name axe-core's axe.min.js")
		}
		t.Skip("no KLAGE_AXE_JS: skipping the accessibility test (bash scripts/test.sh installs axe-core)")
	}
	src, err := os.ReadFile(path)
	require.NoError(t, err)
	return string(src)
}

// axeRun runs axe-core's WCAG 2.1 A and AA rules on the page and answers
// its violations as JSON.
const axeRun = `axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}})
	.then(r => JSON.stringify(r.violations.map(v => ({id: v.id, help: v.help, nodes: v.nodes.map(n => n.html)}))))`

// TestCustomerPageInBrowser walks a complaint through the customer's
// page in headless Chromium over real HTTP, in Danish and in English:
// the customer answers a request for information and escalates a final
// answer with the page's forms, then sees the decision and its
// fulfilment. At each step the page runs no script, fits a 360-pixel
// phone, labels every control and passes axe-core's WCAG 2.1 A/AA rules.
func TestCustomerPageInBrowser(t *testing.T) {
	browser := chromium(t)
	axe := axeSource(t)
	for _, tc := range []struct {
		lang, answered, escalated, bodies, granted string
	}{
		{"da", "Tak: vi har fået dit svar.", "Din sag er nu hos Klageafdelingen.", "Offentlige klageinstanser", "Det får du"},
		{"en", "Thank you: we have your answer.", "Your case is now with the Complaints Department.", "Public complaint bodies", "What you get"},
	} {
		t.Run(tc.lang, func(t *testing.T) {
			s := start(t, filepath.Join(t.TempDir(), "klage.db"), complainttest.NewClock(time.Time{}))
			in := intake()
			in["customer"].(map[string]any)["language"] = tc.lang
			var c complaintJSON
			status, _ := s.do(tokAgent, "POST", "/complaints", in, &c)
			require.Equal(t, http.StatusCreated, status)
			fire := func(tok string, body map[string]any) {
				t.Helper()
				status, _ := s.event(tok, c.ID, body)
				require.Equal(t, http.StatusOK, status, "%v", body["event"])
			}
			state := func() string {
				var got complaintJSON
				s.do(tokAgent, "GET", "/complaints/"+c.ID, nil, &got)
				return got.State
			}
			fire(tokAgent, map[string]any{"event": "start"})
			fire(tokAgent, map[string]any{"event": "request_info", "note": "Send a photo of the label, please."})

			opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(browser), chromedp.NoSandbox,
				chromedp.Flag("disable-gpu", true))
			allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
			defer cancelAlloc()
			ctx, cancel := chromedp.NewContext(allocCtx)
			defer cancel()
			ctx, cancelTimeout := context.WithTimeout(ctx, 90*time.Second)
			defer cancelTimeout()
			page := s.base + "/case/" + c.CustomerToken

			// check runs the checks every state of the page must pass, on
			// a phone's screen.
			check := func(step string) {
				t.Helper()
				scripts, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.scripts.length`))
				require.NoError(t, err)
				assert.Zero(t, scripts, "%s: the page needs no JavaScript", step)
				lang, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.documentElement.lang`))
				require.NoError(t, err)
				assert.Equal(t, tc.lang, lang, step)
				widest, err := chromedp.Run(ctx, chromedp.Evaluate[float64](
					`Math.max(document.documentElement.scrollWidth, ...[...document.querySelectorAll('main *')].map(e => e.getBoundingClientRect().right))`))
				require.NoError(t, err)
				assert.LessOrEqual(t, widest, 360.0, "%s: nothing wider than a 360-pixel phone", step)
				unlabelled, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](
					`[...document.querySelectorAll('input, textarea, select, button')].filter(e => e.tagName === 'BUTTON' ? !e.textContent.trim() : e.labels.length === 0).map(e => e.outerHTML)`))
				require.NoError(t, err)
				assert.Empty(t, unlabelled, "%s: every control labelled", step)
				_, err = chromedp.Run(ctx, chromedp.Evaluate[bool](axe+";true"))
				require.NoError(t, err, "%s: inject axe-core", step)
				found, err := chromedp.Run(ctx, chromedp.Evaluate[string](axeRun, chromedp.EvalAwaitPromise))
				require.NoError(t, err, step)
				var violations []map[string]any
				require.NoError(t, json.Unmarshal([]byte(found), &violations))
				assert.Empty(t, violations, "%s: WCAG 2.1 A/AA violations", step)
			}

			require.NoError(t, chromedp.Do(ctx,
				chromedp.EmulateViewport(360, 780, chromedp.EmulateMobile),
				chromedp.Navigate(page),
				chromedp.WaitVisible(chromedp.CSS("#answer-note")),
			))
			question, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("main")))
			require.NoError(t, err)
			assert.Contains(t, question, "Send a photo of the label, please.")
			check("asked for information")

			require.NoError(t, chromedp.Do(ctx,
				chromedp.SendKeys(chromedp.CSS("#answer-note"), "The label is under the battery."),
				chromedp.Click(chromedp.CSS(`form[action$="/answer"] button`)),
				chromedp.WaitVisible(chromedp.CSS(".notice")),
			))
			notice, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(".notice")))
			require.NoError(t, err)
			assert.Equal(t, tc.answered, notice)
			assert.Equal(t, "in_progress", state())
			check("answered")

			fire(tokAgent, map[string]any{"event": "answer", "answer": map[string]any{"outcome": "rejected", "text": "The damage is not covered."}})
			require.NoError(t, chromedp.Do(ctx,
				chromedp.Navigate(page),
				chromedp.WaitVisible(chromedp.CSS("#escalate-note")),
			))
			text, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("main")))
			require.NoError(t, err)
			assert.Contains(t, text, tc.bodies, "the public complaint bodies, as the law requires")
			assert.Contains(t, text, "naevneneshus.dk")
			check("final answer")

			require.NoError(t, chromedp.Do(ctx,
				chromedp.Click(chromedp.CSS(`form[action$="/escalate"] button`)),
				chromedp.WaitVisible(chromedp.CSS(".notice")),
			))
			notice, err = chromedp.Run(ctx, chromedp.Text(chromedp.CSS(".notice")))
			require.NoError(t, err)
			assert.Equal(t, tc.escalated, notice)
			assert.Equal(t, "escalated", state())
			check("escalated")

			fire(tokReviewer, map[string]any{"event": "review", "decision": map[string]any{
				"outcome": "partly_upheld", "explanation": "The repair is free of charge.", "remedy": map[string]any{"kind": "repair"}}})
			fire(tokAgent, map[string]any{"event": "fulfil", "fulfilment": map[string]any{"remedy": "repair", "reference": "W-1"}})
			require.NoError(t, chromedp.Do(ctx, chromedp.Navigate(page), chromedp.WaitVisible(chromedp.CSS("ol.timeline"))))
			text, err = chromedp.Run(ctx, chromedp.Text(chromedp.CSS("main")))
			require.NoError(t, err)
			assert.Contains(t, text, tc.granted)
			assert.Contains(t, text, "W-1")
			assert.Contains(t, text, "The repair is free of charge.")
			forms, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.forms.length`))
			require.NoError(t, err)
			assert.Zero(t, forms, "nothing left for the customer to do")
			assert.False(t, strings.Contains(text, "Karen Jensen"), "the page shows no personal data it does not need")
			check("reviewed and fulfilled")
		})
	}
}
