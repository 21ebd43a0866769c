package search

import (
	"errors"
	"fmt"

	ad "github.com/metabench/metabench/autodiff"
	"github.com/metabench/metabench/search/genotype"
	"github.com/metabench/metabench/tensor"
)

// SearchNetConfig sizes the few-shot search super-network (SPEC 1.6.2).
type SearchNetConfig struct {
	Cells      int      `json:"cells" yaml:"cells"`             // 5 (N R N R N)
	Channels   int      `json:"channels" yaml:"channels"`       // C = 16
	Classes    int      `json:"classes" yaml:"classes"`         // ways
	InChannels int      `json:"in_channels" yaml:"in_channels"` // 3 RGB, 1 Omniglot
	StemStride int      `json:"stem_stride" yaml:"stem_stride"` // 2 (84 -> 42)
	Reductions []int    `json:"reductions" yaml:"reductions,flow"`
	Ops        []string `json:"ops,omitempty" yaml:"ops,omitempty,flow"` // α columns; default genotype.OpNames()
}

// DefaultSearchNetConfig is SPEC 1.6.2: stride-2 head, 5 cells N R N R N,
// C = 16, 5-way, RGB.
func DefaultSearchNetConfig() SearchNetConfig {
	return SearchNetConfig{Cells: 5, Channels: 16, Classes: 5, InChannels: 3, StemStride: 2, Reductions: []int{1, 3}, Ops: genotype.OpNames()}
}

// searchCell is a cell of the super-network: 14 mixed edges in e(i,j) order.
type searchCell struct {
	reduction, reductionPrev bool
	pre0, pre1               preprocess
	edges                    [][]op // [14][J]
}

// SearchNet is the continuous super-network: every (edge, op) pair has its
// own weights, BN is affine=false, pools are followed by BN, and the two cell
// types share one architecture-logit matrix each (14 x J).
type SearchNet struct {
	cfg    SearchNetConfig
	layout *Layout
	stem   seq
	cells  []searchCell
	clsW   int
	clsB   int
}

// NewSearchNet declares the super-network.
func NewSearchNet(cfg SearchNetConfig) (*SearchNet, error) {
	if len(cfg.Ops) == 0 {
		cfg.Ops = genotype.OpNames()
	}
	if cfg.InChannels == 0 {
		cfg.InChannels = 3
	}
	if cfg.StemStride == 0 {
		cfg.StemStride = 1
	}
	switch {
	case cfg.Cells < 1:
		return nil, fmt.Errorf("search network: cells %d, want at least 1", cfg.Cells)
	case cfg.Channels < 2 || cfg.Channels%2 != 0:
		return nil, fmt.Errorf("search network: channels %d, want an even number of at least 2", cfg.Channels)
	case cfg.Classes < 1:
		return nil, fmt.Errorf("search network: classes %d, want at least 1", cfg.Classes)
	case cfg.StemStride != 1 && cfg.StemStride != 2:
		return nil, fmt.Errorf("search network: stem_stride %d, want 1 or 2", cfg.StemStride)
	case cfg.Ops[0] != genotype.None:
		return nil, errors.New("search network: ops must start with none (column 0)")
	}
	for _, r := range cfg.Reductions {
		if r < 0 || r >= cfg.Cells {
			return nil, fmt.Errorf("search network: reduction at cell %d of %d", r, cfg.Cells)
		}
	}
	n := &SearchNet{cfg: cfg, layout: &Layout{}}
	b := builder{l: n.layout, affine: false}
	C := cfg.Channels
	n.stem = seq{
		{kind: lConv, conv: b.conv("stem.conv", cfg.InChannels, 3*C, 3, cfg.StemStride, 1, 1, 1)},
		{kind: lBN, bn: b.bn("stem.bn", 3*C)},
	}
	cpp, cp, cc := 3*C, 3*C, C
	red := reductionsAt(cfg.Cells, cfg.Reductions)
	reductionPrev := false
	for i := 0; i < cfg.Cells; i++ {
		reduction := red[i]
		if reduction {
			cc *= 2
		}
		name := fmt.Sprintf("cells.%d", i)
		c, err := newSearchCell(b, name, cfg.Ops, cpp, cp, cc, reduction, reductionPrev)
		if err != nil {
			return nil, fmt.Errorf("search network: %w", err)
		}
		n.cells = append(n.cells, c)
		reductionPrev = reduction
		cpp, cp = cp, genotype.Steps*cc
	}
	n.clsW = n.layout.add("classifier.w", []int{cp, cfg.Classes}, InitUniformFanIn, cp)
	n.clsB = n.layout.add("classifier.b", []int{cfg.Classes}, InitUniformFanIn, cp)
	return n, nil
}

