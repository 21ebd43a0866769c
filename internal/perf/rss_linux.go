//go:build linux

package perf

import (
	"os"
	"syscall"
)

// resetPeakRSS resets the kernel's resident-set high-water mark (VmHWM) of
// this process, so the next peakRSSMB covers only what runs after it.
// Failure (an old kernel, a sandbox) leaves the process-wide peak.
func resetPeakRSS() {
	_ = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0)
}

// peakRSSMB is VmHWM from /proc/self/status, in MiB (0 if unreadable).
func peakRSSMB() float64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	return statusKB(string(b), "VmHWM:") / 1024
}

// processPeakRSSMB is getrusage's ru_maxrss (the process-lifetime peak, as
// torch_bench.py reports it), in MiB.
func processPeakRSSMB() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return float64(ru.Maxrss) / 1024 // kilobytes on Linux
}
