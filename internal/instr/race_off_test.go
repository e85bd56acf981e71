//go:build !race

package instr

// raceEnabled: the race detector is on (allocation counts then vary).
const raceEnabled = false
