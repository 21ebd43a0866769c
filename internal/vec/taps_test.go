package vec

import (
	"math"
	"math/rand/v2"
	"testing"
)

type tapsFunc func(y []float32, ys int, x []float32, xs int, rows, n int, offs []int32, w []float32, add bool)

type lanesFunc func(acc *[DotLanes]float64, g []float64, gs int, x []float64, xs int, rows, n int)

func randVec64(rng *rand.Rand, n int) []float64 {
	x := make([]float64, n)
	for i := range x {
		x[i] = float64(float32(rng.NormFloat64()))
	}
	return x
}

// checkTaps compares a Taps body with the definition, bit for bit, over row
// lengths that cover the full blocks and every tail, odd and even row
// counts.
func checkTaps(t *testing.T, name string, body tapsFunc) {
	rng := rand.New(rand.NewPCG(3, 4))
	for n := 0; n <= 70; n++ {
		for _, rows := range []int{1, 2, 3} {
			for _, nt := range []int{1, 9, 25} {
				for _, add := range []bool{false, true} {
					ys, xs := n+rng.IntN(3), n+rng.IntN(9)
					y, x := randVec(rng, rows*ys+n), randVec(rng, rows*xs+n+40+32)
					offs, w := make([]int32, nt), randVec(rng, nt)
					for i := range offs {
						offs[i] = int32(rng.IntN(41))
					}
					want := append([]float32(nil), y...)
					TapsOf(want, ys, x, xs, rows, n, offs, w, add)
					body(y, ys, x, xs, rows, n, offs, w, add)
					sameF32(t, name, y, want)
				}
			}
		}
	}
}

func checkLaneDots(t *testing.T, name string, body lanesFunc) {
	rng := rand.New(rand.NewPCG(5, 6))
	for n := 0; n <= 75; n++ {
		for _, rows := range []int{1, 2, 3, 6} {
			n8 := (n + 7) &^ 7
			gs, xs := n8+rng.IntN(3), n8+rng.IntN(5)
			g, x := randVec64(rng, rows*gs+n8), randVec64(rng, rows*xs+n8)
			for r := 0; r < rows; r++ {
				clear(g[r*gs+n : r*gs+n8])
			}
			var got, want [DotLanes]float64
			for l := range got {
				got[l] = float64(rng.Float32())
				want[l] = got[l]
			}
			laneDotsScalar(&want, g, gs, x, xs, rows, n)
			body(&got, g, gs, x, xs, rows, n)
			for l := range got {
				if !same(got[l], want[l]) {
					t.Fatalf("%s n=%d rows=%d lane %d: %v, want %v", name, n, rows, l, got[l], want[l])
				}
			}
		}
	}
}

func TestTapsAgree(t *testing.T)     { checkTaps(t, "Taps/"+Path(), Taps) }
func TestLaneDotsAgree(t *testing.T) { checkLaneDots(t, "LaneDots/"+Path(), LaneDots) }

// The definitions themselves: Taps is a sum of rounded products in tap
// order, LaneDots the float64 dot product of the rows split over lanes.
func TestTapsDefinition(t *testing.T) {
	x := []float32{1, 2, 3, 4, 5, 6}
	y := []float32{100, 200}
	TapsOf(y, 0, x, 0, 1, 2, []int32{0, 3}, []float32{2, -1}, true)
	// y[0] = 100 + 2*1 - 1*4, y[1] = 200 + 2*2 - 1*5
	if y[0] != 98 || y[1] != 199 {
		t.Fatalf("TapsOf = %v", y)
	}
	TapsOf(y, 0, x, 0, 1, 2, []int32{1}, []float32{3}, false)
	if y[0] != 6 || y[1] != 9 {
		t.Fatalf("TapsOf without add = %v", y)
	}
	rng := rand.New(rand.NewPCG(7, 8))
	g, xx := randVec64(rng, 3*37), randVec64(rng, 3*41)
	var acc [DotLanes]float64
	laneDotsScalar(&acc, g, 37, xx, 41, 3, 32)
	var want float64
	for r := 0; r < 3; r++ {
		for k := 0; k < 32; k++ {
			want += g[37*r+k] * xx[41*r+k]
		}
	}
	if got := FoldLanes(&acc); math.Abs(got-want) > 1e-12*math.Max(1, math.Abs(want)) {
		t.Fatalf("LaneDots sum = %v, want %v", got, want)
	}
}

func TestMulAddAgrees(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	for n := 0; n < 70; n++ {
		for _, add := range []bool{false, true} {
			x, dst := randVec(rng, n), randVec(rng, n)
			a := float32(rng.NormFloat64())
			want := append([]float32(nil), dst...)
			MulAddOf(want, x, a, add)
			MulAdd(dst, x, a, add)
			sameF32(t, "MulAdd", dst, want)
		}
	}
	d := []float32{1, 2}
	MulAddOf(d, []float32{3, 4}, 2, true)
	if d[0] != 7 || d[1] != 10 {
		t.Fatalf("MulAddOf = %v", d)
	}
}

type maxTapsFunc func(bi []int32, bs int, keys []int32, ks, rows, n int, offs, io []int32, ir, ic int32)

// checkMaxTaps compares a MaxTaps body with the definition on keys with
// many ties (so that "first maximum wins" is exercised) and padding keys.
func checkMaxTaps(t *testing.T, name string, body maxTapsFunc) {
	rng := rand.New(rand.NewPCG(13, 14))
	for n := 1; n <= 40; n++ {
		for _, rows := range []int{1, 3} {
			for _, nt := range []int{1, 4, 9} {
				ks, bs := n+rng.IntN(5), n+rng.IntN(3)
				keys := make([]int32, rows*ks+n+20+16)
				for i := range keys {
					switch rng.IntN(4) {
					case 0:
						keys[i] = -1 << 31
					case 1:
						keys[i] = 1<<31 - 1
					default:
						keys[i] = int32(rng.IntN(5)) - 2
					}
				}
				offs, io := make([]int32, nt), make([]int32, nt)
				for i := range offs {
					offs[i], io[i] = int32(rng.IntN(21)), int32(rng.IntN(1000))-500
				}
				got, want := make([]int32, rows*bs+n), make([]int32, rows*bs+n)
				ir, ic := int32(rng.IntN(100)), int32(1+rng.IntN(2))
				MaxTapsOf(want, bs, keys, ks, rows, n, offs, io, ir, ic)
				body(got, bs, keys, ks, rows, n, offs, io, ir, ic)
				for i := range got {
					if got[i] != want[i] {
						t.Fatalf("%s n=%d rows=%d taps=%d: index %d = %d, want %d", name, n, rows, nt, i, got[i], want[i])
					}
				}
			}
		}
	}
}

func TestMaxTapsAgree(t *testing.T) { checkMaxTaps(t, "MaxTaps/"+Path(), MaxTaps) }
