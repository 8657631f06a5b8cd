//go:build !race

package klagehttp_test

// raceEnabled: the race detector is off (see race_test.go).
const raceEnabled = false
