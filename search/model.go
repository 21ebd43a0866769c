package search

import (
	"fmt"
	"math/rand/v2"
	"strings"

	ad "github.com/metabench/metabench/autodiff"
	"github.com/metabench/metabench/nn"
	"github.com/metabench/metabench/search/genotype"
	"github.com/metabench/metabench/tensor"
)

// GenotypeModel is the final network of a genotype as an nn.Model, so the
// MAML train and eval commands can meta-train it like Conv-4. BN uses batch
// statistics (transductive, as in MAML); drop-path and the auxiliary head are
// not used through this interface (MAML trains the few-shot network without
// them, SPEC 1.6.3).
type GenotypeModel[T tensor.Float] struct {
	net  *FinalNet
	side int // of the square input images
}

var (
	_ nn.Model[float32] = (*GenotypeModel[float32])(nil)
	_ nn.Costed         = (*GenotypeModel[float32])(nil)
)

// NewGenotypeModel builds the model of a genotype reference (a built-in name
// or a YAML/JSON file, optionally prefixed "genotype:") with the given sizes,
// for square images of the given side (checked: FinalNet.CheckInput). The
// auxiliary head is never built here.
func NewGenotypeModel[T tensor.Float](ref string, cfg FinalConfig, side int) (*GenotypeModel[T], error) {
	g, err := genotype.Load(ref)
	if err != nil {
		return nil, err
	}
	cfg.Auxiliary = false
	net, err := NewFinalNet(g, cfg)
	if err != nil {
		return nil, err
	}
	if err := net.CheckInput(side); err != nil {
		return nil, err
	}
	return &GenotypeModel[T]{net: net, side: side}, nil
}

// IsGenotypeModel reports whether a model name selects a genotype network
// ("genotype:NAME|FILE").
func IsGenotypeModel(name string) bool { return strings.HasPrefix(name, "genotype:") }

// Net is the underlying network.
func (m *GenotypeModel[T]) Net() *FinalNet { return m.net }

// Name is "genotype:<name>-L<cells>-C<channels>".
func (m *GenotypeModel[T]) Name() string {
	c := m.net.cfg
	return fmt.Sprintf("genotype:%s-L%d-C%d", m.net.geno.Name, c.Cells, c.Channels)
}

// Init draws fresh parameters (PyTorch default initialisation).
func (m *GenotypeModel[T]) Init(rng *rand.Rand) nn.Params[T] {
	return nn.Params[T]{Names: m.ParamNames(), Tensors: NewParams[T](m.net.layout, rng)}
}

// Forward returns the logits [N, classes].
func (m *GenotypeModel[T]) Forward(tp *ad.Tape[T], params []*ad.Var[T], x *ad.Var[T]) *ad.Var[T] {
	logits, _ := FinalForward(m.net, tp, params, x, FinalForwardOpts{})
	return logits
}

// ParamNames lists the parameters in order.
func (m *GenotypeModel[T]) ParamNames() []string {
	out := make([]string, len(m.net.layout.Specs))
	for i, s := range m.net.layout.Specs {
		out[i] = s.Name
	}
	return out
}

// ParamShapes lists the parameter shapes in order.
func (m *GenotypeModel[T]) ParamShapes() [][]int {
	out := make([][]int, len(m.net.layout.Specs))
	for i, s := range m.net.layout.Specs {
		out[i] = append([]int(nil), s.Shape...)
	}
	return out
}

// ParamCount is the number of scalar parameters.
func (m *GenotypeModel[T]) ParamCount() int { return m.net.layout.Count() }

// MACs is the multiply-accumulates of one forward pass of one image
// (FinalNet.Cost; nn.Costed).
func (m *GenotypeModel[T]) MACs() int { return m.net.Cost(m.side).MACs }

