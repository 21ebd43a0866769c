package search

import (
	"fmt"

	"github.com/metabench/metabench/search/genotype"
)

// layerKind is one primitive of a sequential block.
type layerKind int

const (
	lReLU layerKind = iota
	lConv
	lBN
	lMaxPool
	lAvgPool
)

// conv is a bias-free 2-D convolution whose weight is parameter w.
type conv struct {
	w                   int
	cin, cout           int
	kh, kw, sh, sw      int // kernel and stride
	ph, pw, dil, groups int // padding, dilation, groups
}

// bn is a batch norm over c channels; gamma and beta are -1 when it is not
// affine.
type bn struct {
	c, gamma, beta int
}

// layer is one step of a sequential block.
type layer struct {
	kind           layerKind
	conv           conv
	bn             bn
	k, stride, pad int // pools
}

type seq []layer

// factRed is FactorizedReduce: ReLU, two 1x1 stride-2 convs (the second on
// the input shifted by one pixel and zero-padded bottom/right), concat, BN.
type factRed struct {
	c1, c2 conv
	bn     bn
}

// opKind distinguishes the operations that are not plain sequences.
type opKind int

const (
	opSeq opKind = iota
	opNone
	opIdentity
	opFactRed
)

// op is one candidate operation on an edge.
type op struct {
	name   string
	kind   opKind
	stride int
	seq    seq
	fr     *factRed
}

// builder declares parameters with a name prefix.
type builder struct {
	l      *Layout
	affine bool // BN affine (final networks) or not (search networks)
}

func (b builder) conv(name string, cin, cout, k, stride, pad, dil, groups int) conv {
	return b.convRect(name, cin, cout, k, k, stride, stride, pad, pad, dil, groups)
}

// convRect is a convolution with a kh x kw kernel, strides (sh, sw) and
// paddings (ph, pw).
func (b builder) convRect(name string, cin, cout, kh, kw, sh, sw, ph, pw, dil, groups int) conv {
	w := b.l.add(name, []int{cout, cin / groups, kh, kw}, InitUniformFanIn, cin/groups*kh*kw)
	return conv{w: w, cin: cin, cout: cout, kh: kh, kw: kw, sh: sh, sw: sw, ph: ph, pw: pw, dil: dil, groups: groups}
}

func (b builder) bn(name string, c int) bn {
	if !b.affine {
		return bn{c: c, gamma: -1, beta: -1}
	}
	g := b.l.add(name+".gamma", []int{c}, InitOnes, 0)
	be := b.l.add(name+".beta", []int{c}, InitZeros, 0)
	return bn{c: c, gamma: g, beta: be}
}

func (b builder) reluConvBN(name string, cin, cout, k, stride, pad int) seq {
	return seq{{kind: lReLU}, {kind: lConv, conv: b.conv(name+".w", cin, cout, k, stride, pad, 1, 1)}, {kind: lBN, bn: b.bn(name+".bn", cout)}}
}

func (b builder) factRed(name string, cin, cout int) *factRed {
	if cout%2 != 0 {
		panic(fmt.Sprintf("search: FactorizedReduce needs an even channel count, got %d", cout))
	}
	return &factRed{
		c1: b.conv(name+".conv1", cin, cout/2, 1, 2, 0, 1, 1),
		c2: b.conv(name+".conv2", cin, cout/2, 1, 2, 0, 1, 1),
		bn: b.bn(name+".bn", cout),
	}
}

