package gemm

import (
	"runtime"
	"sync"
	"time"
)

// Peak is the attainable float32 rate of this machine's cores, measured by
// a register-only multiply-add loop on every core GOMAXPROCS allows: the
// ceiling against which `metabench perf` reports each workload's fraction.
type Peak struct {
	GFLOPS  float64 // all cores together
	ISA     string  // the loop's instruction set: avx512 or avx2 ("" when not measured)
	Workers int
}

// MeasurePeak runs the multiply-add loop of the widest ISA this build and
// CPU have on GOMAXPROCS goroutines for about d and returns the rate (the
// best of three thirds of d, so that a start-up or a preemption does not
// pull it down). A build without the SIMD kernels, or a CPU without AVX2,
// returns the zero Peak: it has no loop that reaches the machine's peak.
func MeasurePeak(d time.Duration) Peak {
	workers := runtime.GOMAXPROCS(0)
	loop, isa := fmaLoop()
	if loop == nil {
		return Peak{Workers: workers}
	}
	best := 0.0
	for range 3 {
		var wg sync.WaitGroup
		flops := make([]float64, workers)
		start := time.Now()
		for w := range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for time.Since(start) < d/3 {
					flops[w] += loop(1 << 16)
				}
			}()
		}
		wg.Wait()
		sec := time.Since(start).Seconds()
		var total float64
		for _, f := range flops {
			total += f
		}
		best = max(best, total/sec/1e9)
	}
	return Peak{GFLOPS: best, ISA: isa, Workers: workers}
}

// sink keeps a loop's result alive.
func sink(x float32) {
	if x == 12345.678 {
		println("")
	}
}
