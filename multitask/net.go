package multitask

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"

	ad "github.com/metabench/metabench/autodiff"
	"github.com/metabench/metabench/search"
	"github.com/metabench/metabench/search/genotype"
	"github.com/metabench/metabench/tensor"
)

// HeadConfig is the featurisation head of one image size: a stack of
// stride-2 3x3 convolutions reaching 1/Stride of the input side.
type HeadConfig struct {
	Size   int `json:"size" yaml:"size"`     // image side (32, 64, 224)
	Stride int `json:"stride" yaml:"stride"` // 2, 4 or 8
}

// NetConfig sizes the multi-task meta-network (SPEC 1.6.1): one head per
// image size, then a shared stack of search cells and a shared classifier.
type NetConfig struct {
	Cells      int          `json:"cells" yaml:"cells"`
	Channels   int          `json:"channels" yaml:"channels"` // C: heads output 3C channels
	Classes    int          `json:"classes" yaml:"classes"`   // 10-way tasks
	Reductions []int        `json:"reductions" yaml:"reductions,flow"`
	Ops        []string     `json:"ops,omitempty" yaml:"ops,omitempty,flow"`
	Heads      []HeadConfig `json:"heads" yaml:"heads"`
}

// DefaultNetConfig is SPEC 1.6.1 at paper scale: heads for 32, 64 (stride 2)
// and 224 (stride 8), 8 cells, C = 16, reductions at 2 and 5, 10 classes.
func DefaultNetConfig() NetConfig {
	return NetConfig{Cells: 8, Channels: 16, Classes: 10, Reductions: []int{2, 5},
		Heads: []HeadConfig{{32, 2}, {64, 2}, {224, 8}}}
}

// Validate checks the configuration.
func (c NetConfig) Validate() error {
	if len(c.Heads) == 0 {
		return fmt.Errorf("network: no heads")
	}
	seen := map[int]bool{}
	for _, h := range c.Heads {
		if h.Size < 1 {
			return fmt.Errorf("network: head size %d", h.Size)
		}
		if seen[h.Size] {
			return fmt.Errorf("network: two heads for image size %d", h.Size)
		}
		seen[h.Size] = true
		if h.Stride != 2 && h.Stride != 4 && h.Stride != 8 {
			return fmt.Errorf("network: head %d: stride %d, want 2, 4 or 8", h.Size, h.Stride)
		}
	}
	if c.Channels < 2 || c.Channels%2 != 0 {
		return fmt.Errorf("network: channels %d, want an even number of at least 2", c.Channels)
	}
	return nil
}

// preConv is one stride-2 3x3 convolution of a head before the search
// network's own stem, followed by BN (affine=false) and ReLU.
type preConv struct {
	theta          int // position of the weight in Θ
	cin, cout, pad int
}

// head is one image size's featurisation: pre-convolutions (stride 4 and 8
// heads) followed by the stem of its search network (3x3 conv stride 2 + BN).
type head struct {
	cfg   HeadConfig
	net   *search.SearchNet
	pre   []preConv
	own   []int // positions in Θ of every tensor of this head
	psi   []int // layout position of net -> position in Θ
	inCh  int   // channels entering the search network's stem
	specs []search.ParamSpec
}

// Net is the multi-task meta-network. Θ is a flat list of tensors:
//
//	Θ = [shared cell and classifier weights..., α_normal, α_reduce, head_0..., head_1..., ...]
//
// Every head is a search.SearchNet stem (3x3 conv stride 2 + BN) preceded by
// 0, 1 or 2 stride-2 conv-BN-ReLU blocks (strides 2, 4, 8); all heads output
// 3C channels, and the cells start from s0 = s1 = head output (SPEC A12).
// Search networks with the same stem input channels are shared between
// heads; the weights they do not own come from the shared part of Θ by name.
type Net struct {
	cfg     NetConfig
	heads   []head
	shared  []search.ParamSpec
	nShared int
	alpha   [2]int
	total   int
	numOps  int
}

