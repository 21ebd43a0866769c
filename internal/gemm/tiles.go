package gemm

import (
	"runtime"
	"sync"
	"sync/atomic"
)

// Tiling of C shared by the SIMD and OpenBLAS paths (see doc.go).
const (
	mcTile = 128     // rows of one C tile (its packed A block stays in L2)
	ncTile = 512     // columns of one C tile
	minPar = 1 << 20 // flops (2mnk) below which one goroutine does all tiles
)

func roundUp(x, q int) int { return (x + q - 1) / q * q }

func ceilDiv(x, q int) int { return (x + q - 1) / q }

func flops(m, n, k int) float64 { return 2 * float64(m) * float64(n) * float64(k) }

// tileGrid cuts an m x n C into tiles of at most tm x tn (mcTile x ncTile,
// rounded up to multiples of mq x nq, equal sizes but for the last ones); a
// product worth running in parallel (fl >= minPar flops) whose C has fewer
// than 4 such tiles is cut finer, first by columns, so that two cores get
// balanced work. The grid depends on the shape alone (and on the
// SIMD path it does not change the arithmetic anyway: every element of C is
// the same sequence of FMAs over the same k blocks whatever tile it falls
// in).
func tileGrid(m, n, mq, nq int, fl float64) (tm, tn, rowTiles, colTiles int) {
	const minTiles = 4
	rowTiles, colTiles = ceilDiv(m, mcTile), ceilDiv(n, ncTile)
	if fl >= minPar && rowTiles*colTiles < minTiles {
		colTiles = min(ceilDiv(minTiles, rowTiles), ceilDiv(n, nq))
	}
	if fl >= minPar && rowTiles*colTiles < minTiles {
		rowTiles = min(ceilDiv(minTiles, colTiles), ceilDiv(m, mq))
	}
	tm = roundUp(ceilDiv(m, rowTiles), mq)
	tn = roundUp(ceilDiv(n, colTiles), nq)
	return tm, tn, ceilDiv(m, tm), ceilDiv(n, tn)
}

func tileCount(m, n, tm, tn int) int { return ceilDiv(m, tm) * ceilDiv(n, tn) }

// forTiles calls do(w, t) for every tile t in [0, tiles), on
// min(GOMAXPROCS, tiles) goroutines handing out tiles through an atomic
// counter (on the calling goroutine alone when the product has fewer than
// minPar flops). newWorker makes each goroutine's private state. Every tile
// is done whole by one goroutine, so results cannot depend on how many there
// are.
func forTiles[W any](tiles int, fl float64, newWorker func() W, do func(w W, t int)) {
	workers := 1
	if fl >= minPar {
		workers = min(runtime.GOMAXPROCS(0), tiles)
	}
	if workers <= 1 {
		w := newWorker()
		for t := 0; t < tiles; t++ {
			do(w, t)
		}
		return
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			w := newWorker()
			for {
				t := int(next.Add(1) - 1)
				if t >= tiles {
					return
				}
				do(w, t)
			}
		})
	}
	wg.Wait()
}