// ModelSpec is a parsed genotype model name
//
//	genotype:REF[,cells=L][,channels=C][,stem_stride=S]
//
// REF is a built-in genotype or a YAML/JSON file. Omitted sizes take the
// defaults of NewModelFromName.
type ModelSpec struct {
	Ref                         string
	Cells, Channels, StemStride int // 0 = default
}

// ParseModelName parses a genotype model name.
func ParseModelName(name string) (ModelSpec, error) {
	rest, ok := strings.CutPrefix(name, "genotype:")
	if !ok {
		return ModelSpec{}, fmt.Errorf("model %q is not a genotype model (want genotype:NAME|FILE[,cells=L][,channels=C][,stem_stride=S])", name)
	}
	parts := strings.Split(rest, ",")
	spec := ModelSpec{Ref: parts[0]}
	if spec.Ref == "" {
		return spec, fmt.Errorf("model %q: no genotype named", name)
	}
	for _, p := range parts[1:] {
		k, v, ok := strings.Cut(p, "=")
		var n int
		if _, err := fmt.Sscanf(v, "%d", &n); !ok || err != nil || fmt.Sprint(n) != v || n < 1 {
			return spec, fmt.Errorf("model %q: %q is not key=positive-integer", name, p)
		}
		switch k {
		case "cells":
			spec.Cells = n
		case "channels":
			spec.Channels = n
		case "stem_stride":
			spec.StemStride = n
		default:
			return spec, fmt.Errorf("model %q: unknown size %q (known: cells, channels, stem_stride)", name, k)
		}
	}
	return spec, nil
}

// DefaultFewShotCells is the number of cells of a few-shot final network
// when the model name does not say (reductions at 1 and 3: N R N R N).
const DefaultFewShotCells = 5

// NewModelFromName builds the few-shot final network named by a genotype
// model name for images [inChannels, size, size] and `ways` classes, with
// the sizes of ModelSpec.FinalConfig.
func NewModelFromName[T tensor.Float](name string, filters, inChannels, size, ways int) (*GenotypeModel[T], error) {
	spec, err := ParseModelName(name)
	if err != nil {
		return nil, err
	}
	return NewGenotypeModel[T](spec.Ref, spec.FinalConfig(filters, inChannels, size, ways), size)
}

// FinalConfig sizes the few-shot final network of the spec for images
// [inChannels, size, size] and `ways` classes: the channels default to
// filters (the experiment file's model.filters), the cells to
// DefaultFewShotCells, and the stem stride to 2 for images larger than 32
// pixels (84 -> 42, SPEC 1.6.3) and 1 otherwise (Omniglot 28).
func (s ModelSpec) FinalConfig(filters, inChannels, size, ways int) FinalConfig {
	cfg := FinalConfig{Cells: s.Cells, Channels: s.Channels, StemStride: s.StemStride, Classes: ways, InChannels: inChannels}
	if cfg.Cells == 0 {
		cfg.Cells = DefaultFewShotCells
	}
	if cfg.Channels == 0 {
		cfg.Channels = filters
	}
	if cfg.StemStride == 0 {
		cfg.StemStride = 1
		if size > 32 {
			cfg.StemStride = 2
		}
	}
	return cfg
}

// MatchModelChannels returns the filters (init channels C) with which
// NewModelFromName(name, C, inChannels, size, ways) has the parameter count
// closest to target, and that count (MatchChannels, within tol of target).
// The name must leave the channels to it (no channels=).
func MatchModelChannels(name string, inChannels, size, ways, target int, tol float64) (int, int, error) {
	spec, err := ParseModelName(name)
	if err != nil {
		return 0, 0, err
	}
	if spec.Channels != 0 {
		return 0, 0, fmt.Errorf("model %q fixes channels=%d; remove it to have them matched", name, spec.Channels)
	}
	g, err := genotype.Load(spec.Ref)
	if err != nil {
		return 0, 0, err
	}
	return MatchChannels(g, spec.FinalConfig(0, inChannels, size, ways), target, tol)
}
