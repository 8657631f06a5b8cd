//go:build race

package klagehttp_test

// raceEnabled: the race detector is on. Under it sync.Pool drops what it
// holds at random, so the decoders' buffers are allocated again and an
// allocation bound needs room for that.
const raceEnabled = true
