package complaint_test

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/klageflow/klage/complaint"
	"github.com/klageflow/klage/complaint/complainttest"
	"github.com/klageflow/klage/escalation"
	"github.com/klageflow/klage/glossary"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata")

// designRow is one row of DESIGN.md section 2, transcribed here by hand and
// independently of the package's own table, so that a change to either shows.
type designRow struct {
	event string
	from  []string
	to    string
	roles []string
}

var (
	beforeEscalation = []string{"received", "in_progress", "awaiting_customer", "with_manufacturer", "final_answer"}
	escalatedStates  = []string{"escalated", "escalated_awaiting_customer"}
	fulfilStates     = []string{"in_progress", "with_manufacturer", "final_answer", "reviewed"}
)

var designTable = []designRow{
	{"start", []string{"received"}, "in_progress", []string{"customer_service"}},
	{"request_info", []string{"in_progress"}, "awaiting_customer", []string{"customer_service"}},
	{"request_info", []string{"escalated"}, "escalated_awaiting_customer", []string{"complaints_department"}},
	{"provide_info", []string{"awaiting_customer"}, "in_progress", []string{"customer", "customer_service"}},
	{"provide_info", []string{"escalated_awaiting_customer"}, "escalated", []string{"customer", "complaints_department"}},
	{"refer", []string{"in_progress"}, "with_manufacturer", []string{"customer_service"}},
	{"resume", []string{"with_manufacturer"}, "in_progress", []string{"customer_service", "manufacturer"}},
	{"answer", []string{"received", "in_progress"}, "final_answer", []string{"customer_service"}},
	{"accept", []string{"final_answer"}, "closed", []string{"customer", "customer_service"}},
	{"escalate", []string{"final_answer"}, "escalated", []string{"customer", "complaints_department"}},
	{"review", []string{"escalated"}, "reviewed", []string{"complaints_department"}},
	{"close", []string{"final_answer", "reviewed"}, "closed", []string{"complaints_department", "system"}},
	{"withdraw", beforeEscalation, "closed", []string{"customer", "customer_service"}},
	{"withdraw", escalatedStates, "closed", []string{"customer", "complaints_department"}},
	// Events that keep the state.
	{"update", []string{"in_progress", "awaiting_customer", "with_manufacturer"}, "", []string{"customer_service"}},
	{"update", escalatedStates, "", []string{"complaints_department"}},
	{"internal_note", beforeEscalation, "", []string{"customer_service"}},
	{"internal_note", append(slices.Clone(escalatedStates), "reviewed"), "", []string{"complaints_department"}},
	{"reclassify", []string{"received", "in_progress", "awaiting_customer", "with_manufacturer"}, "", []string{"customer_service"}},
	{"reclassify", []string{"escalated"}, "", []string{"complaints_department"}},
	{"fulfil", fulfilStates, "", []string{"customer_service", "system", "manufacturer"}},
	{"fulfil", []string{"escalated"}, "", []string{"complaints_department", "system", "manufacturer"}},
	{"flag_safety", beforeEscalation, "", []string{"customer_service"}},
	{"flag_safety", append(slices.Clone(escalatedStates), "reviewed"), "", []string{"complaints_department"}},
	// The timers' events (DESIGN §3, v3): fired by the system actor only,
	// and only for a timer that is due.
	{"remind", append(append(slices.Clone(beforeEscalation), escalatedStates...), "reviewed"), "", []string{"system"}},
	{"lapse", []string{"awaiting_customer", "escalated_awaiting_customer"}, "closed", []string{"system"}},
}

// designExpect returns, for a (state, event, role) triple on a complaint
// that complainttest.InState built, nil when DESIGN allows it, or the
// sentinel the refusal must match. InState refers a complaint to its
// manufacturer only on the way to with_manufacturer, and a manufacturer acts
// only on a case referred to it.
func designExpect(state, event, role string) (to string, want error) {
	for _, row := range designTable {
		if row.event != event || !slices.Contains(row.from, state) {
			continue
		}
		if event == "remind" || event == "lapse" {
			return "", complaint.ErrInvalidTransition // a timer's event: refused to everyone without a due timer (TestTimers)
		}
		if !slices.Contains(row.roles, role) || (role == "manufacturer" && state != "with_manufacturer") {
			return "", complaint.ErrForbidden
		}
		if row.to == "" {
			return state, nil
		}
		return row.to, nil
	}
	if state == "closed" {
		return "", complaint.ErrClosed
	}
	return "", complaint.ErrInvalidTransition
}

