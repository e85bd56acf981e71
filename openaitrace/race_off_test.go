//go:build !race

package openaitrace

// raceEnabled: the race detector is on (allocation counts then vary).
const raceEnabled = false
