package search

import (
	"math/rand/v2"
	"testing"

	"github.com/metabench/metabench/nn"
)

func TestModelNames(t *testing.T) {
	s, err := ParseModelName("genotype:darts-v2,cells=8,stem_stride=2,channels=12")
	if err != nil || s.Ref != "darts-v2" || s.Cells != 8 || s.StemStride != 2 || s.Channels != 12 {
		t.Fatalf("%+v %v", s, err)
	}
	for _, bad := range []string{"conv4", "genotype:", "genotype:x,cells=0", "genotype:x,cells=two", "genotype:x,depth=3", "genotype:x,cells"} {
		if _, err := ParseModelName(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	m, err := NewModelFromName[float32]("genotype:base-cifar", 8, 1, 28, 5)
	if err != nil {
		t.Fatal(err)
	}
	c := m.Net().Config()
	if c.Cells != DefaultFewShotCells || c.Channels != 8 || c.StemStride != 1 || c.Classes != 5 || c.InChannels != 1 {
		t.Fatalf("defaults: %+v", c)
	}
	m, err = NewModelFromName[float32]("genotype:darts-v2,cells=10,channels=36", 32, 3, 84, 5)
	if err != nil {
		t.Fatal(err)
	}
	// SPEC 1.6.3 calibration: DARTS_V2, L=10, C=36, 5 ways -> 1.59 M
	if n := m.ParamCount(); n != 1593149 || m.Net().Config().StemStride != 2 {
		t.Fatalf("few-shot DARTS_V2 network: %d params, stem stride %d", n, m.Net().Config().StemStride)
	}
	var _ nn.Model[float32] = m
	p := m.Init(rand.New(rand.NewPCG(1, 2)))
	if p.Count() != m.ParamCount() || len(p.Names) != len(m.ParamShapes()) {
		t.Fatal("Init does not match the declared shapes")
	}
	if _, err := NewModelFromName[float32]("genotype:missing-file.yaml", 8, 1, 28, 5); err == nil {
		t.Fatal("missing genotype accepted")
	}
}

func TestCheckInput(t *testing.T) {
	if _, err := NewModelFromName[float32]("genotype:darts-v2,cells=5,stem_stride=2", 8, 1, 12, 5); err == nil {
		t.Error("12x12 images through a stride-2 stem and two reductions accepted (3x3 maps)")
	}
	net, err := NewSearchNet(SearchNetConfig{Cells: 3, Channels: 4, Classes: 5, InChannels: 1, StemStride: 2, Reductions: []int{1, 2}})
	if err != nil {
		t.Fatal(err)
	}
	if net.CheckInput(28) != nil || net.CheckInput(16) == nil {
		t.Error("search network input check")
	}
}
