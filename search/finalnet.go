package search

import (
	"errors"
	"fmt"
	"math/rand/v2"

	ad "github.com/metabench/metabench/autodiff"
	"github.com/metabench/metabench/search/genotype"
	"github.com/metabench/metabench/tensor"
)

// FinalConfig sizes the discrete network built from a genotype (SPEC 1.6.3).
type FinalConfig struct {
	Cells      int   `json:"cells" yaml:"cells"`       // L
	Channels   int   `json:"channels" yaml:"channels"` // C (init channels)
	Classes    int   `json:"classes" yaml:"classes"`
	InChannels int   `json:"in_channels" yaml:"in_channels"` // image channels (3 RGB, 1 Omniglot)
	ImageNet   bool  `json:"imagenet" yaml:"imagenet"`       // ImageNet stem (three stride-2 convs, 1/8)
	StemStride int   `json:"stem_stride" yaml:"stem_stride"` // CIFAR-style stem stride: 1 (CIFAR) or 2 (84x84 few-shot)
	Reductions []int `json:"reductions,omitempty" yaml:"reductions,omitempty"`
	// Auxiliary adds the auxiliary head after cell floor(2L/3) (weight set by
	// the trainer; it is not counted in the parameter count).
	Auxiliary bool `json:"auxiliary" yaml:"auxiliary"`
	// DropPath is the drop-path probability used when training (0 = off).
	DropPath float64 `json:"drop_path" yaml:"drop_path"`
}

// Validate checks the sizes.
func (c FinalConfig) Validate() error {
	switch {
	case c.Cells < 1:
		return fmt.Errorf("cells: %d, want at least 1", c.Cells)
	case c.Channels < 1:
		return fmt.Errorf("channels: %d, want at least 1", c.Channels)
	case c.Classes < 1:
		return fmt.Errorf("classes: %d, want at least 1", c.Classes)
	case c.InChannels < 1:
		return fmt.Errorf("in_channels: %d, want at least 1", c.InChannels)
	case !c.ImageNet && c.StemStride != 1 && c.StemStride != 2:
		return fmt.Errorf("stem_stride: %d, want 1 or 2", c.StemStride)
	case c.DropPath < 0 || c.DropPath >= 1:
		return fmt.Errorf("drop_path: %g, want [0, 1)", c.DropPath)
	case c.ImageNet && c.Channels%4 != 0:
		return fmt.Errorf("channels: %d, the ImageNet stem needs a multiple of 4", c.Channels)
	}
	for _, r := range c.Reductions {
		if r < 0 || r >= c.Cells {
			return fmt.Errorf("reductions: cell %d does not exist in %d cells", r, c.Cells)
		}
	}
	return nil
}

// finalCell is one discrete cell of a genotype.
type finalCell struct {
	reduction, reductionPrev bool
	pre0, pre1               preprocess
	ops                      []op  // 8: two per intermediate node
	inputs                   []int // the input node of each op
	concat                   []int
}

// auxHead is DARTS's CIFAR auxiliary head: ReLU, 5x5 avg-pool stride 3
// (ImageNet: stride 2), 1x1 conv to 128, BN, ReLU, 2x2 conv to 768, BN, ReLU,
// then (global average, a choice for inputs other than 8x8) a linear layer.
type auxHead struct {
	poolStride int
	body       seq
	w, b       int
}

// FinalNet is the discrete network built from a genotype. It holds no
// parameter values: NewParams(net.Layout(), rng) draws them, and Forward
// reads them by position.
type FinalNet struct {
	cfg    FinalConfig
	geno   *genotype.Genotype
	layout *Layout
	stem0  seq // CIFAR stem, or ImageNet stem0
	stem1  seq // ImageNet stem1 (nil otherwise)
	cells  []finalCell
	auxAt  int // cell after which the auxiliary head reads (-1: none)
	aux    *auxHead
	clsW   int
	clsB   int
	feat   int // channels entering the classifier
}

