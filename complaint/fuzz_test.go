package complaint_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/klageflow/klage/complaint"
	"github.com/klageflow/klage/complaint/complainttest"
	"github.com/klageflow/klage/glossary"
)

// FuzzParseWireNames feeds every wire-name parser the same input: none
// panics, and whatever parses marshals back to a name that parses to the
// same value and has labels in both languages.
func FuzzParseWireNames(f *testing.F) {
	for _, s := range []string{"received", "in_progress", "start", "update", "open", "customer_service",
		"reklamation", "Garanti", "email", "da", "", "START", "in progress", "\x00", "ø"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		type parsed struct {
			name  string
			value string
			err   error
			label func(glossary.Language) string
		}
		st, errS := referenceWorkflow.ParseState(s)
		ev, errE := referenceWorkflow.ParseEvent(s)
		ro, errR := glossary.ParseRole(s)
		te, errT := glossary.ParseTerm(s)
		ch, errC := glossary.ParseChannel(s)
		to, errTo := complaint.ParseTopic(s)
		for _, p := range []parsed{
			{"state", string(st), errS, st.Label},
			{"event", string(ev), errE, ev.Label},
			{"role", string(ro), errR, ro.Label},
			{"term", string(te), errT, te.Label},
			{"channel", string(ch), errC, ch.Label},
			{"topic", string(to), errTo, to.Label},
		} {
			if p.err != nil {
				var pe *glossary.ParseError
				if !errors.As(p.err, &pe) || !errors.Is(p.err, glossary.ErrUnknown) || pe.Input != s {
					t.Fatalf("%s %q: error %v is not a *glossary.ParseError for the input", p.name, s, p.err)
				}
				continue
			}
			if p.label(glossary.Danish) == "" || p.label(glossary.English) == "" {
				t.Fatalf("%s %q parsed to %q without labels", p.name, s, p.value)
			}
		}
		if errT == nil {
			again, err := glossary.ParseTerm(te.String())
			if err != nil || again != te {
				t.Fatalf("term %q does not round-trip: %v", te, err)
			}
		}
		if errE == nil {
			b, err := ev.MarshalText()
			if err != nil || string(b) != s {
				t.Fatalf("event %q marshals to %q, %v", s, b, err)
			}
		}
	})
}

func fuzzWorkflow(tb testing.TB) *complaint.Workflow {
	w, err := complaint.New(complaint.Options{Now: complainttest.NewClock(time.Time{}).Now})
	if err != nil {
		tb.Fatal(err)
	}
	return w
}

// FuzzRestoreJSON restores a complaint from arbitrary bytes: it never
// panics, a refusal is a *SnapshotError, and a restored complaint always
// replays to its state and survives another round trip.
func FuzzRestoreJSON(f *testing.F) {
	w := fuzzWorkflow(f)
	for _, s := range referenceWorkflow.States() {
		c := complainttest.InState(f, w, s, nil)
		data, err := json.Marshal(c)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte(`{}`))
	f.Add([]byte(`{"id":"x","history":[{"seq":1}]}`))
	f.Add([]byte(`null`))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := w.RestoreJSON(data)
		if err != nil {
			var se *complaint.SnapshotError
			if !errors.As(err, &se) || !errors.Is(err, complaint.ErrInvalidSnapshot) {
				t.Fatalf("refusal is not a *SnapshotError: %v", err)
			}
			return
		}
		h := c.History()
		if len(h) == 0 || len(h) != c.Version() || h[len(h)-1].To != c.State() || h[0].Event != complaint.EventOpen {
			t.Fatalf("restored complaint does not replay to its state: version %d, state %s, %d entries", c.Version(), c.State(), len(h))
		}
		for i := 1; i < len(h); i++ {
			if h[i].From != h[i-1].To || h[i].Seq != i+1 {
				t.Fatalf("history is not contiguous at %d", i+1)
			}
		}
		again, err := json.Marshal(c)
		if err != nil {
			t.Fatalf("a restored complaint does not marshal: %v", err)
		}
		if _, err := w.RestoreJSON(again); err != nil {
			t.Fatalf("a restored complaint does not restore again: %v", err)
		}
		// And it stays usable: every event allowed now is checked without a panic.
		for _, r := range glossary.Roles() {
			for _, e := range w.Available(ctx, c, complainttest.ActorFor(c, r)) {
				_ = w.Check(ctx, c, complainttest.InputFor(c, e, r))
			}
		}
	})
}

// FuzzOpen validates intake: Open never panics; it refuses with
// ErrInvalidInput or ErrForbidden and opens nothing, or opens a complaint
// that restores from its own snapshot.
func FuzzOpen(f *testing.F) {
	w := fuzzWorkflow(f)
	f.Add("cust-7", "Karen Jensen", "karen@example.dk", "consumer", "email", "doa", "NB-1042", "UltraBook", "The laptop is dead.", int64(1771588800))
	f.Add("", "", "", "", "", "", "", "", "", int64(0))
	f.Add("a/b", "x\ny", "not-an-email", "business", "fax", "reklamation", "", "", " ", int64(-62135596800))
	f.Add("c", "Ø", "a@b.c", "consumer", "phone", "Garanti", "s", "", "\xff", int64(253402300799))
	f.Fuzz(func(t *testing.T, id, name, email, ctype, channel, kind, sku, product, description string, delivered int64) {
		in := complaint.Intake{
			Customer:    complaint.Customer{ID: id, Name: name, Email: email, Type: complaint.CustomerType(ctype)},
			Channel:     glossary.Channel(channel),
			Kind:        glossary.Term(kind),
			Product:     complaint.Product{SKU: sku, Name: product, DeliveredAt: time.Unix(delivered, 0).UTC()},
			Description: description,
		}
		c, err := w.Open(context.Background(), in)
		if err != nil {
			if c != nil {
				t.Fatal("a refused intake returned a complaint")
			}
			if !errors.Is(err, complaint.ErrInvalidInput) && !errors.Is(err, complaint.ErrForbidden) {
				t.Fatalf("unexpected refusal: %v", err)
			}
			return
		}
		if c.State() != complaint.StateReceived || c.Version() != 1 {
			t.Fatalf("opened in %s at version %d", c.State(), c.Version())
		}
		if !utf8.ValidString(c.Description()) || strings.TrimSpace(c.Description()) == "" {
			t.Fatal("invalid description accepted")
		}
		if _, err := w.Restore(c.Snapshot()); err != nil {
			t.Fatalf("an opened complaint does not restore: %v", err)
		}
	})
}
