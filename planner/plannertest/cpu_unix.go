//go:build unix

package plannertest

import (
	"syscall"
	"time"
)

// CPUTime is the CPU time, user and system, that this process and the
// children it has waited for have used; benchmarks report it per
// operation, as the wall time of a shared machine says little.
func CPUTime() time.Duration {
	var total time.Duration
	for _, who := range []int{syscall.RUSAGE_SELF, syscall.RUSAGE_CHILDREN} {
		var ru syscall.Rusage
		if err := syscall.Getrusage(who, &ru); err != nil {
			return 0
		}
		total += time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	return total
}
