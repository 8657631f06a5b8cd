package complaint

import (
	"math"
	"testing"
	"time"
	"unsafe"

	"github.com/stretchr/testify/assert"
)

// The byte checks run on every transition and take a fast path for
// printable ASCII; these cases sit on the edges of that path.
func TestTextAndIDChecks(t *testing.T) {
	for _, tc := range []struct {
		in           string
		textOK, idOK bool
	}{
		{"plain words ~", true, true},
		{"a/b", true, false},
		{"tab\there", true, false},
		{"line\nbreak\r\n", true, false},
		{"unit\x1fsep", false, false},
		{"del\x7f", false, false},
		{"nul\x00", false, false},
		{"space ", true, true},
		{"blåbærgrød", true, true},
		{"bad \xff utf-8", false, false},
		{"cut \xc3", false, false},
	} {
		t.Run(tc.in, func(t *testing.T) {
			assert.Equal(t, tc.textOK, checkText("f", tc.in, MaxTextLen) == nil, "text")
			assert.Equal(t, tc.idOK, idProblem(tc.in) == "", "id")
		})
	}
}

func TestInstant(t *testing.T) {
	cph, err := time.LoadLocation("Europe/Copenhagen")
	if err != nil {
		t.Fatal(err)
	}
	for _, tm := range []time.Time{
		{},
		time.Unix(0, 0).UTC(), // the Unix epoch is not the zero instant
		time.Date(1, 1, 1, 0, 0, 0, 1, time.UTC),
		time.Date(2026, 3, 29, 2, 30, 0, 999999999, cph),
		time.Date(9999, 12, 31, 23, 59, 59, 999999999, time.UTC),
	} {
		i := instantOf(tm)
		assert.True(t, i.time().Equal(tm), "%s came back as %s", tm, i.time())
		assert.Equal(t, tm.IsZero(), i.isZero(), "%s", tm)
		if !tm.IsZero() {
			assert.Equal(t, time.UTC, i.time().Location())
		}
	}
	a := instantOf(time.Date(2026, 1, 1, 0, 0, 0, 100, time.UTC))
	b := instantOf(time.Date(2026, 1, 1, 0, 0, 1, 50, time.UTC))
	assert.True(t, a.before(b))
	assert.False(t, b.before(a))
	assert.False(t, a.before(a))
	assert.Equal(t, time.Second-50, b.sub(a))
	assert.Equal(t, -(time.Second - 50), a.sub(b))
	// Like time.Time.Sub, a difference beyond time.Duration saturates.
	far := instantOf(time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC))
	assert.Equal(t, time.Duration(math.MaxInt64), far.sub(a))
	assert.Equal(t, time.Duration(math.MinInt64), a.sub(far))
}

// A clock kept in 32 bytes gives back the Deadline it was made from, in
// each of its conditions.
func TestClockRoundTrip(t *testing.T) {
	due := time.Date(2026, 5, 1, 12, 0, 0, 5, time.UTC)
	for name, d := range map[string]Deadline{
		"running":          {Owner: "customer_service", Due: due},
		"running breached": {Owner: "customer_service", Due: due, Breached: true},
		"paused":           {Owner: "complaints_department", Remaining: 90 * time.Minute},
		"paused at zero":   {Owner: "customer_service"},
		"met":              {Owner: "customer_service", MetAt: due, Breached: true},
		"cancelled":        {Owner: "complaints_department", Cancelled: true},
	} {
		t.Run(name, func(t *testing.T) {
			d.Name = DeadlineProgressUpdate
			k := clockOf(&d)
			assert.Equal(t, d, k.deadline(dlProgressUpdate))
			assert.Equal(t, d.Running(), k.running(), "running")
			assert.Equal(t, d.Paused(), k.paused(), "paused")
		})
	}
}

// The hand-written index switches and tables that records and clocks use
// must agree with each other and with the vocabularies' order.
func TestIndexTables(t *testing.T) {
	assert.Equal(t, States(), stateByIndex[:])
	assert.Equal(t, Events(), eventByIndex[:])
	assert.Equal(t, deadlineNames.Values(), deadlineByIndex[:])
	for i, s := range stateByIndex {
		assert.Equal(t, i, stateIndex(s), "%s", s)
	}
	for i, e := range eventByIndex {
		assert.Equal(t, i, eventIndex(e), "%s", e)
	}
	for i, r := range roleByIndex {
		assert.Equal(t, i, roleIndex(r), "%s", r)
	}
	for i, n := range deadlineByIndex {
		assert.Equal(t, i, deadlineIndex(n), "%s", n)
	}
	assert.Equal(t, -1, stateIndex("limbo"))
	assert.Equal(t, -1, eventIndex("jump"))
	assert.Equal(t, -1, roleIndex("boss"))
	assert.Equal(t, -1, deadlineIndex("someday"))
}

// deliveryInRange takes a shortcut away from the ends of its range; at the
// ends it must agree with the year in the time's own zone.
func TestDeliveryInRange(t *testing.T) {
	east := time.FixedZone("east", 14*60*60)
	west := time.FixedZone("west", -12*60*60)
	for _, tc := range []struct {
		t    time.Time
		want bool
	}{
		{time.Time{}, true},
		{time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC), true},
		{time.Date(1900, 1, 1, 0, 0, 0, 0, time.UTC), true},
		{time.Date(1899, 12, 31, 23, 59, 59, 0, time.UTC), false},
		{time.Date(1900, 1, 1, 0, 0, 0, 0, east), true}, // 1899 in UTC
		{time.Date(1899, 12, 31, 23, 0, 0, 0, west), false},
		{time.Date(9999, 12, 31, 23, 59, 59, 0, west), true}, // 10000 in UTC
		{time.Date(10000, 1, 1, 0, 0, 0, 0, east), false},
		{time.Date(1, 1, 1, 0, 0, 0, 1, time.UTC), false},
	} {
		assert.Equal(t, tc.want, deliveryInRange(tc.t), "%s", tc.t)
	}
}

// A complaint is allocated on every Restore; above 512 bytes the Go
// allocator adds a type header and the next size class is 576 bytes.
func TestComplaintStaysCompact(t *testing.T) {
	assert.LessOrEqual(t, unsafe.Sizeof(Complaint{}), uintptr(512))
	assert.Equal(t, uintptr(48), unsafe.Sizeof(record{}))
	assert.Equal(t, uintptr(32), unsafe.Sizeof(clock{}))
}
