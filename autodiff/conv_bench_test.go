package autodiff

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/metabench/metabench/tensor"
)

func benchRand32(rng *rand.Rand, scale float64, shape ...int) *tensor.Tensor[float32] {
	t := tensor.New[float32](shape...)
	for i := range t.Data {
		t.Data[i] = float32((rng.Float64()*2 - 1) * scale)
	}
	return t
}

// conv4Bench is a Conv-4 Omniglot net (4 x [conv3x3 pad 1 + bias, BN,
// ReLU, maxpool 2], 64 filters, then a 5-way linear head) on a batch of
// 28x28 images, in float32.
type conv4Bench struct {
	x      *tensor.Tensor[float32]
	labels []int
	params []*tensor.Tensor[float32]
	ws     *tensor.Workspace
}

func newConv4Bench(batch int) *conv4Bench {
	rng := rand.New(rand.NewPCG(1, 2))
	b := &conv4Bench{x: benchRand32(rng, 1, batch, 1, 28, 28), ws: tensor.NewWorkspace()}
	cin := 1
	for l := 0; l < 4; l++ {
		b.params = append(b.params, benchRand32(rng, 0.2, 64, cin, 3, 3), benchRand32(rng, 0.1, 64),
			tensor.Full[float32](1, 64), tensor.New[float32](64))
		cin = 64
	}
	b.params = append(b.params, benchRand32(rng, 0.1, 64, 5), tensor.New[float32](5))
	for i := 0; i < batch; i++ {
		b.labels = append(b.labels, i%5)
	}
	return b
}

func (b *conv4Bench) loss(tp *Tape[float32], ps []*Var[float32]) *Var[float32] {
	h := tp.Const(b.x)
	for l := 0; l < 4; l++ {
		h = Conv2d(h, ps[4*l], ps[4*l+1], Conv2dOpts{PadH: 1, PadW: 1, Work: b.ws})
		h = BatchNorm(h, ps[4*l+2], ps[4*l+3], 1e-5)
		h = ReLU(h)
		h = MaxPool2d(h, 2, 2, 0)
	}
	return CrossEntropy(Linear(Flatten(h), ps[16], ps[17]), b.labels)
}

func BenchmarkConv4Net(b *testing.B) {
	for _, batch := range []int{25, 80} {
		nb := newConv4Bench(batch)
		b.Run(fmt.Sprintf("fwd_bwd/batch%d", batch), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				tp := NewTape[float32]()
				ps := make([]*Var[float32], len(nb.params))
				for i, p := range nb.params {
					ps[i] = tp.Param(p)
				}
				if _, err := Grad(nb.loss(tp, ps), ps, false); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	nb := newConv4Bench(25)
	// one MAML-style second-order step: gradient with createGraph, an SGD
	// step, the loss at the new point and its gradient w.r.t. the start.
	b.Run("second_order_step/batch25", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			tp := NewTape[float32]()
			ps := make([]*Var[float32], len(nb.params))
			for i, p := range nb.params {
				ps[i] = tp.Param(p)
			}
			g, err := Grad(nb.loss(tp, ps), ps, true)
			if err != nil {
				b.Fatal(err)
			}
			ps2 := make([]*Var[float32], len(ps))
			for i := range ps {
				ps2[i] = Sub(ps[i], Scale(g[i], 0.4))
			}
			if _, err := Grad(nb.loss(tp, ps2), ps, false); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// Per-op costs on the first Conv-4 block's activation (batch 25, 64x28x28).
func BenchmarkConv4BlockOps(b *testing.B) {
	rng := rand.New(rand.NewPCG(3, 4))
	xt := benchRand32(rng, 1, 25, 64, 28, 28)
	gt := benchRand32(rng, 1, 64)
	bt := benchRand32(rng, 1, 64)
	gyBN := benchRand32(rng, 1, 25, 64, 28, 28)
	gyPool := benchRand32(rng, 1, 25, 64, 14, 14)
	run := func(name string, f func(tp *Tape[float32], x, g, bb *Var[float32]) (*Var[float32], *tensor.Tensor[float32])) {
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				tp := NewTape[float32]()
				x, g, bb := tp.Param(xt), tp.Param(gt), tp.Param(bt)
				y, gy := f(tp, x, g, bb)
				if gy != nil {
					if _, err := GradWith(y, tp.Const(gy), []*Var[float32]{x, g, bb}, false); err != nil {
						b.Fatal(err)
					}
				}
			}
		})
	}
	run("bn_fwd", func(tp *Tape[float32], x, g, bb *Var[float32]) (*Var[float32], *tensor.Tensor[float32]) {
		return BatchNorm(x, g, bb, 1e-5), nil
	})
	run("bn_fwd_bwd", func(tp *Tape[float32], x, g, bb *Var[float32]) (*Var[float32], *tensor.Tensor[float32]) {
		return BatchNorm(x, g, bb, 1e-5), gyBN
	})
	run("maxpool_fwd", func(tp *Tape[float32], x, g, bb *Var[float32]) (*Var[float32], *tensor.Tensor[float32]) {
		return MaxPool2d(x, 2, 2, 0), nil
	})
	run("maxpool_fwd_bwd", func(tp *Tape[float32], x, g, bb *Var[float32]) (*Var[float32], *tensor.Tensor[float32]) {
		return MaxPool2d(x, 2, 2, 0), gyPool
	})
	run("relu_fwd_bwd", func(tp *Tape[float32], x, g, bb *Var[float32]) (*Var[float32], *tensor.Tensor[float32]) {
		return ReLU(x), gyBN
	})
}
