package search

import (
	"fmt"
	"math"

	"github.com/metabench/metabench/search/genotype"
)

// Cost is the size of a network: its learnable parameters and the
// multiply-accumulates (MACs) of one forward pass of one image.
//
// A convolution with c_in inputs, c_out outputs, g groups and a kh x kw
// kernel whose output map is h_out x w_out has c_out·(c_in/g)·kh·kw weights
// and costs c_out·(c_in/g)·kh·kw·h_out·w_out MACs; a linear layer from n to k
// features has n·k + k parameters and costs n·k MACs; an affine batch norm
// over c channels has 2c parameters. Batch norm, ReLU, pooling, the global
// average, the sums of a cell's nodes and the zero op cost no MACs here (a
// few operations per activation each, the convention of the "MACs" or
// "FLOPs" columns of DARTS-style papers).
type Cost struct {
	Params, MACs int
}

// Cost walks the network for one square image of side h and counts its
// parameters and MACs. The auxiliary head is left out of both, as it is of
// ParamCount (it is not run at test time), so Cost(h).Params ==
// ParamCount().
func (n *FinalNet) Cost(h int) Cost {
	var c Cost
	var s0, s1 side
	if n.cfg.ImageNet {
		s0 = c.seq(n.stem0, side{h, h})
		s1 = c.seq(n.stem1, s0)
	} else {
		s0 = c.seq(n.stem0, side{h, h})
		s1 = s0
	}
	for i := range n.cells {
		s0, s1 = s1, c.cell(&n.cells[i], s0, s1)
	}
	c.linear(n.feat, n.cfg.Classes)
	return c
}

// side is the height and width of a feature map (a 1x7 convolution makes
// them differ inside its op).
type side struct{ h, w int }

// outSide is the output length of a convolution or pool along one axis:
// ⌊(n + 2p − d(k − 1) − 1)/s⌋ + 1.
func outSide(n, k, s, p, d int) int { return (n+2*p-d*(k-1)-1)/s + 1 }

func (c *Cost) conv(cv conv, in side) side {
	out := side{outSide(in.h, cv.kh, cv.sh, cv.ph, cv.dil), outSide(in.w, cv.kw, cv.sw, cv.pw, cv.dil)}
	w := cv.cout * (cv.cin / cv.groups) * cv.kh * cv.kw
	c.Params += w
	c.MACs += w * out.h * out.w
	return out
}

func (c *Cost) bn(b bn) {
	if b.gamma >= 0 {
		c.Params += 2 * b.c
	}
}

func (c *Cost) linear(in, out int) {
	c.Params += in*out + out
	c.MACs += in * out
}

func (c *Cost) seq(s seq, in side) side {
	for _, l := range s {
		switch l.kind {
		case lConv:
			in = c.conv(l.conv, in)
		case lBN:
			c.bn(l.bn)
		case lMaxPool, lAvgPool:
			in = side{outSide(in.h, l.k, l.stride, l.pad, 1), outSide(in.w, l.k, l.stride, l.pad, 1)}
		}
	}
	return in
}

// factRed: both 1x1 stride-2 branches give ⌈h/2⌉ x ⌈w/2⌉ (the shifted one is
// padded back to h x w first).
func (c *Cost) factRed(fr *factRed, in side) side {
	out := c.conv(fr.c1, in)
	c.conv(fr.c2, in)
	c.bn(fr.bn)
	return out
}

func (c *Cost) pre(p preprocess, in side) side {
	if p.fr != nil {
		return c.factRed(p.fr, in)
	}
	return c.seq(p.seq, in)
}

func (c *Cost) op(o op, in side) side {
	switch o.kind {
	case opNone:
		return side{ceilDiv(in.h, o.stride), ceilDiv(in.w, o.stride)}
	case opIdentity:
		return in
	case opFactRed:
		return c.factRed(o.fr, in)
	}
	return c.seq(o.seq, in)
}

// cell follows finalCell: node 2+i sums its two ops, whose inputs are
// earlier nodes; the output is the concatenation of the concat nodes, all of
// one side.
func (c *Cost) cell(fc *finalCell, s0, s1 side) side {
	states := []side{c.pre(fc.pre0, s0), c.pre(fc.pre1, s1)}
	for i := 0; i < len(fc.ops)/2; i++ {
		out := c.op(fc.ops[2*i], states[fc.inputs[2*i]])
		c.op(fc.ops[2*i+1], states[fc.inputs[2*i+1]])
		states = append(states, out)
	}
	return states[fc.concat[0]]
}

// MatchTolerance is how far, relative to its target, the parameter count of
// a network sized by MatchChannels may land.
const MatchTolerance = 0.10

// MatchChannels returns the init channel count C of the final network of g
// (cfg with Channels = C) whose parameter count P(C) is closest to target,
// and P(C). C may be odd with the CIFAR-style stem (FactorizedReduce, which
// halves its output channels, only ever outputs a reduced cell's 2^k·C, k >=
// 1); the ImageNet stem needs a multiple of 4. Every weight tensor of the network is linear or quadratic
// in C and every bias and batch norm linear, so P grows strictly with C: C
// rises in steps until P(C) >= target, and the closer of that C and the one
// below wins (the lower on a tie). It fails when the closest count is more
// than tol·target away, saying the two counts that bracket the target.
func MatchChannels(g *genotype.Genotype, cfg FinalConfig, target int, tol float64) (int, int, error) {
	if target < 1 {
		return 0, 0, fmt.Errorf("parameter target %d: want at least 1", target)
	}
	step := 1
	if cfg.ImageNet {
		step = 4
	}
	count := func(c int) (int, error) {
		cfg.Channels = c
		return ParamCount(g, cfg)
	}
	prevC, prevP := 0, 0
	for c := step; ; c += step {
		p, err := count(c)
		if err != nil {
			return 0, 0, err
		}
		if p < target {
			prevC, prevP = c, p
			continue
		}
		bestC, bestP := c, p
		if prevC > 0 && target-prevP <= p-target {
			bestC, bestP = prevC, prevP
		}
		if math.Abs(relOff(bestP, target)) > 100*tol {
			near := fmt.Sprintf("C=%d gives %d (%+.1f%%)", c, p, relOff(p, target))
			if prevC > 0 {
				near = fmt.Sprintf("C=%d gives %d (%+.1f%%), %s", prevC, prevP, relOff(prevP, target), near)
			}
			return 0, 0, fmt.Errorf("no init channel count puts the network within %.0f%% of %d parameters: %s", 100*tol, target, near)
		}
		return bestC, bestP, nil
	}
}

// relOff is (p − target)/target in percent.
func relOff(p, target int) float64 { return 100 * float64(p-target) / float64(target) }
