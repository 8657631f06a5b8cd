package complaint

import (
	"testing"
	"time"

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