// newOp declares the parameters of one candidate operation on c channels.
// search adds the BN after pooling that DARTS uses in the search network.
func (b builder) newOp(name, opName string, c, stride int, search bool) (op, error) {
	o := op{name: opName, stride: stride}
	switch opName {
	case genotype.None:
		o.kind = opNone
	case genotype.MaxPool3x3, genotype.AvgPool3x3:
		k := lMaxPool
		if opName == genotype.AvgPool3x3 {
			k = lAvgPool
		}
		o.seq = seq{{kind: k, k: 3, stride: stride, pad: 1}}
		if search {
			o.seq = append(o.seq, layer{kind: lBN, bn: b.bn(name+".bn", c)})
		}
	case genotype.SkipConnect:
		if stride == 1 {
			o.kind = opIdentity
		} else {
			o.kind = opFactRed
			o.fr = b.factRed(name, c, c)
		}
	case genotype.SepConv3x3, genotype.SepConv5x5:
		k, p := 3, 1
		if opName == genotype.SepConv5x5 {
			k, p = 5, 2
		}
		o.seq = seq{
			{kind: lReLU},
			{kind: lConv, conv: b.conv(name+".dw1", c, c, k, stride, p, 1, c)},
			{kind: lConv, conv: b.conv(name+".pw1", c, c, 1, 1, 0, 1, 1)},
			{kind: lBN, bn: b.bn(name+".bn1", c)},
			{kind: lReLU},
			{kind: lConv, conv: b.conv(name+".dw2", c, c, k, 1, p, 1, c)},
			{kind: lConv, conv: b.conv(name+".pw2", c, c, 1, 1, 0, 1, 1)},
			{kind: lBN, bn: b.bn(name+".bn2", c)},
		}
	case genotype.SepConv7x7:
		o.seq = seq{
			{kind: lReLU},
			{kind: lConv, conv: b.conv(name+".dw1", c, c, 7, stride, 3, 1, c)},
			{kind: lConv, conv: b.conv(name+".pw1", c, c, 1, 1, 0, 1, 1)},
			{kind: lBN, bn: b.bn(name+".bn1", c)},
			{kind: lReLU},
			{kind: lConv, conv: b.conv(name+".dw2", c, c, 7, 1, 3, 1, c)},
			{kind: lConv, conv: b.conv(name+".pw2", c, c, 1, 1, 0, 1, 1)},
			{kind: lBN, bn: b.bn(name+".bn2", c)},
		}
	case genotype.Conv7x1_1x7:
		// ReLU, 1x7 conv (stride (1, s)), 7x1 conv (stride (s, 1)), BN, as in
		// the DARTS and BASE op dictionaries.
		o.seq = seq{
			{kind: lReLU},
			{kind: lConv, conv: b.convRect(name+".conv1x7", c, c, 1, 7, 1, stride, 0, 3, 1, 1)},
			{kind: lConv, conv: b.convRect(name+".conv7x1", c, c, 7, 1, stride, 1, 3, 0, 1, 1)},
			{kind: lBN, bn: b.bn(name+".bn", c)},
		}
	case genotype.DilConv3x3, genotype.DilConv5x5:
		k, p := 3, 2
		if opName == genotype.DilConv5x5 {
			k, p = 5, 4
		}
		o.seq = seq{
			{kind: lReLU},
			{kind: lConv, conv: b.conv(name+".dw", c, c, k, stride, p, 2, c)},
			{kind: lConv, conv: b.conv(name+".pw", c, c, 1, 1, 0, 1, 1)},
			{kind: lBN, bn: b.bn(name+".bn", c)},
		}
	default:
		return op{}, fmt.Errorf("unknown operation %q", opName)
	}
	return o, nil
}

// preprocess is a cell input preprocessor: ReLUConvBN 1x1 or FactorizedReduce.
type preprocess struct {
	seq seq
	fr  *factRed
}

func (b builder) preprocess(name string, cin, cout int, reduce bool) preprocess {
	if reduce {
		return preprocess{fr: b.factRed(name, cin, cout)}
	}
	return preprocess{seq: b.reluConvBN(name, cin, cout, 1, 1, 0)}
}

// reductionsAt returns the reduction-cell positions: the given list, or
// floor(L/3) and floor(2L/3).
func reductionsAt(cells int, given []int) map[int]bool {
	r := map[int]bool{}
	if given == nil {
		r[cells/3] = true
		r[2*cells/3] = true
		return r
	}
	for _, i := range given {
		r[i] = true
	}
	return r
}

// MinFeatureSide is the smallest feature map the networks accept: the
// dilated 5x5 convolution (extent 9, padding 4) of the engine needs at least
// 4x4 inputs.
const MinFeatureSide = 4

// featureSides returns the side of the feature map after the stem and after
// every cell for a square input of side h.
func featureSides(h, stemStride, cells int, red map[int]bool) []int {
	h = ceilDiv(h, stemStride)
	out := []int{h}
	for i := 0; i < cells; i++ {
		if red[i] {
			h = ceilDiv(h, 2)
		}
		out = append(out, h)
	}
	return out
}

func checkSides(what string, h int, sides []int) error {
	if m := sides[len(sides)-1]; m < MinFeatureSide {
		return fmt.Errorf("%s: %dx%d images shrink to %dx%d feature maps (stem and reductions %v); at least %dx%d are needed: use larger images, fewer reductions or stem_stride 1",
			what, h, h, m, m, sides, MinFeatureSide, MinFeatureSide)
	}
	return nil
}

// CheckInput reports whether square images of side h suit the search
// network.
func (n *SearchNet) CheckInput(h int) error {
	return checkSides("search network", h, featureSides(h, n.cfg.StemStride, n.cfg.Cells, reductionsAt(n.cfg.Cells, n.cfg.Reductions)))
}

// CheckInput reports whether square images of side h suit the network.
func (n *FinalNet) CheckInput(h int) error {
	stem := n.cfg.StemStride
	if n.cfg.ImageNet {
		stem = 8
	}
	return checkSides("final network", h, featureSides(h, stem, n.cfg.Cells, reductionsAt(n.cfg.Cells, n.cfg.Reductions)))
}
