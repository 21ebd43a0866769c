package search

import (
	"math/rand/v2"

	ad "github.com/metabench/metabench/autodiff"
	"github.com/metabench/metabench/tensor"
)

// bnEps is the batch-norm epsilon of every BN (PyTorch default).
const bnEps = 1e-5

// fwd carries what a forward pass needs: the parameter variables (by layout
// position) and the drop-path state of a training pass.
type fwd[T tensor.Float] struct {
	tp   *ad.Tape[T]
	p    []*ad.Var[T]
	drop float64    // drop-path probability (0 = off)
	rng  *rand.Rand // drop-path masks; nil when drop == 0
	work *tensor.Workspace
	// relu caches ReLU(x) per input within one pass: every conv op and
	// FactorizedReduce on an edge starts with ReLU of the same node.
	relu map[*ad.Var[T]]*ad.Var[T]
}

func (f *fwd[T]) reluOf(x *ad.Var[T]) *ad.Var[T] {
	if r, ok := f.relu[x]; ok {
		return r
	}
	if f.relu == nil {
		f.relu = map[*ad.Var[T]]*ad.Var[T]{}
	}
	r := ad.ReLU(x)
	f.relu[x] = r
	return r
}

func (f *fwd[T]) conv(c conv, x *ad.Var[T]) *ad.Var[T] {
	return ad.Conv2d(x, f.p[c.w], nil, ad.Conv2dOpts{
		StrideH: c.sh, StrideW: c.sw, PadH: c.ph, PadW: c.pw,
		DilH: c.dil, DilW: c.dil, Groups: c.groups, Work: f.work})
}

func (f *fwd[T]) bn(b bn, x *ad.Var[T]) *ad.Var[T] {
	if b.gamma < 0 {
		return ad.BatchNorm(x, nil, nil, bnEps)
	}
	return ad.BatchNorm(x, f.p[b.gamma], f.p[b.beta], bnEps)
}

func (f *fwd[T]) seq(s seq, x *ad.Var[T]) *ad.Var[T] {
	for i, l := range s {
		switch l.kind {
		case lReLU:
			if i == 0 {
				x = f.reluOf(x)
			} else {
				x = ad.ReLU(x)
			}
		case lConv:
			x = f.conv(l.conv, x)
		case lBN:
			x = f.bn(l.bn, x)
		case lMaxPool:
			x = maxPool(x, l.k, l.stride, l.pad)
		case lAvgPool:
			x = avgPool(x, l.k, l.stride, l.pad)
		}
	}
	return x
}

// factRed is FactorizedReduce with SPEC's fix for odd sizes: the shifted
// branch x[:, :, 1:, 1:] is zero-padded by one row and column at the bottom
// and right so both branches give ceil(H/2) x ceil(W/2).
func (f *fwd[T]) factRed(fr *factRed, x *ad.Var[T]) *ad.Var[T] {
	r := f.reluOf(x)
	a := f.conv(fr.c1, r)
	s := ad.Slice(ad.Slice(r, 2, 1, r.Shape()[2], 1), 3, 1, r.Shape()[3], 1)
	s = ad.Pad(s, [][2]int{{0, 0}, {0, 0}, {0, 1}, {0, 1}})
	b := f.conv(fr.c2, s)
	return f.bn(fr.bn, ad.Concat(1, a, b))
}

func (f *fwd[T]) pre(p preprocess, x *ad.Var[T]) *ad.Var[T] {
	if p.fr != nil {
		return f.factRed(p.fr, x)
	}
	return f.seq(p.seq, x)
}

// op applies one candidate operation.
func (f *fwd[T]) op(o op, x *ad.Var[T]) *ad.Var[T] {
	switch o.kind {
	case opNone:
		sh := x.Shape()
		return ad.Zeros(f.tp, sh[0], sh[1], ceilDiv(sh[2], o.stride), ceilDiv(sh[3], o.stride))
	case opIdentity:
		return x
	case opFactRed:
		return f.factRed(o.fr, x)
	}
	return f.seq(o.seq, x)
}

// dropPath multiplies each sample by Bernoulli(keep)/keep.
func (f *fwd[T]) dropPath(x *ad.Var[T]) *ad.Var[T] {
	if f.drop <= 0 || f.rng == nil {
		return x
	}
	keep := 1 - f.drop
	n := x.Shape()[0]
	m := tensor.New[T](n, 1, 1, 1)
	for i := range m.Data {
		if f.rng.Float64() < keep {
			m.Data[i] = T(1 / keep)
		}
	}
	return ad.Mul(x, f.tp.Const(m))
}

func ceilDiv(a, b int) int { return (a + b - 1) / b }

// globalPoolLinear is global average pooling followed by x @ w + b.
func (f *fwd[T]) globalPoolLinear(x *ad.Var[T], w, b int) *ad.Var[T] {
	return ad.Linear(ad.Mean(x, []int{2, 3}, false), f.p[w], f.p[b])
}

// cell runs a discrete cell.
func (f *fwd[T]) finalCell(c *finalCell, s0, s1 *ad.Var[T]) *ad.Var[T] {
	states := []*ad.Var[T]{f.pre(c.pre0, s0), f.pre(c.pre1, s1)}
	for i := 0; i < len(c.ops)/2; i++ {
		var h *ad.Var[T]
		for k := 2 * i; k < 2*i+2; k++ {
			o := c.ops[k]
			y := f.op(o, states[c.inputs[k]])
			if o.kind != opIdentity {
				y = f.dropPath(y)
			}
			if h == nil {
				h = y
			} else {
				h = ad.Add(h, y)
			}
		}
		states = append(states, h)
	}
	outs := make([]*ad.Var[T], len(c.concat))
	for i, k := range c.concat {
		outs[i] = states[k]
	}
	return ad.Concat(1, outs...)
}
