package vec

import (
	"math"
	"math/rand/v2"
	"testing"
)

func randVec(rng *rand.Rand, n int) []float32 {
	x := make([]float32, n)
	for i := range x {
		x[i] = float32(rng.NormFloat64()*3 + 0.5)
	}
	return x
}

func same(a, b float64) bool { return math.Float64bits(a) == math.Float64bits(b) }

// bodies is one instruction set's bodies of the batch-norm kernels.
type bodies struct {
	sum    func(x []float32) float64
	dot    func(x, y []float32) float64
	sqDev  func(x []float32, mu float64) float64
	sumDev func(g, x []float32, mu float64) (float64, float64)
	affine func(dst, x []float32, mu, r, t float64)
	bnDx   func(dst, g, x []float32, a, mg, mu, coef float64)
	fma2   func(dst, x, y []float32, a, b, s float64)
	widen  func(dst []float64, src []float32)
}

// checkBodies compares a set of bodies with the scalar bodies, bit for bit,
// on every length from 0 to 100 and two long ones; with sequential, the
// reductions must also be within float64 rounding of a plain sequential sum.
func checkBodies(t *testing.T, name string, b bodies, sequential bool) {
	t.Helper()
	rng := rand.New(rand.NewPCG(1, 2))
	lens := []int{1000, 4099}
	for n := 0; n <= 100; n++ {
		lens = append(lens, n)
	}
	for _, n := range lens {
		x, y := randVec(rng, n), randVec(rng, n)
		mu := rng.NormFloat64()
		if got, want := b.sum(x), sumScalar(x); !same(got, want) {
			t.Fatalf("%s n=%d SumF64 %v, scalar %v", name, n, got, want)
		}
		if got, want := b.dot(x, y), dotScalar(x, y); !same(got, want) {
			t.Fatalf("%s n=%d DotF64 %v, scalar %v", name, n, got, want)
		}
		if got, want := b.sqDev(x, mu), sqDevScalar(x, mu); !same(got, want) {
			t.Fatalf("%s n=%d SqDevF64 %v, scalar %v", name, n, got, want)
		}
		a1, b1 := b.sumDev(x, y, mu)
		a2, b2 := sumDevScalar(x, y, mu)
		if !same(a1, a2) || !same(b1, b2) {
			t.Fatalf("%s n=%d SumDevF64 %v %v, scalar %v %v", name, n, a1, b1, a2, b2)
		}
		if sequential {
			var rs, rd, rq, rb float64
			for i := range x {
				rs += float64(x[i])
				rd += float64(x[i]) * float64(y[i])
				rq += (float64(x[i]) - mu) * (float64(x[i]) - mu)
				rb += float64(x[i]) * (float64(y[i]) - mu)
			}
			for _, c := range [][2]float64{{b.sum(x), rs}, {b.dot(x, y), rd}, {b.sqDev(x, mu), rq}, {b1, rb}, {a1, rs}} {
				if math.Abs(c[0]-c[1]) > 1e-12*(1+math.Abs(c[1]))*float64(n+1) {
					t.Fatalf("%s n=%d reduction %v far from sequential %v", name, n, c[0], c[1])
				}
			}
		}
		d1, d2 := make([]float32, n), make([]float32, n)
		b.affine(d1, x, mu, 0.7, -0.2)
		affineScalar(d2, x, mu, 0.7, -0.2)
		sameF32(t, name+" Affine", d1, d2)
		b.bnDx(d1, x, y, 1.3, 0.1, mu, 0.05)
		bnDxScalar(d2, x, y, 1.3, 0.1, mu, 0.05)
		sameF32(t, name+" BNDx", d1, d2)
		b.fma2(d1, x, y, 0.3, -1.7, 0.25)
		fma2Scalar(d2, x, y, 0.3, -1.7, 0.25)
		sameF32(t, name+" FMA2", d1, d2)
		w := make([]float64, n)
		b.widen(w, x)
		for i := range x {
			if w[i] != float64(x[i]) {
				t.Fatalf("%s n=%d Widen[%d] = %v, want %v", name, n, i, w[i], x[i])
			}
		}
	}
}

// TestPathsAgree checks the bodies in use against the scalar ones.
func TestPathsAgree(t *testing.T) {
	t.Logf("path %s", Path())
	inUse := bodies{SumF64, DotF64, SqDevF64, SumDevF64, Affine, BNDx, FMA2, Widen} // as dispatched here
	checkBodies(t, Path(), inUse, true)
}

func sameF32(t *testing.T, what string, a, b []float32) {
	t.Helper()
	for i := range a {
		if math.Float32bits(a[i]) != math.Float32bits(b[i]) {
			t.Fatalf("%s[%d] of %d: %v vs scalar %v", what, i, len(a), a[i], b[i])
		}
	}
}

// TestScalarDefinitions pins the scalar bodies to their formulas.
func TestScalarDefinitions(t *testing.T) {
	x := []float32{1, -2, 3.5}
	y := []float32{0.5, 4, -1}
	d := make([]float32, 3)
	affineScalar(d, x, 1, 2, 3)
	bnDx := make([]float32, 3)
	bnDxScalar(bnDx, x, y, 2, 0.5, 1, 0.25)
	f := make([]float32, 3)
	fma2Scalar(f, x, y, 2, -1, 0.5)
	for i := range x {
		xi, yi := float64(x[i]), float64(y[i])
		if d[i] != float32((xi-1)*2+3) || bnDx[i] != float32(2*(xi-0.5-(yi-1)*0.25)) || f[i] != float32(2*xi-yi+0.5) {
			t.Fatalf("element %d: %v %v %v", i, d[i], bnDx[i], f[i])
		}
	}
	if SumF64(x) != 2.5 || DotF64(x, y) != 0.5-8-3.5 || SqDevF64(x, 1) != 0+9+6.25 {
		t.Fatal("reductions")
	}
}

// TestReLUDefinition pins ReLU and StepMask (the body in use) to their
// float definitions: NaN passes ReLU, -0 becomes +0, a NaN or non-positive
// reference masks the gradient.
func TestReLUDefinition(t *testing.T) {
	nan, negNaN := float32(math.NaN()), math.Float32frombits(0xffc00000)
	negZero := float32(math.Copysign(0, -1))
	inf := float32(math.Inf(1))
	src := []float32{1.5, -2, 0, negZero, nan, negNaN, inf, -inf, math.Float32frombits(1), math.Float32frombits(0x80000001),
		3, -3, 4, -4, 5, -5, 6, -6, 7, -7}
	g := make([]float32, len(src))
	for i := range g {
		g[i] = float32(i + 1)
	}
	d, s := make([]float32, len(src)), make([]float32, len(src))
	ReLU(d, src)
	StepMask(s, g, src)
	for i, v := range src {
		want := float32(0)
		if v > 0 || v != v {
			want = v
		}
		if math.Float32bits(d[i]) != math.Float32bits(want) && !(d[i] != d[i] && want != want) {
			t.Fatalf("ReLU(%v) = %v, want %v", v, d[i], want)
		}
		if d[i] != d[i] && math.Float32bits(d[i]) != math.Float32bits(v) {
			t.Fatalf("ReLU(%v): NaN bits %x, want %x", v, math.Float32bits(d[i]), math.Float32bits(v))
		}
		wantG := float32(0)
		if v > 0 {
			wantG = g[i]
		}
		if math.Float32bits(s[i]) != math.Float32bits(wantG) {
			t.Fatalf("StepMask(ref %v) = %v, want %v", v, s[i], wantG)
		}
	}
}