func TestWireNames(t *testing.T) {
	wantStates := []string{"received", "in_progress", "awaiting_customer", "with_manufacturer", "final_answer", "escalated",
		"escalated_awaiting_customer", "reviewed", "closed"}
	wantEvents := []string{"open", "start", "request_info", "provide_info", "refer", "resume", "answer", "accept", "escalate",
		"review", "close", "withdraw", "update", "internal_note", "reclassify", "fulfil", "flag_safety", "remind", "lapse"}
	var gotStates, gotEvents []string
	for _, s := range referenceWorkflow.States() {
		gotStates = append(gotStates, string(s))
	}
	for _, e := range referenceEvents() {
		gotEvents = append(gotEvents, string(e))
	}
	assert.Equal(t, wantStates, gotStates)
	assert.ElementsMatch(t, wantEvents, gotEvents)
}

func TestEdgesMatchDesign(t *testing.T) {
	type key struct{ from, event string }
	want := map[key]string{}
	wantRoles := map[key][]string{}
	for _, row := range designTable {
		for _, f := range row.from {
			to := row.to
			if to == "" {
				to = f
			}
			want[key{f, row.event}] = to
			wantRoles[key{f, row.event}] = row.roles
		}
	}
	got := map[key]string{}
	for _, e := range referenceWorkflow.Edges() {
		k := key{string(e.From), string(e.Event)}
		got[k] = string(e.To)
		var roles []string
		for _, r := range e.Roles {
			roles = append(roles, string(r))
		}
		assert.ElementsMatch(t, wantRoles[k], roles, "roles of %s from %s", e.Event, e.From)
	}
	assert.Equal(t, want, got)
}

// TestRoleMatrix fires every (state, event, role) triple on a complaint
// built in the state through legal events, and checks it against DESIGN.
func TestRoleMatrix(t *testing.T) {
	clock := complainttest.NewClock(time.Time{})
	w, err := complaint.New(complaint.Options{Now: clock.Now})
	require.NoError(t, err)
	ctx := context.Background()
	n := 0
	for _, s := range referenceWorkflow.States() {
		for _, e := range referenceEvents() {
			if e == complaint.EventOpen {
				continue
			}
			for _, r := range glossary.Roles() {
				n++
				name := fmt.Sprintf("%s/%s/%s", s, e, r)
				t.Run(name, func(t *testing.T) {
					c := complainttest.InState(t, w, s, nil)
					// The escalation window is a separate rule (TestCloseWindow):
					// let it lapse so that only state and role decide here,
					// but for the customer's escalation, which it ends.
					clock.Advance(90 * 24 * time.Hour)
					before := c.Snapshot()
					wantTo, wantErr := designExpect(string(s), string(e), string(r))
					if s == complaint.StateFinalAnswer && e == complaint.EventEscalate && r == glossary.Customer {
						wantErr = complaint.ErrInvalidTransition
					}
					if s == complaint.StateReviewed && e == complaint.EventClose && wantErr == nil {
						wantErr = complaint.ErrRemedyOwed // the helpers' decision grants a repair not yet carried out
					}
					_, err := w.Fire(ctx, c, complainttest.InputFor(c, e, r))
					if wantErr != nil {
						require.ErrorIs(t, err, wantErr, "Fire(%q) from %q as %q", e, s, r)
						assert.Equal(t, before, c.Snapshot(), "refused event changed the complaint")
						assert.False(t, w.Can(ctx, c, e, complainttest.ActorFor(c, r)), "Can(%q, %q) in %q", e, r, s)
						return
					}
					require.NoError(t, err, "Fire(%q) from %q as %q", e, s, r)
					assert.Equal(t, wantTo, string(c.State()))
					assert.Equal(t, before.Version+1, c.Version())
					last := c.Last()
					assert.Equal(t, e, last.Event)
					assert.Equal(t, s, last.From)
					assert.Equal(t, r, last.Actor.Role)
				})
			}
		}
	}
	assert.Equal(t, 9*18*5, n, "every (state, event, role) of DESIGN §2 v2")
}

