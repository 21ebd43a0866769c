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