func newSearchCell(b builder, name string, ops []string, cpp, cp, cc int, reduction, reductionPrev bool) (searchCell, error) {
	c := searchCell{reduction: reduction, reductionPrev: reductionPrev}
	c.pre0 = b.preprocess(name+".pre0", cpp, cc, reductionPrev)
	c.pre1 = b.preprocess(name+".pre1", cp, cc, false)
	for e := 0; e < genotype.NumEdges; e++ {
		_, j := genotype.EdgeNodes(e)
		stride := 1
		if reduction && j < 2 {
			stride = 2
		}
		edge, err := newMixedOp(b, fmt.Sprintf("%s.edges.%d", name, e), ops, cc, stride)
		if err != nil {
			return c, err
		}
		c.edges = append(c.edges, edge)
	}
	return c, nil
}

func newMixedOp(b builder, name string, ops []string, c, stride int) ([]op, error) {
	out := make([]op, len(ops))
	for k, o := range ops {
		var err error
		if out[k], err = b.newOp(name+"."+o, o, c, stride, true); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// Layout is the ordered list of the super-network's weights (architecture
// logits are separate: two 14 x J tensors).
func (n *SearchNet) Layout() *Layout { return n.layout }

// Config is the network's configuration.
func (n *SearchNet) Config() SearchNetConfig { return n.cfg }

// NumOps is J, the number of candidate operations per edge.
func (n *SearchNet) NumOps() int { return len(n.cfg.Ops) }

// mixed is the mixed op sum_o z[o] * op_o(x) for a row z of shape [J]. The
// none op contributes zero value and zero gradient, so it is skipped. One
// fused op (autodiff.WeightedSum): one output tensor per edge.
func (f *fwd[T]) mixed(ops []op, x, z *ad.Var[T]) *ad.Var[T] {
	ys := make([]*ad.Var[T], len(ops))
	some := false
	for k, o := range ops {
		if o.kind != opNone {
			ys[k], some = f.op(o, x), true
		}
	}
	if !some {
		return f.op(ops[0], x)
	}
	return ad.WeightedSum(ys, z)
}

// searchCellForward runs a search cell with relaxed weights z [14, J].
func (f *fwd[T]) searchCell(c *searchCell, s0, s1, z *ad.Var[T]) (*ad.Var[T], []*ad.Var[T]) {
	states := []*ad.Var[T]{f.pre(c.pre0, s0), f.pre(c.pre1, s1)}
	J := z.Shape()[1]
	for i := 2; i < 2+genotype.Steps; i++ {
		var h *ad.Var[T]
		for j := 0; j < i; j++ {
			e := genotype.EdgeIndex(i, j)
			row := ad.Reshape(ad.Slice(z, 0, e, e+1, 1), J)
			y := f.mixed(c.edges[e], states[j], row)
			if h == nil {
				h = y
			} else {
				h = ad.Add(h, y)
			}
		}
		states = append(states, h)
	}
	return ad.Concat(1, states[2:]...), states
}

// SearchForward runs the super-network on x with weights p (Layout order)
// and relaxed architecture weights zNormal, zReduce ([14, J], rows on the
// simplex; see Relax). It returns the logits.
func SearchForward[T tensor.Float](n *SearchNet, tp *ad.Tape[T], p []*ad.Var[T], x, zNormal, zReduce *ad.Var[T], work *tensor.Workspace) *ad.Var[T] {
	if len(p) != len(n.layout.Specs) {
		panic(fmt.Sprintf("search: SearchForward: %d parameters for a layout of %d", len(p), len(n.layout.Specs)))
	}
	f := &fwd[T]{tp: tp, p: p, work: work}
	s0 := f.seq(n.stem, x)
	s1 := s0
	for i := range n.cells {
		z := zNormal
		if n.cells[i].reduction {
			z = zReduce
		}
		out, _ := f.searchCell(&n.cells[i], s0, s1, z)
		s0, s1 = s1, out
	}
	return f.globalPoolLinear(s1, n.clsW, n.clsB)
}
