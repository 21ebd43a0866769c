package tensor

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"testing"

	"github.com/metabench/metabench/internal/gemm"
)

func randT[T Float](rng *rand.Rand, shape ...int) *Tensor[T] {
	t := New[T](shape...)
	for i := range t.Data {
		t.Data[i] = T(rng.Float64()*2 - 1)
	}
	return t
}

// naiveConv is the direct 7-loop convolution and its two adjoints.
func naiveConv(x, w []float64, g ConvGeom) (y []float64) {
	g.norm()
	oh, ow := g.OutH(), g.OutW()
	cg, kg := g.C/g.Groups, g.K/g.Groups
	y = make([]float64, g.N*g.K*oh*ow)
	for n := 0; n < g.N; n++ {
		for k := 0; k < g.K; k++ {
			gr := k / kg
			for r := 0; r < oh; r++ {
				for c := 0; c < ow; c++ {
					var s float64
					for ci := 0; ci < cg; ci++ {
						for i := 0; i < g.KH; i++ {
							for j := 0; j < g.KW; j++ {
								ih := r*g.StrideH - g.PadH + i*g.DilH
								iw := c*g.StrideW - g.PadW + j*g.DilW
								if ih < 0 || ih >= g.H || iw < 0 || iw >= g.W {
									continue
								}
								s += w[((k*cg+ci)*g.KH+i)*g.KW+j] * x[((n*g.C+gr*cg+ci)*g.H+ih)*g.W+iw]
							}
						}
					}
					y[((n*g.K+k)*oh+r)*ow+c] = s
				}
			}
		}
	}
	return y
}

func naiveConvAdj(x, w, gy []float64, g ConvGeom) (dx, dw []float64) {
	g.norm()
	oh, ow := g.OutH(), g.OutW()
	cg, kg := g.C/g.Groups, g.K/g.Groups
	dx = make([]float64, g.N*g.C*g.H*g.W)
	dw = make([]float64, g.K*cg*g.KH*g.KW)
	for n := 0; n < g.N; n++ {
		for k := 0; k < g.K; k++ {
			gr := k / kg
			for r := 0; r < oh; r++ {
				for c := 0; c < ow; c++ {
					gv := gy[((n*g.K+k)*oh+r)*ow+c]
					for ci := 0; ci < cg; ci++ {
						for i := 0; i < g.KH; i++ {
							for j := 0; j < g.KW; j++ {
								ih := r*g.StrideH - g.PadH + i*g.DilH
								iw := c*g.StrideW - g.PadW + j*g.DilW
								if ih < 0 || ih >= g.H || iw < 0 || iw >= g.W {
									continue
								}
								xi := ((n*g.C+gr*cg+ci)*g.H+ih)*g.W + iw
								wi := ((k*cg+ci)*g.KH+i)*g.KW + j
								dx[xi] += w[wi] * gv
								dw[wi] += x[xi] * gv
							}
						}
					}
				}
			}
		}
	}
	return dx, dw
}