// NewNet declares the meta-network.
func NewNet(cfg NetConfig) (*Net, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if len(cfg.Ops) == 0 {
		cfg.Ops = genotype.OpNames()
	}
	if cfg.Classes == 0 {
		cfg.Classes = 10
	}
	C := cfg.Channels
	nets := map[int]*search.SearchNet{}
	netFor := func(inCh int) (*search.SearchNet, error) {
		if n, ok := nets[inCh]; ok {
			return n, nil
		}
		n, err := search.NewSearchNet(search.SearchNetConfig{Cells: cfg.Cells, Channels: C, Classes: cfg.Classes,
			InChannels: inCh, StemStride: 2, Reductions: cfg.Reductions, Ops: cfg.Ops})
		if err != nil {
			return nil, err
		}
		nets[inCh] = n
		return n, nil
	}
	m := &Net{cfg: cfg, numOps: len(cfg.Ops)}
	for _, hc := range cfg.Heads {
		h := head{cfg: hc}
		cin := 3
		switch hc.Stride {
		case 4:
			h.pre = []preConv{{cin: 3, cout: 3 * C / 2}}
			cin = 3 * C / 2
		case 8:
			h.pre = []preConv{{cin: 3, cout: 3 * C / 2}, {cin: 3 * C / 2, cout: 3 * C}}
			cin = 3 * C
		}
		n, err := netFor(cin)
		if err != nil {
			return nil, err
		}
		h.net, h.inCh = n, cin
		m.heads = append(m.heads, h)
	}
	// The shared part: every non-stem parameter of the first head's network;
	// the others must declare the same names and shapes.
	first := m.heads[0].net.Layout()
	sharedAt := map[string]int{}
	for _, s := range first.Specs {
		if isStem(s.Name) {
			continue
		}
		sharedAt[s.Name] = len(m.shared)
		m.shared = append(m.shared, s)
	}
	m.nShared = len(m.shared)
	m.alpha = [2]int{m.nShared, m.nShared + 1}
	pos := m.nShared + 2
	for hi := range m.heads {
		h := &m.heads[hi]
		for k := range h.pre {
			h.pre[k].theta = pos
			h.pre[k].pad = 1
			h.own = append(h.own, pos)
			h.specs = append(h.specs, search.ParamSpec{Name: fmt.Sprintf("head%d.pre%d.w", h.cfg.Size, k),
				Shape: []int{h.pre[k].cout, h.pre[k].cin, 3, 3}, Init: search.InitUniformFanIn, FanIn: h.pre[k].cin * 9})
			pos++
		}
		l := h.net.Layout()
		h.psi = make([]int, len(l.Specs))
		for i, s := range l.Specs {
			if isStem(s.Name) {
				h.psi[i] = pos
				h.own = append(h.own, pos)
				sp := s
				sp.Name = fmt.Sprintf("head%d.%s", h.cfg.Size, s.Name)
				h.specs = append(h.specs, sp)
				pos++
				continue
			}
			j, ok := sharedAt[s.Name]
			if !ok || !tensor.SameShape(m.shared[j].Shape, s.Shape) {
				return nil, fmt.Errorf("network: head %d: parameter %s is not shared", h.cfg.Size, s.Name)
			}
			h.psi[i] = j
		}
	}
	m.total = pos
	return m, nil
}

func isStem(name string) bool { return strings.HasPrefix(name, "stem.") }

// Config is the network's configuration (defaults filled in).
func (m *Net) Config() NetConfig { return m.cfg }

// NumTensors is the length of Θ.
func (m *Net) NumTensors() int { return m.total }

// NumOps is J, the number of candidate operations per edge.
func (m *Net) NumOps() int { return m.numOps }

// Ops are the α columns.
func (m *Net) Ops() []string { return m.cfg.Ops }

// SharedTensors is the number of shared weight tensors (Θ[:SharedTensors()]).
func (m *Net) SharedTensors() int { return m.nShared }

// AlphaIndex is the position of α_normal and α_reduce in Θ.
func (m *Net) AlphaIndex() [2]int { return m.alpha }

// Heads lists the head configurations in Θ order.
func (m *Net) Heads() []HeadConfig {
	out := make([]HeadConfig, len(m.heads))
	for i, h := range m.heads {
		out[i] = h.cfg
	}
	return out
}

// HeadFor is the index of the head for images of side size.
func (m *Net) HeadFor(size int) (int, error) {
	for i, h := range m.heads {
		if h.cfg.Size == size {
			return i, nil
		}
	}
	sizes := make([]int, len(m.heads))
	for i, h := range m.heads {
		sizes[i] = h.cfg.Size
	}
	return -1, fmt.Errorf("the meta-network has no head for %dx%d images (heads: %v)", size, size, sizes)
}

// HeadTensors lists the positions in Θ of head h's tensors.
func (m *Net) HeadTensors(h int) []int { return slices.Clone(m.heads[h].own) }

// TaskTensors lists the positions in Θ that a task on head h reads and
// adapts: the shared weights, α_normal, α_reduce and the head's tensors.
func (m *Net) TaskTensors(h int) []int {
	out := make([]int, 0, m.nShared+2+len(m.heads[h].own))
	for i := 0; i < m.nShared+2; i++ {
		out = append(out, i)
	}
	return append(out, m.heads[h].own...)
}

