package vocab

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
)

type color string

var errUnknown = errors.New("unknown")

func errf(_, _ string) error { return errUnknown }

func TestSet(t *testing.T) {
	s := New("color", errf,
		Entry[color]{Value: "red", Danish: "rød", English: "red", Aliases: []string{"Rød"}},
		Entry[color]{Value: "blue", Danish: "blå", English: "blue"},
	)
	assert.Equal(t, []color{"red", "blue"}, s.Values())
	assert.Equal(t, 1, s.Index("blue"))
	assert.Equal(t, -1, s.Index("green"))
	v, ok := s.Parse("RØD")
	assert.True(t, ok)
	assert.Equal(t, color("red"), v)
	_, err := s.ParseErr("green")
	assert.ErrorIs(t, err, errUnknown)
	var c color = "blue"
	assert.ErrorIs(t, s.UnmarshalText(&c, []byte("green")), errUnknown)
	assert.Equal(t, color("blue"), c)
	assert.Equal(t, "blå", s.Label("blue", "da"))
	assert.Equal(t, "blue", s.Label("blue", "en"))
	assert.Equal(t, "blue", s.Label("blue", "sv"), "a language the tables do not ship falls back to English")
	assert.Equal(t, "", s.Label("green", "en"))
	assert.Panics(t, func() {
		New("dup", errf, Entry[color]{Value: "a", Danish: "a", English: "a"}, Entry[color]{Value: "a", Danish: "b", English: "b"})
	})
	assert.Panics(t, func() { New("incomplete", errf, Entry[color]{Value: "a"}) })
}

// TestMarshalTextShared: MarshalText returns a value's bytes without
// allocating, and appending to them cannot change the next caller's.
func TestMarshalTextShared(t *testing.T) {
	s := New("color", errf, Entry[color]{Value: "red", Danish: "rød", English: "red"})
	b, err := s.MarshalText("red")
	assert.NoError(t, err)
	assert.Equal(t, "red", string(b))
	assert.Equal(t, len(b), cap(b), "a full slice: an append copies")
	_ = append(b, "dish"...)
	again, _ := s.MarshalText("red")
	assert.Equal(t, "red", string(again))
	assert.Zero(t, testing.AllocsPerRun(100, func() { _, _ = s.MarshalText("red") }))
	_, err = s.MarshalText("green")
	assert.ErrorIs(t, err, errUnknown)
	assert.Nil(t, s.Text("green"))
}
