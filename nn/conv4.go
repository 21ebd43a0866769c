package nn

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/metabench/metabench/autodiff"
	"github.com/metabench/metabench/tensor"
)

// Init names a parameter initialisation scheme.
type Init int

const (
	// InitPyTorch is PyTorch's default: U(-1/√fan_in, 1/√fan_in) for weights
	// and biases.
	InitPyTorch Init = iota
	// InitXavier is Glorot-uniform weights and zero biases (original MAML).
	InitXavier
)

// BNEps is the batch-norm epsilon of Conv-4.
const BNEps = 1e-5

// Conv4 is the MAML Conv-4 network (see the package documentation).
type Conv4[T tensor.Float] struct {
	InChannels int // 1 for Omniglot, 3 for mini-ImageNet
	Size       int // input height = width (28, 84)
	Filters    int // 64 (Omniglot) or 32 (mini-ImageNet)
	Ways       int // output classes
	InitScheme Init
}

// NewConv4 returns Conv-4 for inChannels x size x size inputs and ways
// outputs. It panics on sizes that do not survive four 2x2 poolings.
func NewConv4[T tensor.Float](inChannels, size, filters, ways int) *Conv4[T] {
	m := &Conv4[T]{InChannels: inChannels, Size: size, Filters: filters, Ways: ways}
	if inChannels < 1 || filters < 1 || ways < 1 || m.FeatureSide() < 1 {
		panic(fmt.Sprintf("nn: NewConv4(%d, %d, %d, %d): sizes too small", inChannels, size, filters, ways))
	}
	return m
}

// FeatureSide is the side of the feature map after the four blocks.
func (m *Conv4[T]) FeatureSide() int { return m.Size / 16 }

// Features is the input width of the linear classifier.
func (m *Conv4[T]) Features() int { s := m.FeatureSide(); return m.Filters * s * s }

// Name is "conv4-F".
func (m *Conv4[T]) Name() string { return fmt.Sprintf("conv4-%d", m.Filters) }

// ParamNames lists the parameters in order.
func (m *Conv4[T]) ParamNames() []string {
	var n []string
	for b := 1; b <= 4; b++ {
		n = append(n, fmt.Sprintf("conv%d.w", b), fmt.Sprintf("conv%d.b", b), fmt.Sprintf("bn%d.gamma", b), fmt.Sprintf("bn%d.beta", b))
	}
	return append(n, "fc.w", "fc.b")
}

// ParamShapes lists the parameter shapes in order.
func (m *Conv4[T]) ParamShapes() [][]int {
	var s [][]int
	cin := m.InChannels
	for b := 1; b <= 4; b++ {
		f := m.Filters
		s = append(s, []int{f, cin, 3, 3}, []int{f}, []int{f}, []int{f})
		cin = f
	}
	return append(s, []int{m.Features(), m.Ways}, []int{m.Ways})
}

// MACs is the multiply-accumulates of one forward pass of one image
// (nn.Costed): block b = 1..4 convolves c_{b-1}·3·3 inputs into each of F
// outputs at every pixel of its s_b x s_b input (padding 1 keeps the side,
// the pool then halves it), and the head multiplies Features() inputs into
// each of Ways outputs:
//
//	MACs = Σ_b s_b² · F · c_{b-1} · 9 + F·s_5²·Ways,
//	s_1 = Size, s_{b+1} = ⌊s_b/2⌋, c_0 = InChannels, c_b = F.
//
// Biases, batch norm, ReLU and pooling are not counted.
func (m *Conv4[T]) MACs() int {
	macs, side, cin := 0, m.Size, m.InChannels
	for b := 0; b < 4; b++ {
		macs += side * side * m.Filters * cin * 9
		side, cin = side/2, m.Filters
	}
	return macs + m.Features()*m.Ways
}

