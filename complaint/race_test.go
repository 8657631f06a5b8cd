//go:build race

package complaint_test

// raceEnabled: the race detector is on, and allocates on its own.
const raceEnabled = true