var convCases = []ConvGeom{
	{N: 2, C: 3, H: 6, W: 6, K: 4, KH: 3, KW: 3, PadH: 1, PadW: 1},
	{N: 3, C: 3, H: 7, W: 5, K: 4, KH: 3, KW: 3, StrideH: 2, StrideW: 2, PadH: 1, PadW: 1},
	{N: 2, C: 2, H: 8, W: 9, K: 3, KH: 3, KW: 3, PadH: 2, PadW: 2, DilH: 2, DilW: 2},
	{N: 2, C: 4, H: 7, W: 7, K: 4, KH: 5, KW: 5, PadH: 2, PadW: 2, Groups: 4},
	{N: 2, C: 4, H: 8, W: 8, K: 2, KH: 1, KW: 1, StrideH: 2, StrideW: 2},
	{N: 5, C: 4, H: 5, W: 3, K: 6, KH: 1, KW: 1},                                             // identity columns, batched chunks
	{N: 1, C: 4, H: 17, W: 17, K: 6, KH: 1, KW: 1},                                           // identity columns, one image per chunk
	{N: 7, C: 6, H: 5, W: 4, K: 4, KH: 2, KW: 3, StrideH: 1, StrideW: 2, PadH: 1, Groups: 2}, // rectangular, groups 2
	{N: 9, C: 2, H: 3, W: 3, K: 3, KH: 3, KW: 3, PadH: 1, PadW: 1},                           // tiny planes, many images per chunk
	{N: 3, C: 3, H: 11, W: 13, K: 5, KH: 3, KW: 2, StrideH: 3, StrideW: 2, PadH: 1, PadW: 1, DilH: 2, DilW: 1},
	{N: 4, C: 5, H: 30, W: 30, K: 7, KH: 3, KW: 3, PadH: 1, PadW: 1}, // large enough to run in parallel
	{N: 3, C: 2, H: 5, W: 6, K: 3, KH: 2, KW: 3, PadH: 1, PadW: 1},   // stride 1, OW == W but OH == H+1
	{N: 2, C: 3, H: 4, W: 1, K: 2, KH: 3, KW: 3, PadH: 1, PadW: 1},   // width 1: taps entirely in the padding
	{N: 2, C: 2, H: 6, W: 7, K: 2, KH: 1, KW: 5, PadW: 2},            // 1x5
	{N: 2, C: 2, H: 9, W: 9, K: 4, KH: 5, KW: 5, PadH: 4, PadW: 4, DilH: 2, DilW: 2, Groups: 2},
	// depthwise (direct kernels): strided, dilated, rectangular, tiny
	{N: 3, C: 5, H: 9, W: 8, K: 5, KH: 3, KW: 3, StrideH: 2, StrideW: 2, PadH: 1, PadW: 1, Groups: 5},
	{N: 2, C: 3, H: 9, W: 9, K: 3, KH: 3, KW: 3, PadH: 2, PadW: 2, DilH: 2, DilW: 2, Groups: 3},
	{N: 2, C: 3, H: 7, W: 6, K: 3, KH: 5, KW: 5, StrideH: 2, StrideW: 1, PadH: 4, PadW: 4, DilH: 2, DilW: 2, Groups: 3},
	{N: 2, C: 2, H: 5, W: 1, K: 2, KH: 3, KW: 2, StrideW: 3, PadH: 1, PadW: 1, Groups: 2},
	{N: 8, C: 16, H: 16, W: 16, K: 16, KH: 3, KW: 3, PadH: 1, PadW: 1, Groups: 16}, // parallel
	// few kernel rows, many output channels: transposed weight-gradient gemm
	{N: 5, C: 1, H: 9, W: 9, K: 20, KH: 3, KW: 3, PadH: 1, PadW: 1},
	{N: 3, C: 4, H: 6, W: 5, K: 12, KH: 3, KW: 3, PadH: 1, PadW: 1, Groups: 2},
	{N: 2, C: 3, H: 6, W: 6, K: 8, KH: 1, KW: 1},
	// dilated kernels wider than the input: whole taps read only padding
	// (dil_conv_5x5 on the 3x3 and 2x2 maps of a small search network)
	{N: 2, C: 3, H: 3, W: 3, K: 3, KH: 5, KW: 5, PadH: 4, PadW: 4, DilH: 2, DilW: 2, Groups: 3},
	{N: 2, C: 3, H: 2, W: 2, K: 3, KH: 5, KW: 5, StrideH: 2, StrideW: 2, PadH: 4, PadW: 4, DilH: 2, DilW: 2, Groups: 3},
	{N: 2, C: 2, H: 3, W: 2, K: 4, KH: 5, KW: 5, PadH: 4, PadW: 4, DilH: 2, DilW: 2},
	{N: 2, C: 2, H: 2, W: 3, K: 4, KH: 5, KW: 3, StrideH: 2, StrideW: 2, PadH: 4, PadW: 2, DilH: 2, DilW: 2},
	{N: 1, C: 2, H: 1, W: 1, K: 2, KH: 3, KW: 3, PadH: 2, PadW: 2, DilH: 2, DilW: 2},
	{N: 1, C: 2, H: 3, W: 3, K: 2, KH: 5, KW: 5, StrideH: 2, StrideW: 2, PadH: 4, PadW: 4, DilH: 2, DilW: 2},
	{N: 2, C: 3, H: 3, W: 3, K: 3, KH: 5, KW: 5, StrideH: 2, StrideW: 2, PadH: 4, PadW: 4, DilH: 2, DilW: 2, Groups: 3},
	// more output planes above smallPlane, for im2colPlane's row copies
	// (strided, dilated "same", stride 1 with OW != W)
	{N: 2, C: 3, H: 20, W: 19, K: 4, KH: 3, KW: 3, StrideH: 2, StrideW: 2, PadH: 1, PadW: 1},
	{N: 2, C: 2, H: 12, W: 12, K: 3, KH: 3, KW: 3, PadH: 2, PadW: 2, DilH: 2, DilW: 2},
	{N: 2, C: 2, H: 10, W: 11, K: 3, KH: 3, KW: 2, PadH: 1},
}