// HeadParams are fc.w and fc.b, the last two parameters (nn.Headed).
func (m *Conv4[T]) HeadParams() []int {
	n := len(m.ParamShapes())
	return []int{n - 2, n - 1}
}

// ParamCount is the number of scalar parameters.
func (m *Conv4[T]) ParamCount() int { return countShapes(m.ParamShapes()) }

// Init draws parameters from rng (see the package documentation).
func (m *Conv4[T]) Init(rng *rand.Rand) Params[T] {
	names, shapes := m.ParamNames(), m.ParamShapes()
	p := Params[T]{Names: names, Tensors: make([]*tensor.Tensor[T], len(shapes))}
	uniform := func(t *tensor.Tensor[T], bound float64) {
		for i := range t.Data {
			t.Data[i] = T((2*rng.Float64() - 1) * bound)
		}
	}
	for i, s := range shapes {
		t := tensor.New[T](s...)
		p.Tensors[i] = t
		name := names[i]
		switch {
		case len(name) > 6 && name[len(name)-6:] == ".gamma":
			for j := range t.Data {
				t.Data[j] = 1
			}
		case len(name) > 5 && name[len(name)-5:] == ".beta":
		case name[len(name)-2:] == ".w":
			fanIn, fanOut := fans(s)
			if m.InitScheme == InitXavier {
				uniform(t, math.Sqrt(6/float64(fanIn+fanOut)))
			} else {
				uniform(t, 1/math.Sqrt(float64(fanIn)))
			}
		case name[len(name)-2:] == ".b":
			if m.InitScheme == InitPyTorch {
				fanIn, _ := fans(shapes[i-1])
				uniform(t, 1/math.Sqrt(float64(fanIn)))
			}
		}
	}
	return p
}

// fans returns (fan_in, fan_out) of a conv [K, C, kh, kw] or linear [in, out]
// weight.
func fans(s []int) (int, int) {
	if len(s) == 2 {
		return s[0], s[1]
	}
	rf := s[2] * s[3]
	return s[1] * rf, s[0] * rf
}

// Forward returns the logits [N, Ways] of x [N, InChannels, Size, Size]:
// the linear head on Embed's features.
func (m *Conv4[T]) Forward(tp *autodiff.Tape[T], p []*autodiff.Var[T], x *autodiff.Var[T]) *autodiff.Var[T] {
	return autodiff.Linear(m.Embed(tp, p, x), p[16], p[17])
}

// Embed returns the flattened output [N, Features()] of the four blocks
// (nn.Embedder): the features the head classifies, and the embedding of
// Prototypical Networks. It reads p[0:16]; p holds all 18 parameters.
func (m *Conv4[T]) Embed(tp *autodiff.Tape[T], p []*autodiff.Var[T], x *autodiff.Var[T]) *autodiff.Var[T] {
	if len(p) != 18 {
		panic(fmt.Sprintf("nn: Conv4: %d parameters, want 18", len(p)))
	}
	s := x.Shape()
	if len(s) != 4 || s[1] != m.InChannels || s[2] != m.Size || s[3] != m.Size {
		panic(fmt.Sprintf("nn: Conv4: input %v, want [N %d %d %d]", s, m.InChannels, m.Size, m.Size))
	}
	h := x
	for b := 0; b < 4; b++ {
		w, bias, gamma, beta := p[4*b], p[4*b+1], p[4*b+2], p[4*b+3]
		h = autodiff.Conv2d(h, w, bias, autodiff.Conv2dOpts{PadH: 1, PadW: 1})
		z := autodiff.BatchNorm(h, gamma, beta, BNEps)
		h = autodiff.ReLUMaxPool2d(z, 2, 2, 0) // = MaxPool2d(ReLU(z), 2, 2, 0), fused
		// z is dead: the affine batch norm's backward reads its input, not
		// its output, and the pool's keeps only indices.
		autodiff.Discard(z)
	}
	return autodiff.Reshape(h, s[0], m.Features())
}
