package search

import (
	"strings"
	"testing"

	"github.com/metabench/metabench/nn"
	"github.com/metabench/metabench/search/genotype"
)

// Genotypes derived by the committed paper-table4-omniglot (version 3)
// searches (extra.genotype of their records in
// docs/records/paper-table4-omniglot/).
const (
	// search-base-softmax-20261202T154256Z-c38989f8.json (seed 1): the even
	// channel counts bracket Conv-4 at -15% and +15%, so the match needs an
	// odd C.
	softmaxSeed1 = "normal=[dil_conv_5x5:1 sep_conv_5x5:0 sep_conv_5x5:0 avg_pool_3x3:0 avg_pool_3x3:3 avg_pool_3x3:2 avg_pool_3x3:3 sep_conv_5x5:3] reduce=[sep_conv_5x5:0 avg_pool_3x3:0 sep_conv_5x5:1 sep_conv_5x5:2 sep_conv_5x5:3 sep_conv_3x3:0 dil_conv_5x5:1 sep_conv_5x5:3]"
	// search-base-gumbel-20261202T153052Z-ae9c213c.json (seed 0)
	gumbelSeed0 = "normal=[skip_connect:0 dil_conv_5x5:1 dil_conv_5x5:2 sep_conv_5x5:0 max_pool_3x3:3 skip_connect:3 dil_conv_5x5:2 sep_conv_3x3:3] reduce=[sep_conv_3x3:0 dil_conv_5x5:0 sep_conv_5x5:0 max_pool_3x3:1 avg_pool_3x3:3 sep_conv_5x5:2 dil_conv_5x5:3 sep_conv_5x5:3]"
)

// TestCostParamsAreTheLayout checks the walk's parameter count against the
// sum of the declared parameter tensors, over every op, both stems, the
// auxiliary head (excluded from both) and odd channel counts.
func TestCostParamsAreTheLayout(t *testing.T) {
	for _, name := range genotype.BuiltinNames() {
		g, _ := genotype.Builtin(name)
		for _, c := range []struct {
			cfg FinalConfig
			h   int
		}{
			{FinalConfig{Cells: 5, Channels: 8, Classes: 5, InChannels: 1, StemStride: 2}, 28},
			{FinalConfig{Cells: 5, Channels: 15, Classes: 5, InChannels: 1, StemStride: 2}, 28},
			{FinalConfig{Cells: 8, Channels: 16, Classes: 10, InChannels: 3, Auxiliary: true}, 32},
			{FinalConfig{Cells: 3, Channels: 8, Classes: 4, InChannels: 3, ImageNet: true}, 128},
		} {
			net, err := NewFinalNet(g, c.cfg)
			if err != nil {
				t.Fatal(err)
			}
			if got, want := net.Cost(c.h).Params, net.Layout().Count(AuxPrefix); got != want {
				t.Errorf("%s %+v: Cost counts %d parameters, the layout holds %d", name, c.cfg, got, want)
			}
		}
	}
}

// TestCostHandCounted counts a two-cell network by hand: C = 4, one 8x8
// grey image, cell 0 a reduction whose node 2 has a sep_conv_3x3 on input 0
// and every other edge a 3x3 max-pool, cell 1 a normal cell of max-pools.
func TestCostHandCounted(t *testing.T) {
	pools := func(first string) []genotype.Edge {
		var e []genotype.Edge
		for i := 0; i < 4; i++ {
			e = append(e, genotype.Edge{Op: genotype.MaxPool3x3, Input: 0}, genotype.Edge{Op: genotype.MaxPool3x3, Input: 1})
		}
		e[0].Op = first
		return e
	}
	g := &genotype.Genotype{Name: "hand", Normal: pools(genotype.MaxPool3x3), NormalConcat: []int{2, 3, 4, 5},
		Reduce: pools(genotype.SepConv3x3), ReduceConcat: []int{2, 3, 4, 5}}
	net, err := NewFinalNet(g, FinalConfig{Cells: 2, Channels: 4, Classes: 5, InChannels: 1, StemStride: 1, Reductions: []int{0}})
	if err != nil {
		t.Fatal(err)
	}
	// stem: 3x3 conv 1 -> 12 at 8x8 (108 weights), BN 12.
	stem := Cost{Params: 108 + 24, MACs: 108 * 64}
	// cell 0 (reduction, 8 channels): pre0 and pre1 1x1 12 -> 8 at 8x8 (96
	// weights and BN 8 each); sep_conv_3x3 stride 2 to 4x4: depthwise 3x3
	// (72), pointwise 8 -> 8 (64), BN, again at stride 1, BN; pools cost 0.
	pre := Cost{Params: 2 * (96 + 16), MACs: 2 * 96 * 64}
	sep := Cost{Params: 2 * (72 + 64 + 16), MACs: 2 * (72 + 64) * 16}
	// cell 1 (normal, 8 channels at 4x4): pre0 FactorizedReduce 12 -> 8
	// from the stem's 8x8 (two 1x1 stride-2 convs 12 -> 4, BN 8), pre1 1x1
	// 32 -> 8 (256 weights, BN 8).
	cell1 := Cost{Params: 2*48 + 16 + 256 + 16, MACs: (2*48 + 256) * 16}
	// classifier: 4 nodes x 8 channels -> 5 classes.
	head := Cost{Params: 32*5 + 5, MACs: 32 * 5}
	want := Cost{Params: stem.Params + pre.Params + sep.Params + cell1.Params + head.Params,
		MACs: stem.MACs + pre.MACs + sep.MACs + cell1.MACs + head.MACs}
	if got := net.Cost(8); got != want {
		t.Fatalf("Cost(8) = %+v, hand count %+v", got, want)
	}
	if want.Params != net.ParamCount() || want != (Cost{1209, 29344}) {
		t.Fatalf("hand count %+v, ParamCount %d", want, net.ParamCount())
	}
	m, err := NewGenotypeModel[float32]("darts-v2", FinalConfig{Cells: 5, Channels: 8, Classes: 5, InChannels: 1, StemStride: 2}, 28)
	if err != nil {
		t.Fatal(err)
	}
	var _ nn.Costed = m
	if m.MACs() != m.Net().Cost(28).MACs || m.ParamCount() != 35941 {
		t.Fatalf("model: %d MACs, %d parameters", m.MACs(), m.ParamCount())
	}
}