// IsArch reports whether Θ[i] is an architecture-logit matrix.
func (m *Net) IsArch(i int) bool { return i == m.alpha[0] || i == m.alpha[1] }

// Specs lists the name, shape and initialisation of every tensor of Θ.
func (m *Net) Specs() []search.ParamSpec {
	out := slices.Clone(m.shared)
	out = append(out,
		search.ParamSpec{Name: "alpha_normal", Shape: []int{genotype.NumEdges, m.numOps}},
		search.ParamSpec{Name: "alpha_reduce", Shape: []int{genotype.NumEdges, m.numOps}})
	for _, h := range m.heads {
		out = append(out, h.specs...)
	}
	return out
}

// ParamCount is the number of learnable scalars of Θ (all heads, α included).
func (m *Net) ParamCount() int {
	n := 0
	for _, s := range m.Specs() {
		n += s.Numel()
	}
	return n
}

// Init draws Θ: PyTorch default initialisation of every weight (uniform in
// ±1/sqrt(fan_in)), α ← 1e-3·N(0,1) (SPEC 1.5).
func (m *Net) Init(rng *rand.Rand) []*tensor.Tensor[float32] {
	th := make([]*tensor.Tensor[float32], m.total)
	for i, s := range m.Specs() {
		t := tensor.New[float32](s.Shape...)
		switch {
		case m.IsArch(i):
			for k := range t.Data {
				t.Data[k] = float32(1e-3 * rng.NormFloat64())
			}
		case s.Init == search.InitOnes:
			for k := range t.Data {
				t.Data[k] = 1
			}
		case s.Init == search.InitZeros:
		default:
			b := 1 / math.Sqrt(float64(max(s.FanIn, 1)))
			for k := range t.Data {
				t.Data[k] = float32((2*rng.Float64() - 1) * b)
			}
		}
		th[i] = t
	}
	return th
}

// Forward runs head h and the shared stack on x [N, 3, size, size] with the
// parameter variables theta (one per tensor of Θ; only TaskTensors(h) are
// read) and relaxed architecture weights zn, zr [14, J]. It returns the
// logits [N, Classes].
func (m *Net) Forward(tp *ad.Tape[float32], theta []*ad.Var[float32], h int, x, zn, zr *ad.Var[float32], work *tensor.Workspace) *ad.Var[float32] {
	if len(theta) != m.total {
		panic(fmt.Sprintf("multitask: Forward: %d tensors for a meta-network of %d", len(theta), m.total))
	}
	hd := &m.heads[h]
	for _, pc := range hd.pre {
		x = ad.Conv2d(x, theta[pc.theta], nil, ad.Conv2dOpts{StrideH: 2, StrideW: 2, PadH: 1, PadW: 1, DilH: 1, DilW: 1, Groups: 1, Work: work})
		x = ad.ReLU(ad.BatchNorm(x, nil, nil, 1e-5))
	}
	p := make([]*ad.Var[float32], len(hd.psi))
	for i, j := range hd.psi {
		p[i] = theta[j]
	}
	return search.SearchForward(hd.net, tp, p, x, zn, zr, work)
}

// ArchTables returns α_normal and α_reduce of Θ (or of an adapted ψ) as
// float64 tables [14][J].
func (m *Net) ArchTables(theta []*tensor.Tensor[float32]) (normal, reduce [][]float64) {
	conv := func(t *tensor.Tensor[float32]) [][]float64 {
		J := t.Shape[1]
		out := make([][]float64, t.Shape[0])
		for e := range out {
			out[e] = make([]float64, J)
			for o := range out[e] {
				out[e][o] = float64(t.Data[e*J+o])
			}
		}
		return out
	}
	return conv(theta[m.alpha[0]]), conv(theta[m.alpha[1]])
}

// Genotype decodes softmax(α) of theta with rule (SPEC 4.2).
func (m *Net) Genotype(name string, theta []*tensor.Tensor[float32], rule genotype.Rule) (*genotype.Genotype, error) {
	n, r := m.ArchTables(theta)
	return genotype.Decode(name, genotype.Softmax(n), genotype.Softmax(r), m.cfg.Ops, rule)
}

// CloneTheta deep-copies a list of tensors.
func CloneTheta(th []*tensor.Tensor[float32]) []*tensor.Tensor[float32] {
	out := make([]*tensor.Tensor[float32], len(th))
	for i, t := range th {
		out[i] = t.Clone()
	}
	return out
}