func maxRel(a []float64, b []float64) float64 {
	var m float64
	for i := range a {
		d := math.Abs(a[i]-b[i]) / (1 + math.Abs(b[i]))
		m = max(m, d)
	}
	return m
}

func TestConvKernelsMatchNaive(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	ws := NewWorkspace()
	for ci, g := range convCases {
		g.norm()
		x := randT[float64](rng, g.XShape()...)
		w := randT[float64](rng, g.WShape()...)
		gy := randT[float64](rng, g.YShape()...)
		y := Conv2d(x, w, g, ws)
		if e := maxRel(y.Data, naiveConv(x.Data, w.Data, g)); e > 1e-12 {
			t.Errorf("case %d %+v: forward err %g", ci, g, e)
		}
		dxN, dwN := naiveConvAdj(x.Data, w.Data, gy.Data, g)
		dx := Conv2dTranspose(gy, w, g, ws)
		if e := maxRel(dx.Data, dxN); e > 1e-12 {
			t.Errorf("case %d: convT err %g", ci, e)
		}
		dw := Conv2dWeightGrad(x, gy, g, nil)
		if e := maxRel(dw.Data, dwN); e > 1e-12 {
			t.Errorf("case %d: convW err %g", ci, e)
		}
		// float32 path
		x32, w32, gy32 := Convert[float32](x), Convert[float32](w), Convert[float32](gy)
		y32 := Conv2d(x32, w32, g, ws)
		dx32 := Conv2dTranspose(gy32, w32, g, ws)
		dw32 := Conv2dWeightGrad(x32, gy32, g, ws)
		for _, p := range []struct {
			a *Tensor[float32]
			b []float64
		}{{y32, y.Data}, {dx32, dxN}, {dw32, dwN}} {
			if e := maxRel(Convert[float64](p.a).Data, p.b); e > 1e-4 {
				t.Errorf("case %d: float32 err %g", ci, e)
			}
		}
	}
}

func TestConvDeterministicAcrossGOMAXPROCS(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, g := range []ConvGeom{
		{N: 9, C: 8, H: 14, W: 14, K: 16, KH: 3, KW: 3, PadH: 1, PadW: 1},
		{N: 9, C: 16, H: 14, W: 14, K: 16, KH: 5, KW: 5, PadH: 2, PadW: 2, Groups: 16},
	} {
		g.norm()
		x := randT[float32](rng, g.XShape()...)
		w := randT[float32](rng, g.WShape()...)
		gy := randT[float32](rng, g.YShape()...)
		run := func(procs int) [3][]float32 {
			old := runtime.GOMAXPROCS(procs)
			defer runtime.GOMAXPROCS(old)
			return [3][]float32{Conv2d(x, w, g, nil).Data, Conv2dTranspose(gy, w, g, nil).Data, Conv2dWeightGrad(x, gy, g, nil).Data}
		}
		a, b := run(1), run(2)
		for k := range a {
			for i := range a[k] {
				if math.Float32bits(a[k][i]) != math.Float32bits(b[k][i]) {
					t.Fatalf("%+v: output %d differs at %d between GOMAXPROCS 1 and 2", g, k, i)
				}
			}
		}
	}
}

