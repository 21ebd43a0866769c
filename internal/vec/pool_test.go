package vec

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestMaxPool2x2RowAgrees checks the row kernel in use against the scalar
// body on every width up to 40, with ties, zeros of both signs, infinities
// and NaNs of both signs, and pins the rule on a hand-made window set.
func TestMaxPool2x2RowAgrees(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	specials := []float32{0, float32(math.Copysign(0, -1)), 1, 1, -1, float32(math.Inf(1)), float32(math.Inf(-1)),
		float32(math.NaN()), math.Float32frombits(0xffc00000), 2.5}
	for n := 0; n <= 40; n++ {
		for trial := 0; trial < 20; trial++ {
			r0, r1 := make([]float32, 2*n+3), make([]float32, 2*n+3)
			for i := range r0 {
				if rng.IntN(3) == 0 {
					r0[i] = specials[rng.IntN(len(specials))]
					r1[i] = specials[rng.IntN(len(specials))]
				} else {
					r0[i], r1[i] = float32(rng.NormFloat64()), float32(rng.NormFloat64())
				}
			}
			y1, y2 := make([]float32, n), make([]float32, n)
			i1, i2 := make([]int32, n), make([]int32, n)
			MaxPool2x2Row(y1, i1, r0, r1, 100, 1000)
			maxPool2x2RowScalar(y2, i2, r0, r1, 100, 1000)
			for c := 0; c < n; c++ {
				if i1[c] != i2[c] || math.Float32bits(y1[c]) != math.Float32bits(y2[c]) {
					t.Fatalf("width %d output %d: %v@%d, scalar %v@%d", n, c, y1[c], i1[c], y2[c], i2[c])
				}
			}
		}
	}
	negZero := float32(math.Copysign(0, -1))
	nan, negNaN := float32(math.NaN()), math.Float32frombits(0xffc00000)
	// windows: [1 1; 0 1] -> first 1; [-0 +0; +0 -0] -> first; [-2 NaN; 5 negNaN] -> NaN at 1;
	// [-inf -3; -3 -1] -> -1; and 4 more random-free windows to fill a vector
	r0 := []float32{1, 1, negZero, 0, -2, nan, float32(math.Inf(-1)), -3, 4, 4, 0, 0, 1, 2, 3, 4}
	r1 := []float32{0, 1, 0, negZero, 5, negNaN, -3, -1, 4, 5, 0, 0, 2, 1, 4, 3}
	y, idx := make([]float32, 8), make([]int32, 8)
	MaxPool2x2Row(y, idx, r0, r1, 0, 16)
	want := []int32{0, 2, 5, 16 + 7, 16 + 9, 10, 13, 15}
	for c, w := range want {
		if idx[c] != w {
			t.Fatalf("window %d: index %d, want %d (y %v)", c, idx[c], w, y)
		}
	}
}

// TestMaskedUnpool2x2RowAgrees checks the unpool row kernel against the
// scalar body and against its definition, with dropped windows.
func TestMaskedUnpool2x2RowAgrees(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 9))
	for n := 0; n <= 40; n++ {
		for trial := 0; trial < 10; trial++ {
			gs := randVec(rng, n)
			is := make([]int32, n)
			off0, off1 := int32(rng.IntN(3)*100), int32(1000)
			for c := range is {
				switch k := rng.IntN(5); k {
				case 4:
					is[c] = -1
				default:
					is[c] = []int32{off0, off0 + 1, off1, off1 + 1}[k] + int32(2*c)
				}
			}
			a0, a1 := make([]float32, 2*n+1), make([]float32, 2*n+1)
			b0, b1 := make([]float32, 2*n+1), make([]float32, 2*n+1)
			for i := range a0 {
				a0[i], a1[i], b0[i], b1[i] = 7, 7, 7, 7 // garbage to overwrite
			}
			MaskedUnpool2x2Row(a0, a1, gs, is, off0, off1)
			maskedUnpool2x2RowScalar(b0, b1, gs, is, off0, off1)
			for i := 0; i < 2*n; i++ {
				if a0[i] != b0[i] || a1[i] != b1[i] {
					t.Fatalf("width %d cell %d: %v %v, scalar %v %v", n, i, a0[i], a1[i], b0[i], b1[i])
				}
				var w0, w1 float32
				c := i / 2
				if is[c] == off0+int32(i) {
					w0 = gs[c]
				}
				if is[c] == off1+int32(i) {
					w1 = gs[c]
				}
				if b0[i] != w0 || b1[i] != w1 {
					t.Fatalf("width %d cell %d: scalar %v %v, want %v %v", n, i, b0[i], b1[i], w0, w1)
				}
			}
			if a0[2*n] != 7 || a1[2*n] != 7 {
				t.Fatalf("width %d: wrote past the row", n)
			}
		}
	}
	x := []float32{1, 2, 3, -4, 5, 0, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19}
	for n := 0; n < len(x); n++ {
		y := append([]float32(nil), x[:n]...)
		AddConst(y, 0.5)
		for i := range y {
			if y[i] != x[i]+0.5 {
				t.Fatalf("AddConst %d: %v", i, y[i])
			}
		}
	}
}

func TestAdd(t *testing.T) {
	rng := rand.New(rand.NewPCG(2, 9))
	for n := 0; n < 100; n++ {
		a, b := randVec(rng, n), randVec(rng, n)
		want := make([]float32, n)
		for i := range a {
			want[i] = a[i] + b[i]
		}
		Add(a, b)
		for i := range a {
			if a[i] != want[i] {
				t.Fatalf("n=%d Add[%d] = %v, want %v", n, i, a[i], want[i])
			}
		}
	}
}

func TestSum2(t *testing.T) {
	for _, n := range []int{0, 1, 15, 16, 31, 32, 33, 100, 1000} {
		a, b, d := make([]float32, n), make([]float32, n), make([]float32, n)
		for i := range a {
			a[i], b[i] = float32(i)*0.37-3, float32(n-i)*1.3+0.1
		}
		Sum2(d, a, b)
		for i := range d {
			if d[i] != a[i]+b[i] {
				t.Fatalf("n=%d Sum2[%d] = %v, want %v", n, i, d[i], a[i]+b[i])
			}
		}
	}
}
