//go:build race

package memstore

// raceEnabled is whether the tests run under the race detector, which
// makes the structure checks after every step many times slower.
const raceEnabled = true
