package vec

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

func sum4(x []float32) float64 {
	var a0, a1, a2, a3 float64
	n := len(x) &^ 3
	for i := 0; i < n; i += 4 {
		q := x[i : i+4 : i+4]
		a0 += float64(q[0])
		a1 += float64(q[1])
		a2 += float64(q[2])
		a3 += float64(q[3])
	}
	for _, v := range x[n:] {
		a0 += float64(v)
	}
	return (a0 + a1) + (a2 + a3)
}

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
		b.Run(fmt.Sprintf("acc4/%d", n), func(b *testing.B) {
			for b.Loop() {
				sink += sum4(x)
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
