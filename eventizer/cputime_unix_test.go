//go:build unix

package eventizer

import (
	"syscall"
	"time"
)

// processCPU returns the CPU time the process has used (user + system),
// so that benchmarks on a shared machine can report CPU-bound throughput
// next to wall-clock figures.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