func TestConvGeomErrors(t *testing.T) {
	for _, c := range []struct{ x, w []int }{
		{[]int{1, 3, 5, 5}, []int{4, 2, 3, 3}},
		{[]int{1, 3, 2, 2}, []int{4, 3, 3, 3}},
		{[]int{3, 5, 5}, []int{4, 3, 3, 3}},
	} {
		if _, err := ConvGeomFor(c.x, c.w, 1, 1, 0, 0, 1, 1, 1); err == nil {
			t.Errorf("%v %v: want error", c.x, c.w)
		}
	}
	if _, err := ConvGeomFor([]int{1, 4, 5, 5}, []int{6, 2, 3, 3}, 1, 1, 0, 0, 1, 1, 3); err == nil {
		t.Error("groups not dividing channels: want error")
	}
}

func TestWorkspaceReuse(t *testing.T) {
	ws := NewWorkspace()
	a := wsGet[float32](ws, 100)
	wsPut(ws, a)
	b := wsGet[float32](ws, 50)
	if &a[0] != &b[0] {
		t.Error("workspace did not reuse the buffer")
	}
	c := wsGet[float64](ws, 10)
	if len(c) != 10 {
		t.Error("bad length")
	}
	type myf float32
	d := wsGet[myf](ws, 10)
	wsPut(ws, d)
	_ = fmt.Sprint(d)
}

// TestKeptColumns: Conv2dKeepCols gives Conv2d's output, and the weight
// gradient from the kept columns is Conv2dWeightGrad's, bit for bit, over
// geometries with several chunks, a short last chunk, stride, dilation and
// padding; convolutions without columns to keep return nil.
func TestKeptColumns(t *testing.T) {
	rng := rand.New(rand.NewPCG(21, 22))
	fill := func(shape ...int) *Tensor[float32] {
		x := New[float32](shape...)
		for i := range x.Data {
			x.Data[i] = float32(rng.NormFloat64())
		}
		return x
	}
	for _, c := range []struct{ n, ch, h, k, kh, s, p, d int }{
		{25, 3, 14, 8, 3, 1, 1, 1}, {7, 2, 9, 4, 3, 2, 1, 1}, {10, 3, 11, 5, 3, 1, 2, 2}, {3, 4, 6, 6, 2, 1, 0, 1},
	} {
		x, w := fill(c.n, c.ch, c.h, c.h), fill(c.k, c.ch, c.kh, c.kh)
		g, err := ConvGeomFor(x.Shape, w.Shape, c.s, c.s, c.p, c.p, c.d, c.d, 1)
		if err != nil {
			t.Fatal(err)
		}
		ws := NewWorkspace()
		scope := ws.Begin()
		y1 := Conv2d(x, w, g, ws)
		y2, cols := Conv2dKeepCols(x, w, g, ws)
		if len(cols) != g.ColsLen() || len(cols) == 0 {
			t.Fatalf("%+v: %d columns kept, want %d", c, len(cols), g.ColsLen())
		}
		gy := fill(y1.Shape...)
		d1 := Conv2dWeightGrad(x, gy, g, ws)
		d2 := Conv2dWeightGradCols(x, gy, g, ws, cols)
		for i := range y1.Data {
			if y1.Data[i] != y2.Data[i] {
				t.Fatalf("%+v: y[%d] %v vs %v", c, i, y1.Data[i], y2.Data[i])
			}
		}
		for i := range d1.Data {
			if d1.Data[i] != d2.Data[i] {
				t.Fatalf("%+v: dw[%d] %v vs %v", c, i, d1.Data[i], d2.Data[i])
			}
		}
		scope.End()
	}
	g1, _ := ConvGeomFor([]int{2, 3, 5, 5}, []int{4, 3, 1, 1}, 1, 1, 0, 0, 1, 1, 1)
	if g1.ColsLen() != 0 {
		t.Fatal("a 1x1 identity convolution keeps columns")
	}
	if _, cols := Conv2dKeepCols(fill(2, 3, 5, 5), fill(4, 3, 1, 1), g1, nil); cols != nil {
		t.Fatal("columns kept for a 1x1 convolution")
	}
}

// TestConvBias: Conv2dBias (and Conv2dBiasKeepCols) equal Conv2d followed
// by adding bias[k] to channel k, bit for bit, on the one-image-per-chunk
// path (large planes), the batched-chunk path (small planes), grouped and
// depthwise convolutions, in both precisions.
func TestConvBias(t *testing.T) {
	testConvBias[float32](t)
	testConvBias[float64](t)
}

