//go:build !race

package eventizer

const raceEnabled = false
