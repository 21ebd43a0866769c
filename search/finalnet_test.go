package search

import (
	"math"
	"math/rand/v2"
	"testing"

	ad "github.com/metabench/metabench/autodiff"
	"github.com/metabench/metabench/nn"
	"github.com/metabench/metabench/search/genotype"
	"github.com/metabench/metabench/tensor"
)

// TestParamCounts checks the counts of SPEC 1.6.4 (the released cells) and
// the few-shot calibration points of SPEC 1.6.3.
func TestParamCounts(t *testing.T) {
	cases := []struct {
		geno    string
		cfg     FinalConfig
		want    int // exact, or
		approxM float64
	}{
		{"base-cifar", FinalConfig{Cells: 20, Channels: 40, Classes: 10}, 3145490, 0},
		{"darts-v2", FinalConfig{Cells: 20, Channels: 36, Classes: 10}, 0, 3.349},
		{"base-imagenet", FinalConfig{Cells: 14, Channels: 48, Classes: 1000, ImageNet: true}, 0, 4.873},
		{"darts-v2", FinalConfig{Cells: 14, Channels: 48, Classes: 1000, ImageNet: true}, 0, 4.719},
		{"darts-v2", FinalConfig{Cells: 10, Channels: 36, Classes: 5, StemStride: 2}, 0, 1.59},
		{"darts-v2", FinalConfig{Cells: 8, Channels: 44, Classes: 5}, 0, 1.70},
		{"darts-v2", FinalConfig{Cells: 11, Channels: 36, Classes: 5}, 0, 1.70},
		{"darts-v2", FinalConfig{Cells: 8, Channels: 40, Classes: 5}, 0, 1.41},
	}
	for _, c := range cases {
		g, _ := genotype.Builtin(c.geno)
		n, err := ParamCount(g, c.cfg)
		if err != nil {
			t.Fatal(err)
		}
		if c.want != 0 && n != c.want {
			t.Errorf("%s %+v: %d params, want %d", c.geno, c.cfg, n, c.want)
		}
		if c.approxM != 0 {
			m := float64(n) / 1e6
			if m < c.approxM-0.0005-0.005*boolf(c.approxM < 2) || m > c.approxM+0.0005+0.005*boolf(c.approxM < 2) {
				t.Errorf("%s %+v: %.4f M params, want %.3f M", c.geno, c.cfg, m, c.approxM)
			}
		}
		t.Logf("%s L=%d C=%d K=%d imagenet=%v: %d", c.geno, c.cfg.Cells, c.cfg.Channels, c.cfg.Classes, c.cfg.ImageNet, n)
	}
	// the auxiliary head is declared but not counted
	g, _ := genotype.Builtin("base-cifar")
	net, err := NewFinalNet(g, FinalConfig{Cells: 20, Channels: 40, Classes: 10, Auxiliary: true})
	if err != nil {
		t.Fatal(err)
	}
	if net.ParamCount() != 3145490 || net.Layout().Count() <= 3145490 {
		t.Errorf("aux head: counted %d, total %d", net.ParamCount(), net.Layout().Count())
	}
}

func boolf(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

func TestFinalConfigErrors(t *testing.T) {
	g, _ := genotype.Builtin("darts-v2")
	for _, cfg := range []FinalConfig{
		{Cells: 0, Channels: 16, Classes: 5},
		{Cells: 3, Channels: 0, Classes: 5},
		{Cells: 3, Channels: 6, Classes: 5, ImageNet: true},
		{Cells: 3, Channels: 16, Classes: 0},
		{Cells: 3, Channels: 16, Classes: 5, StemStride: 3},
		{Cells: 3, Channels: 16, Classes: 5, Reductions: []int{7}},
	} {
		if _, err := NewFinalNet(g, cfg); err == nil {
			t.Errorf("config %+v accepted", cfg)
		}
	}
}

// TestFinalForward runs small final networks (CIFAR and ImageNet stems, odd
// sizes, drop-path, auxiliary head) through a forward and backward pass.
func TestFinalForward(t *testing.T) {
	rng := rand.New(rand.NewPCG(2, 2))
	for _, c := range []struct {
		geno string
		cfg  FinalConfig
		hw   int
	}{
		{"darts-v2", FinalConfig{Cells: 3, Channels: 4, Classes: 5, InChannels: 1, StemStride: 1}, 7},
		// odd C, as a parameter-matched size may be (MatchChannels)
		{"darts-v2", FinalConfig{Cells: 5, Channels: 5, Classes: 5, InChannels: 1, StemStride: 2}, 28},
		{"base-cifar", FinalConfig{Cells: 3, Channels: 4, Classes: 5, InChannels: 3, StemStride: 2, DropPath: 0.3}, 21},
		{"base-imagenet", FinalConfig{Cells: 3, Channels: 8, Classes: 4, InChannels: 3, ImageNet: true}, 128},
		{"base-cifar", FinalConfig{Cells: 3, Channels: 4, Classes: 5, InChannels: 3, Auxiliary: true, DropPath: 0.2}, 32},
	} {
		g, _ := genotype.Builtin(c.geno)
		net, err := NewFinalNet(g, c.cfg)
		if err != nil {
			t.Fatal(err)
		}
		vals := NewParams[float32](net.Layout(), rng)
		tp := ad.NewTape[float32]()
		p := make([]*ad.Var[float32], len(vals))
		for i, v := range vals {
			p[i] = tp.Param(v)
		}
		x := tensor.New[float32](2, c.cfg.InChannels, c.hw, c.hw)
		for i := range x.Data {
			x.Data[i] = float32(rng.NormFloat64())
		}
		logits, aux := FinalForward(net, tp, p, tp.Const(x), FinalForwardOpts{DropPath: c.cfg.DropPath, Rng: rng})
		if !tensor.SameShape(logits.Shape(), []int{2, c.cfg.Classes}) {
			t.Fatalf("%s: logits %v", c.geno, logits.Shape())
		}
		if c.cfg.Auxiliary != (aux != nil) {
			t.Fatalf("%s: aux head %v", c.geno, aux != nil)
		}
		loss := ad.CrossEntropy(logits, []int{0, 1})
		gs, err := ad.Grad(loss, p, false)
		if err != nil {
			t.Fatal(err)
		}
		if v := float64(loss.Item()); math.IsNaN(v) || len(gs) != len(p) {
			t.Fatalf("%s: loss %v", c.geno, v)
		}
	}
	m, err := NewGenotypeModel[float32]("genotype:darts-v2", FinalConfig{Cells: 2, Channels: 4, Classes: 3, InChannels: 1}, 16)
	if err != nil {
		t.Fatal(err)
	}
	if err := nn.CheckShapes[float32](m, m.Init(rng).Tensors); err != nil {
		t.Fatal(err)
	}
	if m.Name() != "genotype:darts-v2-L2-C4" || !IsGenotypeModel("genotype:x") {
		t.Fatal(m.Name())
	}
}