func testConvBias[T Float](t *testing.T) {
	rng := rand.New(rand.NewPCG(31, 32))
	fill := func(shape ...int) *Tensor[T] {
		x := New[T](shape...)
		for i := range x.Data {
			x.Data[i] = T(rng.NormFloat64())
		}
		return x
	}
	for _, c := range []struct{ n, ch, h, k, kh, s, p, groups int }{
		{5, 1, 28, 8, 3, 1, 1, 1}, {25, 4, 7, 6, 3, 1, 1, 1}, {6, 4, 9, 8, 3, 2, 1, 2}, {4, 6, 8, 6, 3, 1, 1, 6}, {3, 4, 5, 6, 1, 1, 0, 1},
	} {
		x, w, b := fill(c.n, c.ch, c.h, c.h), fill(c.k, c.ch/c.groups, c.kh, c.kh), fill(c.k)
		g, err := ConvGeomFor(x.Shape, w.Shape, c.s, c.s, c.p, c.p, 1, 1, c.groups)
		if err != nil {
			t.Fatal(err)
		}
		want := Conv2d(x, w, g, nil)
		p := g.OutH() * g.OutW()
		for i := range want.Data {
			want.Data[i] += b.Data[(i/p)%c.k]
		}
		ws := NewWorkspace()
		scope := ws.Begin()
		y1 := Conv2dBias(x, w, b.Data, g, ws)
		y2, _ := Conv2dBiasKeepCols(x, w, b.Data, g, ws)
		for i := range want.Data {
			if y1.Data[i] != want.Data[i] || y2.Data[i] != want.Data[i] {
				t.Fatalf("%+v: y[%d] %v, %v, want %v", c, i, y1.Data[i], y2.Data[i], want.Data[i])
			}
		}
		scope.End()
	}
}

// TestWeightGradTransposedPartialsExact: where the weight gradient runs its
// products transposed (the SIMD path, rows > Kg) and sums the chunks'
// partials before transposing once, dw is bit for bit the plain
// orientation's: every chunk's Kg x rows product gy_g im2col^T, summed in
// chunk order.
func TestWeightGradTransposedPartialsExact(t *testing.T) {
	if !gemm.TransposeExact() {
		t.Skip("products are not exact under transposition on this path")
	}
	rng := rand.New(rand.NewPCG(5, 6))
	for _, g := range []ConvGeom{
		{N: 9, C: 64, H: 14, W: 14, K: 64, KH: 3, KW: 3, PadH: 1, PadW: 1},           // Conv-4's second layer, 3 chunks
		{N: 10, C: 32, H: 7, W: 7, K: 16, KH: 3, KW: 3, PadH: 1, PadW: 1, Groups: 2}, // grouped
	} {
		g.norm()
		per, nChunks := g.chunking()
		cg, kg := g.C/g.Groups, g.K/g.Groups
		rows, p := cg*g.KH*g.KW, g.OutH()*g.OutW()
		if rows <= kg || nChunks < 2 {
			t.Fatalf("%+v: not a transposed multi-chunk case", g)
		}
		x := randT[float32](rng, g.XShape()...)
		gy := randT[float32](rng, g.YShape()...)
		want := make([]float32, Numel(g.WShape()))
		part := make([]float32, len(want))
		for c := 0; c < nChunks; c++ {
			n0 := c * per
			nb := min(per, g.N-n0)
			ld := nb * p
			col, gyc := make([]float32, rows*ld), make([]float32, kg*ld)
			for grp := 0; grp < g.Groups; grp++ {
				im2col(col, x.Data, &g, n0, nb, grp)
				gatherGy(gyc, gy.Data, &g, n0, nb, grp, p)
				gemm.F32(false, true, kg, rows, ld, 1, gyc, ld, col, ld, 0, part[grp*kg*rows:], rows)
			}
			if c == 0 {
				copy(want, part)
			} else {
				addTo(want, part)
			}
		}
		got := Conv2dWeightGrad(x, gy, g, NewWorkspace())
		for i := range want {
			if math.Float32bits(got.Data[i]) != math.Float32bits(want[i]) {
				t.Fatalf("%+v: dw[%d] = %v, want %v", g, i, got.Data[i], want[i])
			}
		}
	}
}