func TestCanMatchesMatrix(t *testing.T) {
	w, err := complaint.New(complaint.Options{})
	require.NoError(t, err)
	for _, p := range complainttest.Pairs(w) {
		c := complainttest.InState(t, w, p.From, nil)
		for _, r := range glossary.Roles() {
			_, wantErr := designExpect(string(p.From), string(p.Event), string(r))
			allowed := wantErr == nil
			if p.From == complaint.StateFinalAnswer && p.Event == complaint.EventClose {
				allowed = false // the escalation window has not lapsed, for anyone
			}
			if p.From == complaint.StateReviewed && p.Event == complaint.EventClose {
				allowed = false // the decision's repair is owed
			}
			assert.Equal(t, allowed, w.Can(ctx, c, p.Event, complainttest.ActorFor(c, r)), "Can(%q, %q) in %q", p.Event, r, p.From)
			assert.Equal(t, allowed, slices.Contains(w.Available(ctx, c, complainttest.ActorFor(c, r)), p.Event), "Available(%q) in %q has %q", r, p.From, p.Event)
		}
	}
}

func TestDiagramMatchesDesign(t *testing.T) {
	out, err := referenceWorkflow.Diagram(complaint.Mermaid)
	require.NoError(t, err)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	require.Equal(t, "stateDiagram-v2", lines[0])
	require.Equal(t, "[*] --> received", strings.TrimSpace(lines[1]))
	var got, want []string
	for _, l := range lines[2:] {
		got = append(got, strings.TrimSpace(l))
	}
	for _, row := range designTable {
		if row.to == "" {
			continue // updates are not drawn
		}
		for _, f := range row.from {
			want = append(want, fmt.Sprintf("%s --> %s: %s", f, row.to, row.event))
		}
	}
	sort.Strings(want)
	sort.Strings(got)
	assert.Equal(t, want, got)
}

func TestDiagramGolden(t *testing.T) {
	for _, tc := range []struct {
		format complaint.DiagramFormat
		file   string
	}{
		{complaint.Mermaid, "lifecycle.mmd"},
		{complaint.Graphviz, "lifecycle.dot"},
	} {
		t.Run(string(tc.format), func(t *testing.T) {
			got, err := referenceWorkflow.Diagram(tc.format)
			require.NoError(t, err)
			path := filepath.Join("testdata", tc.file)
			if *update {
				require.NoError(t, os.WriteFile(path, []byte(got), 0o644))
			}
			want, err := os.ReadFile(path)
			require.NoError(t, err, "run go test -update to create it")
			assert.Equal(t, string(want), got)
		})
	}
	_, err := referenceWorkflow.Diagram("svg")
	assert.Error(t, err)
}

