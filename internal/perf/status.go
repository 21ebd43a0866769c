package perf

import (
	"strconv"
	"strings"
)

// statusKB returns the value in kB of the /proc/PID/status line that starts
// with key (e.g. "VmHWM:"), or 0.
func statusKB(status, key string) float64 {
	for _, line := range strings.Split(status, "\n") {
		if rest, ok := strings.CutPrefix(line, key); ok {
			f := strings.Fields(rest)
			if len(f) == 0 {
				return 0
			}
			v, err := strconv.ParseFloat(f[0], 64)
			if err != nil {
				return 0
			}
			return v
		}
	}
	return 0
}