// AuxPrefix is the name prefix of the auxiliary head's parameters.
const AuxPrefix = "aux."

// NewFinalNet declares the network of SPEC 1.4/1.6.3: a CIFAR-style stem
// (3x3 conv to 3C + BN) or the ImageNet stem, L cells with reductions at
// floor(L/3) and floor(2L/3) doubling the channels, affine BN everywhere,
// global average pooling and a linear classifier.
func NewFinalNet(g *genotype.Genotype, cfg FinalConfig) (*FinalNet, error) {
	if g == nil {
		return nil, errors.New("final network: no genotype")
	}
	if err := g.Validate(); err != nil {
		return nil, fmt.Errorf("final network: %w", err)
	}
	if cfg.InChannels == 0 {
		cfg.InChannels = 3
	}
	if cfg.StemStride == 0 {
		cfg.StemStride = 1
	}
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("final network: %w", err)
	}
	n := &FinalNet{cfg: cfg, geno: g, layout: &Layout{}, auxAt: -1}
	b := builder{l: n.layout, affine: true}
	C := cfg.Channels
	var cpp, cp, cc int
	reductionPrev := false
	if cfg.ImageNet {
		n.stem0 = seq{
			{kind: lConv, conv: b.conv("stem0.conv1", cfg.InChannels, C/2, 3, 2, 1, 1, 1)},
			{kind: lBN, bn: b.bn("stem0.bn1", C/2)},
			{kind: lReLU},
			{kind: lConv, conv: b.conv("stem0.conv2", C/2, C, 3, 2, 1, 1, 1)},
			{kind: lBN, bn: b.bn("stem0.bn2", C)},
		}
		n.stem1 = seq{
			{kind: lReLU},
			{kind: lConv, conv: b.conv("stem1.conv", C, C, 3, 2, 1, 1, 1)},
			{kind: lBN, bn: b.bn("stem1.bn", C)},
		}
		cpp, cp, cc = C, C, C
		reductionPrev = true
	} else {
		n.stem0 = seq{
			{kind: lConv, conv: b.conv("stem.conv", cfg.InChannels, 3*C, 3, cfg.StemStride, 1, 1, 1)},
			{kind: lBN, bn: b.bn("stem.bn", 3*C)},
		}
		cpp, cp, cc = 3*C, 3*C, C
	}
	red := reductionsAt(cfg.Cells, cfg.Reductions)
	for i := 0; i < cfg.Cells; i++ {
		reduction := red[i]
		if reduction {
			cc *= 2
		}
		name := fmt.Sprintf("cells.%d", i)
		cell := finalCell{reduction: reduction, reductionPrev: reductionPrev}
		cell.pre0 = b.preprocess(name+".pre0", cpp, cc, reductionPrev)
		cell.pre1 = b.preprocess(name+".pre1", cp, cc, false)
		edges, concat := g.Normal, g.NormalConcat
		if reduction {
			edges, concat = g.Reduce, g.ReduceConcat
		}
		for k, e := range edges {
			stride := 1
			if reduction && e.Input < 2 {
				stride = 2
			}
			o, err := b.newOp(fmt.Sprintf("%s.ops.%d.%s", name, k, e.Op), e.Op, cc, stride, false)
			if err != nil {
				return nil, fmt.Errorf("final network: cell %d: %w", i, err)
			}
			cell.ops = append(cell.ops, o)
			cell.inputs = append(cell.inputs, e.Input)
		}
		cell.concat = append([]int(nil), concat...)
		n.cells = append(n.cells, cell)
		reductionPrev = reduction
		cpp, cp = cp, len(concat)*cc
		if cfg.Auxiliary && i == 2*cfg.Cells/3 {
			n.auxAt = i
			ps := 3
			if cfg.ImageNet {
				ps = 2
			}
			ab := builder{l: n.layout, affine: true}
			n.aux = &auxHead{poolStride: ps, body: seq{
				{kind: lConv, conv: ab.conv(AuxPrefix+"conv1", cp, 128, 1, 1, 0, 1, 1)},
				{kind: lBN, bn: ab.bn(AuxPrefix+"bn1", 128)},
				{kind: lReLU},
				{kind: lConv, conv: ab.conv(AuxPrefix+"conv2", 128, 768, 2, 1, 0, 1, 1)},
				{kind: lBN, bn: ab.bn(AuxPrefix+"bn2", 768)},
				{kind: lReLU},
			}}
			n.aux.w = n.layout.add(AuxPrefix+"fc.w", []int{768, cfg.Classes}, InitUniformFanIn, 768)
			n.aux.b = n.layout.add(AuxPrefix+"fc.b", []int{cfg.Classes}, InitUniformFanIn, 768)
		}
	}
	n.feat = cp
	// Linear weights are [in, out] (y = x @ w + b), the project convention.
	n.clsW = n.layout.add("classifier.w", []int{cp, cfg.Classes}, InitUniformFanIn, cp)
	n.clsB = n.layout.add("classifier.b", []int{cfg.Classes}, InitUniformFanIn, cp)
	return n, nil
}

