//go:build !linux

package perf

func resetPeakRSS() {}

// peakRSSMB is unknown off Linux.
func peakRSSMB() float64 { return 0 }

func processPeakRSSMB() float64 { return 0 }
