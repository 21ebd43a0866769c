// Package parallel runs independent pieces of work (the tasks of a
// meta-batch, the episodes of an evaluation) on a bounded number of
// goroutines. Results go into per-index slots chosen by the caller, so the
// outcome never depends on scheduling or on the number of workers.
package parallel

import (
	"runtime"
	"sync"
)

// For calls f(0..n-1) on up to workers goroutines (0 = GOMAXPROCS) and
// returns the error of the lowest failing index. f must write its results
// into per-index slots. With one worker it stops at the first error.
func For(n, workers int, f func(i int) error) error {
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	workers = min(workers, n)
	errs := make([]error, n)
	if workers <= 1 {
		for i := 0; i < n; i++ {
			if errs[i] = f(i); errs[i] != nil {
				return errs[i]
			}
		}
		return nil
	}
	var wg sync.WaitGroup
	next := make(chan int)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				errs[i] = f(i)
			}
		}()
	}
	for i := 0; i < n; i++ {
		next <- i
	}
	close(next)
	wg.Wait()
	for _, e := range errs {
		if e != nil {
			return e
		}
	}
	return nil
}