// TestMatchChannels sizes DARTS_V2 and two searched genotypes of the
// committed few-shot table to MAML's Omniglot Conv-4 (5-way, 28x28: 112261
// parameters).
func TestMatchChannels(t *testing.T) {
	target := nn.NewConv4[float32](1, 28, 64, 5).ParamCount()
	for _, c := range []struct {
		ref   string
		wantC int
	}{{"darts-v2", 15}, {softmaxSeed1, 11}, {gumbelSeed0, 12}} {
		g, ok := genotype.Builtin(c.ref)
		if !ok {
			var err error
			if g, err = genotype.ParseString(c.ref); err != nil {
				t.Fatal(err)
			}
		}
		cfg := FinalConfig{Cells: 5, Classes: 5, InChannels: 1, StemStride: 2}
		C, p, err := MatchChannels(g, cfg, target, MatchTolerance)
		if err != nil {
			t.Fatal(err)
		}
		cfg.Channels = C
		n, err := ParamCount(g, cfg)
		if C != c.wantC || n != p || relOff(p, target) < -10 || relOff(p, target) > 10 {
			t.Errorf("%.20s: C=%d, %d parameters (%+.1f%% of %d), want C=%d", c.ref, C, p, relOff(p, target), target, c.wantC)
		}
		// no other C is closer
		for _, d := range []int{-1, 1} {
			cfg.Channels = C + d
			if q, _ := ParamCount(g, cfg); abs(q-target) < abs(p-target) {
				t.Errorf("%.20s: C=%d gives %d, closer to %d than C=%d", c.ref, C+d, q, target, C)
			}
		}
	}
	g, _ := genotype.Builtin("darts-v2")
	cfg := FinalConfig{Cells: 5, Classes: 5, InChannels: 1, StemStride: 2}
	for _, c := range []struct {
		target int
		tol    float64
		err    string
	}{
		{target, 0.001, "no init channel count puts the network within 0% of 112261 parameters: C=14 gives 99433 (-11.4%), C=15 gives 113060 (+0.7%)"},
		{100, MatchTolerance, "no init channel count puts the network within 10% of 100 parameters: C=1 gives "},
		{0, MatchTolerance, "parameter target 0: want at least 1"},
	} {
		_, _, err := MatchChannels(g, cfg, c.target, c.tol)
		if err == nil || !strings.HasPrefix(err.Error(), c.err) || strings.Contains(err.Error(), "\n") {
			t.Errorf("target %d, tol %g: %v, want %q", c.target, c.tol, err, c.err)
		}
	}
	if _, _, err := MatchModelChannels("genotype:darts-v2,channels=8", 1, 28, 5, target, MatchTolerance); err == nil || !strings.Contains(err.Error(), "fixes channels=8") {
		t.Errorf("channels in the name: %v", err)
	}
	C, _, err := MatchModelChannels("genotype:darts-v2,cells=5,stem_stride=2", 1, 28, 5, target, MatchTolerance)
	if err != nil || C != 15 {
		t.Errorf("MatchModelChannels: C=%d, %v", C, err)
	}
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}
