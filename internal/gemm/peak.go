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
	ISA     string  // the loop's instruction set: avx512, avx2 or scalar
	Workers int
}

// MeasurePeak runs the multiply-add loop of the widest ISA this build and
// CPU have on GOMAXPROCS goroutines for about d and returns the rate (the
// best of three thirds of d, so that a start-up or a preemption does not
// pull it down).
func MeasurePeak(d time.Duration) Peak {
	workers := runtime.GOMAXPROCS(0)
	loop, isa := fmaLoop()
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

// scalarFMALoop is the loop of a build without SIMD kernels: 8 independent
// float32 multiply-add chains (the compiler fuses x*y+z on amd64 with FMA
// only through math.FMA, so this is a lower bound there).
func scalarFMALoop(iters int) float64 {
	var c0, c1, c2, c3, c4, c5, c6, c7 float32 = 0, 1, 2, 3, 4, 5, 6, 7
	const x, y = float32(0.999999), float32(1e-7)
	for range iters {
		c0 = c0*x + y
		c1 = c1*x + y
		c2 = c2*x + y
		c3 = c3*x + y
		c4 = c4*x + y
		c5 = c5*x + y
		c6 = c6*x + y
		c7 = c7*x + y
	}
	sink(c0 + c1 + c2 + c3 + c4 + c5 + c6 + c7)
	return 2 * 8 * float64(iters)
}

// sink keeps a loop's result alive.
func sink(x float32) {
	if x == 12345.678 {
		println("")
	}
}
