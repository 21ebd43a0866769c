package autodiff

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/metabench/metabench/tensor"
)

// specials are the values whose sign, zero or NaN handling the branch-free
// kernels must get right.
var specials = []float64{0, math.Copysign(0, -1), 1, -1, 1e-45, -1e-45, 5e-324, -5e-324,
	math.Inf(1), math.Inf(-1), math.NaN(), math.Float64frombits(0xfff8000000000000), 3.5, -2.25}

func sameBits64(a, b float64) bool {
	if math.IsNaN(a) || math.IsNaN(b) {
		return math.IsNaN(a) && math.IsNaN(b)
	}
	return math.Float64bits(a) == math.Float64bits(b)
}

// TestMaskKernelsMatchScalar checks reluInto and stepMaskInto against the
// obvious scalar definitions on special values in both precisions, and on
// lengths that split over goroutines.
func TestMaskKernelsMatchScalar(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, n := range []int{len(specials), 3*elemChunk + 17} {
		x := make([]float64, n)
		g := make([]float64, n)
		for i := range x {
			if i < len(specials) {
				x[i] = specials[i]
			} else {
				x[i] = rng.NormFloat64()
			}
			g[i] = specials[(i*7+3)%len(specials)]
		}
		relu64 := make([]float64, n)
		reluInto(relu64, x)
		mask64 := make([]float64, n)
		stepMaskInto(mask64, g, x)
		x32, g32 := make([]float32, n), make([]float32, n)
		for i := range x {
			x32[i], g32[i] = float32(x[i]), float32(g[i])
		}
		relu32 := make([]float32, n)
		reluInto(relu32, x32)
		mask32 := make([]float32, n)
		stepMaskInto(mask32, g32, x32)
		for i := range x {
			want := max(x[i], 0)
			if !sameBits64(relu64[i], want) {
				t.Fatalf("n=%d relu64(%v) = %v, want %v", n, x[i], relu64[i], want)
			}
			if w32 := max(x32[i], 0); !sameBits64(float64(relu32[i]), float64(w32)) {
				t.Fatalf("n=%d relu32(%v) = %v, want %v", n, x32[i], relu32[i], w32)
			}
			wm := 0.0
			if x[i] > 0 {
				wm = g[i]
			}
			if !sameBits64(mask64[i], wm) {
				t.Fatalf("n=%d step64(g=%v, ref=%v) = %v, want %v", n, g[i], x[i], mask64[i], wm)
			}
			var wm32 float32
			if x32[i] > 0 {
				wm32 = g32[i]
			}
			if !sameBits64(float64(mask32[i]), float64(wm32)) {
				t.Fatalf("n=%d step32(g=%v, ref=%v) = %v, want %v", n, g32[i], x32[i], mask32[i], wm32)
			}
		}
	}
}

// TestReLUMaxPoolFusedMatchesPair checks that ReLUMaxPool2d gives the values,
// gradients and second-order gradients of MaxPool2d(ReLU(z)) bit for bit,
// with ties, zeros of both signs and windows that are all negative.
func TestReLUMaxPoolFusedMatchesPair(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for _, geom := range [][4]int{{2, 2, 0, 0}, {3, 2, 1, 0}, {3, 1, 1, 1}, {2, 1, 0, 0}} {
		k, s, p := geom[0], geom[1], geom[2]
		shape := []int{2, 3, 7, 6}
		n := 2 * 3 * 7 * 6
		zd := make([]float64, n)
		for i := range zd {
			switch rng.IntN(6) {
			case 0:
				zd[i] = 0
			case 1:
				zd[i] = math.Copysign(0, -1)
			case 2:
				zd[i] = 0.5 // ties
			default:
				zd[i] = rng.NormFloat64()
			}
		}
		vd := make([]float64, 2*3*((7+2*p-k)/s+1)*((6+2*p-k)/s+1))
		for i := range vd {
			vd[i] = rng.NormFloat64()
		}
		run := func(variant int) ([]float64, []float64, []float64) {
			tp := NewTape[float64]()
			z := tp.Param(tensor.FromSlice(append([]float64(nil), zd...), shape...))
			var y *Var[float64]
			switch variant {
			case 0: // fully unfused: Scale(., 1) hides the ReLU from MaxPool2d
				y = MaxPool2d(Scale(ReLU(z), 1), k, s, p)
			case 1: // MaxPool2d of a ReLU output (reluMaxPoolOp)
				y = MaxPool2d(ReLU(z), k, s, p)
			default:
				y = ReLUMaxPool2d(z, k, s, p)
			}
			v := tp.Const(tensor.FromSlice(append([]float64(nil), vd...), y.Shape()...))
			l := Sum(Mul(Mul(y, y), v), nil, false)
			g, err := Grad(l, []*Var[float64]{z}, true)
			if err != nil {
				t.Fatal(err)
			}
			h, err := Grad(Sum(Mul(g[0], g[0]), nil, false), []*Var[float64]{z}, false)
			if err != nil {
				t.Fatal(err)
			}
			return y.Data(), g[0].Data(), h[0].Data()
		}
		y0, g0, h0 := run(0)
		for v := 1; v <= 2; v++ {
			y1, g1, h1 := run(v)
			for name, pair := range map[string][2][]float64{"value": {y0, y1}, "grad": {g0, g1}, "grad2": {h0, h1}} {
				for i := range pair[0] {
					if !sameBits64(pair[0][i], pair[1][i]) {
						t.Fatalf("variant %d, kernel %d stride %d pad %d: %s[%d]: unfused %v, fused %v", v, k, s, p, name, i, pair[0][i], pair[1][i])
					}
				}
			}
		}
	}
}

// TestDropReLUInPlace: the fused pass equals dropNonPositive then reluInto,
// bit for bit, on signed zeros, NaNs, infinities and random values, over a
// length that splits across workers.
func TestDropReLUInPlace(t *testing.T) {
	testDropReLU[float32](t)
	testDropReLU[float64](t)
}

func testDropReLU[T Float](t *testing.T) {
	rng := rand.New(rand.NewPCG(51, 52))
	n := 5*elemChunk + 7
	v := make([]T, n)
	special := []float64{0, math.Copysign(0, -1), math.NaN(), math.Inf(1), math.Inf(-1), 1e-40, -1e-40}
	for i := range v {
		if i < len(special) {
			v[i] = T(special[i])
		} else {
			v[i] = T(rng.NormFloat64())
		}
	}
	idx := make([]int32, n)
	for i := range idx {
		idx[i] = int32(rng.IntN(1000))
	}
	v2, idx2 := slices.Clone(v), slices.Clone(idx)
	dropNonPositive(idx, v)
	reluInto(v, v)
	dropReLUInPlace(idx2, v2)
	for i := range v {
		if idx[i] != idx2[i] || math.Float64bits(float64(v[i])) != math.Float64bits(float64(v2[i])) {
			t.Fatalf("element %d: (%v, %d) fused, (%v, %d) two passes", i, v2[i], idx2[i], v[i], idx[i])
		}
	}
}

// dropNonPositive sets idx[o] = -1 where !(v[o] > 0), without branches.
func dropNonPositive[T Float](idx []int32, v []T) {
	if isF32[T]() {
		vs := asF32(v)[:len(idx)]
		for o, x := range vs {
			keep := int32(posMask32(math.Float32bits(x)))
			idx[o] = idx[o]&keep | ^keep
		}
		return
	}
	vs := asF64(v)[:len(idx)]
	for o, x := range vs {
		keep := int32(posMask64(math.Float64bits(x)))
		idx[o] = idx[o]&keep | ^keep
	}
}
