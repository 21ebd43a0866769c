package search

import (
	"fmt"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestPerfWorkload(t *testing.T) {
	c := DefaultPerfConfig()
	c.ImageSize, c.Query, c.Net.Channels = 8, 5, 2
	fn, err := PerfWorkload(c)
	if err != nil {
		t.Fatal(err)
	}
	if err := fn(); err != nil {
		t.Fatal(err)
	}
	c.Steps = -1
	if _, err := PerfWorkload(c); err == nil {
		t.Fatal("bad sizes accepted")
	}
}

// TestMeasureExactVsFD prints the time and peak memory of variants A (exact)
// and A' (fd) as T grows on the default workload. It runs only with
// METABENCH_MEASURE=1 (it takes minutes):
//
//	METABENCH_MEASURE=1 go test -run MeasureExactVsFD -v ./search
//
// METABENCH_MEASURE_T=1,2,4 picks the inner-step counts and
// METABENCH_MEASURE_SMALL=1 shrinks the network (2 cells, C = 4, 25 query
// images) so large T fits in memory.
func TestMeasureExactVsFD(t *testing.T) {
	if os.Getenv("METABENCH_MEASURE") != "1" {
		t.Skip("set METABENCH_MEASURE=1 to measure")
	}
	steps := []int{1, 2, 3, 5}
	if s := os.Getenv("METABENCH_MEASURE_T"); s != "" {
		steps = nil
		for _, f := range strings.Split(s, ",") {
			n, _ := strconv.Atoi(f)
			steps = append(steps, n)
		}
	}
	t.Logf("GOMAXPROCS=%d, %s", runtime.GOMAXPROCS(0), runtime.Version())
	t.Logf("%-6s %3s %10s %12s %14s", "mode", "T", "ms/task", "peak RSS MB", "peak heap MB")
	for _, T := range steps {
		for _, m := range []GradMode{Exact, FiniteDiff, FirstOrder} {
			c := DefaultPerfConfig()
			if os.Getenv("METABENCH_MEASURE_SMALL") == "1" {
				c.Net.Cells, c.Net.Channels, c.Net.Reductions, c.Query = 2, 4, []int{1}, 25
			}
			c.Steps, c.Mode = T, m
			fn, err := PerfWorkload(c)
			if err != nil {
				t.Fatal(err)
			}
			if err := fn(); err != nil { // warm-up
				t.Fatal(err)
			}
			debug.FreeOSMemory()
			_ = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0)
			stop := make(chan struct{})
			peakHeap := make(chan uint64)
			go func() {
				var ms runtime.MemStats
				var p uint64
				tick := time.NewTicker(20 * time.Millisecond)
				defer tick.Stop()
				for {
					select {
					case <-stop:
						peakHeap <- p
						return
					case <-tick.C:
						runtime.ReadMemStats(&ms)
						p = max(p, ms.HeapInuse)
					}
				}
			}()
			const reps = 3
			t0 := time.Now()
			for r := 0; r < reps; r++ {
				if err := fn(); err != nil {
					t.Fatal(err)
				}
			}
			ms := float64(time.Since(t0).Milliseconds()) / reps
			close(stop)
			ph := <-peakHeap
			t.Logf("%-6s %3d %10.0f %12.0f %14.0f", m, T, ms, vmHWM(), float64(ph)/(1<<20))
		}
	}
}

// vmHWM is the resident high-water mark in MiB (Linux; 0 elsewhere).
func vmHWM() float64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			var kb float64
			fmt.Sscanf(strings.TrimSpace(rest), "%f", &kb)
			return kb / 1024
		}
	}
	return 0
}
