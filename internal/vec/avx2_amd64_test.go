//go:build goexperiment.simd && amd64

package vec

import (
	"math"
	"math/rand/v2"
	"simd/archsimd"
	"testing"
)

// TestAVX2Bodies runs the AVX2 bodies directly (an AVX-512 machine would
// otherwise never run them) against the scalar bodies, bit for bit, and the
// element-wise adds against plain loops.
func TestAVX2Bodies(t *testing.T) {
	if !archsimd.X86.AVX2() {
		t.Skip("no AVX2 on this CPU")
	}
	checkBodies(t, "avx2", bodies{sumF64AVX2, dotF64AVX2, sqDevF64AVX2, sumDevF64AVX2, affineAVX2, bnDxAVX2, fma2AVX2, widenAVX2}, false)
	rng := rand.New(rand.NewPCG(3, 4))
	for n := 0; n <= 100; n++ {
		x, y := randVec(rng, n), randVec(rng, n)
		d1, d2 := make([]float32, n), make([]float32, n)
		copy(d1, x)
		copy(d2, x)
		addConstAVX2(d1, 0.3)
		for i := range d2 {
			d2[i] += 0.3
		}
		sameF32(t, "addConstAVX2", d1, d2)
		sum2AVX2(d1, x, y)
		for i := range d2 {
			d2[i] = x[i] + y[i]
		}
		sameF32(t, "sum2AVX2", d1, d2)
		addAVX2(d1, x)
		for i := range d2 {
			d2[i] += x[i]
		}
		sameF32(t, "addAVX2", d1, d2)
	}
}

// TestAVX2PoolRows checks the AVX2 pooling row kernels against the scalar
// bodies with ties, signed zeros, infinities, NaNs and dropped windows.
func TestAVX2PoolRows(t *testing.T) {
	if !archsimd.X86.AVX2() {
		t.Skip("no AVX2 on this CPU")
	}
	rng := rand.New(rand.NewPCG(5, 6))
	for n := 4; n <= 40; n++ {
		for trial := 0; trial < 20; trial++ {
			r0, r1 := specialVec(rng, 2*n+3), specialVec(rng, 2*n+3)
			y1, y2 := make([]float32, n), make([]float32, n)
			i1, i2 := make([]int32, n), make([]int32, n)
			maxPool2x2RowAVX2(y1, i1, r0, r1, 100, 1000)
			maxPool2x2RowScalar(y2, i2, r0, r1, 100, 1000)
			for c := 0; c < n; c++ {
				if i1[c] != i2[c] || math.Float32bits(y1[c]) != math.Float32bits(y2[c]) {
					t.Fatalf("maxPool width %d output %d: %v@%d, scalar %v@%d", n, c, y1[c], i1[c], y2[c], i2[c])
				}
			}
			gs := randVec(rng, n)
			for c := range i1 {
				if rng.IntN(4) == 0 {
					i1[c] = -1
				}
			}
			u0, u1 := make([]float32, 2*n), make([]float32, 2*n)
			w0, w1 := make([]float32, 2*n), make([]float32, 2*n)
			maskedUnpool2x2RowAVX2(u0, u1, gs, i1, 100, 1000)
			maskedUnpool2x2RowScalar(w0, w1, gs, i1, 100, 1000)
			sameF32(t, "maskedUnpool row 0", u0, w0)
			sameF32(t, "maskedUnpool row 1", u1, w1)
		}
	}
}

// TestReLUBodies checks every ReLU and StepMask body this CPU runs against
// the scalar ones on special values.
func TestReLUBodies(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	type body struct {
		name string
		relu func(dst, src []float32)
		step func(dst, g, ref []float32)
	}
	var bodies []body
	if archsimd.X86.AVX512() {
		bodies = append(bodies, body{"avx512", reluAVX512, stepMaskAVX512})
	}
	if archsimd.X86.AVX2() {
		bodies = append(bodies, body{"avx2", reluAVX2, stepMaskAVX2})
	}
	for _, b := range bodies {
		for _, n := range []int{0, 1, 7, 8, 15, 16, 17, 33, 100, 1001} {
			x, g := specialVec(rng, n), randVec(rng, n)
			d1, d2 := make([]float32, n), make([]float32, n)
			b.relu(d1, x)
			reluScalar(d2, x)
			sameF32(t, b.name+" ReLU", d1, d2)
			b.step(d1, g, x)
			stepMaskScalar(d2, g, x)
			sameF32(t, b.name+" StepMask", d1, d2)
		}
	}
}

func specialVec(rng *rand.Rand, n int) []float32 {
	specials := []float32{0, float32(math.Copysign(0, -1)), 1, 1, -1, float32(math.Inf(1)), float32(math.Inf(-1)),
		float32(math.NaN()), math.Float32frombits(0xffc00000), math.Float32frombits(1), math.Float32frombits(0x80000001), 2.5}
	x := make([]float32, n)
	for i := range x {
		if rng.IntN(3) == 0 {
			x[i] = specials[rng.IntN(len(specials))]
		} else {
			x[i] = float32(rng.NormFloat64())
		}
	}
	return x
}
