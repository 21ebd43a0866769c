package vec

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

var sink float64

func BenchmarkSum(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 1))
	for _, n := range []int{9, 49, 196, 784} {
		x := randVec(rng, n)
		b.Run(fmt.Sprintf("vec/%d", n), func(b *testing.B) {
			for b.Loop() {
				sink += SumF64(x)
			}
		})
		b.Run(fmt.Sprintf("scalar16/%d", n), func(b *testing.B) {
			for b.Loop() {
				sink += sumScalar(x)
			}
		})
		d := make([]float32, n)
		b.Run(fmt.Sprintf("affine/%d", n), func(b *testing.B) {
			for b.Loop() {
				Affine(d, x, 0.1, 0.2, 0.3)
			}
		})
		b.Run(fmt.Sprintf("affineScalar/%d", n), func(b *testing.B) {
			for b.Loop() {
				affineScalar(d, x, 0.1, 0.2, 0.3)
			}
		})
	}
}

// The row kernels on a 28x28 plane with a 5x5 kernel (padded rows of 32).
func BenchmarkLaneDots28(b *testing.B) {
	g, x := make([]float64, 28*32), make([]float64, 32*32)
	var acc [DotLanes]float64
	for b.Loop() {
		LaneDots(&acc, g, 32, x, 32, 28, 28)
	}
}

// LaneDots on the planes of the DARTS networks' cells (14x14, 7x7, 4x4),
// input rows padded for a 5x5 kernel.
func BenchmarkLaneDotsCells(b *testing.B) {
	for _, n := range []int{14, 7, 4} {
		n8 := (n + 7) &^ 7
		g, x := make([]float64, n*n8), make([]float64, (n+4)*(n8+4))
		var acc [DotLanes]float64
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			for b.Loop() {
				LaneDots(&acc, g, n8, x, n8+4, n, n)
			}
		})
	}
}

func BenchmarkTaps28x25(b *testing.B) {
	y, x := make([]float32, 28*28), make([]float32, 32*32+32)
	w := make([]float32, 25)
	offs := make([]int32, 25)
	for t := range offs {
		offs[t] = int32(t/5*32 + t%5)
	}
	for b.Loop() {
		Taps(y, 28, x, 32, 28, 28, offs, w, true)
	}
}

func BenchmarkTaps14x9(b *testing.B) {
	y, x := make([]float32, 14*14), make([]float32, 16*16+32)
	w := make([]float32, 9)
	offs := make([]int32, 9)
	for t := range offs {
		offs[t] = int32(t/3*16 + t%3)
	}
	for b.Loop() {
		Taps(y, 14, x, 16, 14, 14, offs, w, true)
	}
}

// Taps with a 5x5 kernel on the DARTS networks' smaller planes (7x7, 4x4).
func BenchmarkTapsSmall(b *testing.B) {
	for _, n := range []int{7, 4} {
		xs := n + 4
		y, x := make([]float32, n*n), make([]float32, xs*xs+32)
		w, offs := make([]float32, 25), make([]int32, 25)
		for t := range offs {
			offs[t] = int32(t/5*xs + t%5)
		}
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			for b.Loop() {
				Taps(y, n, x, xs, n, n, offs, w, true)
			}
		})
	}
}