// Layout is the ordered list of the network's parameters.
func (n *FinalNet) Layout() *Layout { return n.layout }

// Config is the network's configuration.
func (n *FinalNet) Config() FinalConfig { return n.cfg }

// Genotype is the genotype the network was built from.
func (n *FinalNet) Genotype() *genotype.Genotype { return n.geno }

// ParamCount is the number of learnable scalars, excluding the auxiliary
// head (the convention of SPEC 1.6.4 and of DARTS's count_parameters_in_MB).
func (n *FinalNet) ParamCount() int { return n.layout.Count(AuxPrefix) }

// ParamCount builds the final network of a genotype and counts its
// parameters (auxiliary head excluded).
func ParamCount(g *genotype.Genotype, cfg FinalConfig) (int, error) {
	n, err := NewFinalNet(g, cfg)
	if err != nil {
		return 0, err
	}
	return n.ParamCount(), nil
}

// FinalForwardOpts are the training-time options of a forward pass.
type FinalForwardOpts struct {
	// DropPath is the drop-path probability for this pass (the trainer ramps
	// it linearly, p = p_max * epoch/epochs); 0 disables it (evaluation).
	DropPath float64
	// Rng draws the drop-path masks; required when DropPath > 0.
	Rng *rand.Rand
	// Work is an optional convolution scratch pool.
	Work *tensor.Workspace
}

// FinalForward runs the network on x [N, InChannels, H, W] with parameters p
// (in Layout order) and returns the logits [N, Classes] and, when the network
// has an auxiliary head, the auxiliary logits (nil otherwise).
func FinalForward[T tensor.Float](n *FinalNet, tp *ad.Tape[T], p []*ad.Var[T], x *ad.Var[T], o FinalForwardOpts) (logits, aux *ad.Var[T]) {
	if len(p) != len(n.layout.Specs) {
		panic(fmt.Sprintf("search: FinalForward: %d parameters for a layout of %d", len(p), len(n.layout.Specs)))
	}
	f := &fwd[T]{tp: tp, p: p, drop: o.DropPath, rng: o.Rng, work: o.Work}
	var s0, s1 *ad.Var[T]
	if n.cfg.ImageNet {
		s0 = f.seq(n.stem0, x)
		s1 = f.seq(n.stem1, s0)
	} else {
		s0 = f.seq(n.stem0, x)
		s1 = s0
	}
	for i := range n.cells {
		s0, s1 = s1, f.finalCell(&n.cells[i], s0, s1)
		if i == n.auxAt && n.aux != nil {
			h := ad.ReLU(s1)
			h = avgPool(h, 5, n.aux.poolStride, 0)
			h = f.seq(n.aux.body, h)
			aux = f.globalPoolLinear(h, n.aux.w, n.aux.b)
		}
	}
	return f.globalPoolLinear(s1, n.clsW, n.clsB), aux
}