// TestExploreInvariants walks every legal sequence of up to 7 events and
// checks the rules of DESIGN on each path.
func TestExploreInvariants(t *testing.T) {
	w, err := complaint.New(complaint.Options{Now: complainttest.NewClock(time.Time{}).Now})
	require.NoError(t, err)
	n := complainttest.Explore(t, w, 6, func(p complainttest.Path) {
		h := p.Complaint.History()
		require.Len(t, h, len(p.Events)+1)
		answered := false
		for i, e := range h {
			require.Equal(t, i+1, e.Seq)
			if i > 0 {
				require.Equal(t, h[i-1].To, e.From, "history is contiguous")
			}
			switch e.Event {
			case complaint.EventAnswer:
				answered = true
			case complaint.EventEscalate, complaint.EventReview:
				require.True(t, answered, "%s without a final answer before it: %v", e.Event, p.Events)
			}
			if e.Event == complaint.EventReview {
				for _, prev := range h[:i] {
					require.False(t, prev.Actor.ID == e.Actor.ID && prev.Actor.Role == glossary.CustomerService, "reviewer acted for customer service")
				}
			}
		}
		require.Equal(t, p.Complaint.State(), h[len(h)-1].To)
		if p.Complaint.State() == complaint.StateClosed && h[len(h)-1].Event != complaint.EventWithdraw {
			require.False(t, p.Complaint.Owes(), "closed owing a remedy: %v", p.Events)
		}
		for _, d := range p.Complaint.Deadlines() {
			if d.Name == complaint.DeadlineDOAReplacement && !d.MetAt.IsZero() {
				ok := false
				for _, f := range p.Complaint.Fulfilments() {
					ok = ok || f.Remedy == escalation.Replacement || f.Remedy == escalation.Cancellation
				}
				require.True(t, ok, "DOA met without a replacement or refund: %v", p.Events)
			}
		}
		require.Equal(t, len(h), p.Complaint.Version())
		// Every path's complaint survives a snapshot round trip.
		_, err := w.Restore(p.Complaint.Snapshot())
		require.NoError(t, err)
	})
	assert.Equal(t, countDesignPaths(complaint.StateReceived, 6, false), n, "the explorer must walk every legal sequence exactly once")
}

// countDesignPaths counts the event sequences of up to depth events that
// DESIGN's table allows from state, the empty one included, for
// complaints driven by complainttest.InputFor: its answer rejects (grants
// nothing), its decision grants a repair, which owed tracks until a
// fulfilment carries it out.
func countDesignPaths(state complaint.State, depth int, owed bool) int {
	return countPaths(state, depth, owed, false)
}

// countPaths is countDesignPaths that also tracks whether the complaint is
// flagged as a safety matter, which can happen once.
func countPaths(state complaint.State, depth int, owed, flagged bool) int {
	n := 1
	if depth == 0 {
		return n
	}
	for _, row := range designTable {
		if !slices.Contains(row.from, string(state)) {
			continue
		}
		if row.event == "close" && state == complaint.StateFinalAnswer {
			continue // inside the escalation window nobody closes, and Explore does not move the clock
		}
		if (row.event == "close" || row.event == "accept") && owed {
			continue // no case closes owing a remedy
		}
		if row.event == "flag_safety" && flagged {
			continue // flagged once
		}
		if row.event == "remind" || row.event == "lapse" {
			continue // a timer's, never on a menu
		}
		to := complaint.State(row.to)
		if row.to == "" {
			to = state
		}
		next := owed
		switch row.event {
		case "review":
			next = true
		case "fulfil":
			next = false
		}
		n += countPaths(to, depth-1, next, flagged || row.event == "flag_safety")
	}
	return n
}

func TestPathTo(t *testing.T) {
	w, err := complaint.New(complaint.Options{})
	require.NoError(t, err)
	for _, s := range referenceWorkflow.States() {
		c := complainttest.InState(t, w, s, nil)
		assert.Equal(t, s, c.State())
		assert.Equal(t, len(complainttest.PathTo(w, s))+1, c.Version())
	}
	assert.Equal(t, []complaint.Event{complaint.EventAnswer, complaint.EventEscalate, complaint.EventReview}, complainttest.PathTo(w, complaint.StateReviewed))
	assert.Nil(t, complainttest.PathTo(w, "nowhere"))
}

func TestParseEvent(t *testing.T) {
	for _, e := range referenceEvents() {
		got, err := referenceWorkflow.ParseEvent(string(e))
		require.NoError(t, err)
		assert.Equal(t, e, got)
	}
	for _, bad := range []string{"", "START", "Start", "finish", " start"} {
		_, err := referenceWorkflow.ParseEvent(bad)
		var pe *glossary.ParseError
		require.ErrorAs(t, err, &pe, "ParseEvent(%q)", bad)
		assert.Equal(t, "event", pe.Kind)
		assert.True(t, errors.Is(err, glossary.ErrUnknown))
	}
}
