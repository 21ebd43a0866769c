package config

import (
	"fmt"
	"path/filepath"
	"strings"
)

// AdaptFile is an adapt experiment file (metabench adapt): adapt a
// multi-task prior to unseen datasets, derive genotypes, train their final
// networks, and draw the adaptation and PCA figures.
type AdaptFile struct {
	Version int    `yaml:"version"`
	Seed    int64  `yaml:"seed"`
	Workers int    `yaml:"workers"` // jobs run in parallel; 0 = GOMAXPROCS
	Store   string `yaml:"store"`
	Prior   string `yaml:"prior"` // the prior: a metatrain run folder

	Targets []AdaptTarget `yaml:"targets"`
	Adapt   AdaptSetup    `yaml:"adapt"`
	Final   FinalSetup    `yaml:"final"`
}

// AdaptTarget is an unseen 10-class dataset.
type AdaptTarget struct {
	Name        string `yaml:"name"`
	Path        string `yaml:"path"`
	TrainSubset string `yaml:"train_subset"` // "train"
	// TestSubset is the split scored ("test"), or "validation": images of
	// the training split that the adaptation never sees (for choosing
	// settings without the test images).
	TestSubset  string `yaml:"test_subset"`
	Size        int    `yaml:"size"`         // images resized to size (selects the head); grey images are replicated to RGB
	TrainImages int    `yaml:"train_images"` // seeded subset for adaptation (0 = all)
	TestImages  int    `yaml:"test_images"`  // seeded subset of the test images (0 = all)
	// Related names another target whose adapted genotype is the "tuned on
	// a related source" row of this target's table ("" = no such row).
	Related string `yaml:"related"`
	// Table: whether this target gets final networks (Tables 1-2 rows).
	Table bool `yaml:"table"`
}

// ValidationSubset as a target's test_subset scores held-out images of the
// training split instead of the test split.
const ValidationSubset = "validation"

// AdaptSetup is the adaptation of the prior (SPEC 3.6).
type AdaptSetup struct {
	Epochs      int     `yaml:"epochs"`
	Batch       int     `yaml:"batch"`
	InnerLR     float64 `yaml:"inner_lr"`
	InnerLRArch float64 `yaml:"inner_lr_arch"`
	Momentum    float64 `yaml:"momentum"`
	WeightDecay float64 `yaml:"weight_decay"`
	Clip        float64 `yaml:"clip"`
	// ClipArch is the max global norm of the architecture-logit gradients
	// (0 = off; Clip bounds the weights' only).
	ClipArch    float64 `yaml:"clip_arch"`
	EvalBatch   int     `yaml:"eval_batch"`
	EvalSamples int     `yaml:"eval_samples"` // Gumbel samples averaged when scoring (0 = noise-free softmax(α/τ))
	Frozen      bool    `yaml:"frozen"`       // also adapt with α frozen (Figure 4 ablation)
	// Scratch also trains the same super-network from scratch (PyTorch
	// initialisation, near-uniform α at temperature 1: DARTS) the same way
	// (Figure 4's baseline).
	Scratch bool   `yaml:"scratch"`
	Rule    string `yaml:"rule"` // genotype decoding: base or darts
	// Noise trains each step on a Gumbel sample softmax((α+g)/τ) (gumbel) or
	// on the noise-free softmax(α/τ) that scoring uses (none).
	Noise string `yaml:"noise"`
	// Tau is the adaptation's temperature; 0 takes the prior's final one.
	Tau float64 `yaml:"tau"`
	// Schedule of the learning rates over the adaptation: constant or cosine.
	Schedule string `yaml:"schedule"`
}

// FinalSetup is the training of the final networks (scaled-down SPEC 6.1).
type FinalSetup struct {
	Cells       int      `yaml:"cells"`
	Channels    int      `yaml:"channels"`
	StemStride  int      `yaml:"stem_stride"`
	Reductions  []int    `yaml:"reductions,flow"` // omitted: floor(L/3), floor(2L/3); [] means none
	Auxiliary   bool     `yaml:"auxiliary"`
	DropPath    float64  `yaml:"drop_path"`
	Epochs      int      `yaml:"epochs"`
	Batch       int      `yaml:"batch"`
	LR          float64  `yaml:"lr"`
	Momentum    float64  `yaml:"momentum"`
	WeightDecay float64  `yaml:"weight_decay"`
	Clip        float64  `yaml:"clip"`
	TrainImages int      `yaml:"train_images"` // seeded subset of the training images (0 = all)
	EvalBatch   int      `yaml:"eval_batch"`
	Baselines   []string `yaml:"baselines,flow"` // built-in or file genotypes trained the same way (darts-v2)
	Skip        bool     `yaml:"skip"`           // adaptation and figures only
}

// DefaultAdapt is the paper-scale adapt setting (CIFAR final network:
// 20 cells, C = 40, 600 epochs, batch 96, cutout/drop-path/aux as SPEC 6.1,
// cutout not implemented). Targets must be given.
func DefaultAdapt() AdaptFile {
	return AdaptFile{
		Version: Version,
		Adapt: AdaptSetup{Epochs: 6, Batch: 64, InnerLR: 0.025, InnerLRArch: 0.025, Momentum: 0.9,
			WeightDecay: 3e-4, Clip: 5, EvalBatch: 500, Frozen: true, Rule: "base", Noise: "none", Schedule: "cosine"},
		Final: FinalSetup{Cells: 20, Channels: 40, StemStride: 1, Auxiliary: true, DropPath: 0.2, Epochs: 600, Batch: 96,
			LR: 0.025, Momentum: 0.9, WeightDecay: 3e-4, Clip: 5, EvalBatch: 500, Baselines: []string{"darts-v2"}},
	}
}

// ParseAdapt decodes an adapt file strictly onto the defaults.
func ParseAdapt(b []byte) (*AdaptFile, error) {
	c := DefaultAdapt()
	if err := decodeStrict(b, &c); err != nil {
		return nil, err
	}
	return &c, nil
}

// LoadAdapt reads, decodes, overrides and validates an adapt file.
func LoadAdapt(path string, overrides []string) (*AdaptFile, error) {
	return load(path, overrides, ParseAdapt)
}

// Set applies one override "key=value" (e.g. adapt.epochs=2).
func (c *AdaptFile) Set(kv string) error { return setPath(c, kv) }

// Map returns the file as a generic map (for records).
func (c *AdaptFile) Map() map[string]any { return toMap(c) }

// Validate checks ranges and target references.
func (c *AdaptFile) Validate() error {
	a, f := c.Adapt, c.Final
	checks := []fieldCheck{
		{c.Workers < 0, "workers", "must be at least 0"},
		{len(c.Targets) == 0, "targets", "no target datasets"},
		{a.Epochs < 0, "adapt.epochs", "must be at least 0"},
		{a.Batch < 1, "adapt.batch", "must be at least 1"},
		{a.InnerLR < 0, "adapt.inner_lr", "must be at least 0"},
		{a.InnerLRArch < 0, "adapt.inner_lr_arch", "must be at least 0"},
		{a.Momentum < 0 || a.Momentum >= 1, "adapt.momentum", "must be in [0, 1)"},
		{a.WeightDecay < 0, "adapt.weight_decay", "must be at least 0"},
		{a.Clip < 0, "adapt.clip", "must be 0 (off) or above"},
		{a.ClipArch < 0, "adapt.clip_arch", "must be 0 (off) or above"},
		{a.EvalBatch < 1, "adapt.eval_batch", "must be at least 1"},
		{a.EvalSamples < 0, "adapt.eval_samples", "must be at least 0"},
		{a.Rule != "base" && a.Rule != "darts", "adapt.rule", fmt.Sprintf("%q is not base or darts", a.Rule)},
		{a.Noise != "gumbel" && a.Noise != "none", "adapt.noise", fmt.Sprintf("%q is not gumbel or none", a.Noise)},
		{a.Tau < 0, "adapt.tau", "must be 0 (the prior's) or above"},
		{a.Schedule != "constant" && a.Schedule != "cosine", "adapt.schedule", fmt.Sprintf("%q is not constant or cosine", a.Schedule)},
		{f.Cells < 1, "final.cells", "must be at least 1"},
		{f.Channels < 2 || f.Channels%2 != 0, "final.channels", "must be an even number of at least 2"},
		{f.StemStride != 1 && f.StemStride != 2, "final.stem_stride", "must be 1 or 2"},
		{f.DropPath < 0 || f.DropPath >= 1, "final.drop_path", "must be in [0, 1)"},
		{f.Epochs < 1, "final.epochs", "must be at least 1"},
		{f.Batch < 1, "final.batch", "must be at least 1"},
		{f.LR <= 0, "final.lr", "must be above 0"},
		{f.Momentum < 0 || f.Momentum >= 1, "final.momentum", "must be in [0, 1)"},
		{f.WeightDecay < 0, "final.weight_decay", "must be at least 0"},
		{f.Clip < 0, "final.clip", "must be 0 (off) or above"},
		{f.TrainImages < 0, "final.train_images", "must be at least 0"},
		{f.EvalBatch < 1, "final.eval_batch", "must be at least 1"},
	}
	for _, r := range f.Reductions {
		checks = append(checks, fieldCheck{r < 0 || r >= f.Cells, "final.reductions", fmt.Sprintf("cell %d does not exist in %d cells", r, f.Cells)})
	}
	names := map[string]bool{}
	for i, t := range c.Targets {
		fld := fmt.Sprintf("targets[%d]", i)
		checks = append(checks,
			fieldCheck{t.Name == "", fld + ".name", "missing"},
			fieldCheck{names[t.Name], fld + ".name", fmt.Sprintf("%q used twice", t.Name)},
			fieldCheck{t.Path == "", fld + ".path", "missing"},
			fieldCheck{t.Size < 1, fld + ".size", "must be at least 1"},
			fieldCheck{t.TrainImages < 0 || t.TestImages < 0, fld + ".train_images", "image counts must be at least 0"})
		names[t.Name] = true
	}
	for i, t := range c.Targets {
		checks = append(checks, fieldCheck{t.Related != "" && (!names[t.Related] || t.Related == t.Name),
			fmt.Sprintf("targets[%d].related", i), fmt.Sprintf("%q is not another target", t.Related)})
	}
	return firstBad(checks)
}

// SingleTarget is the adaptation to one dataset (metabench adapt --data):
// the defaults with that target (its "train" and "test" subsets), minibatches
// of 16, no final networks; overrides apply after, then the file is
// validated.
func SingleTarget(path string, size, epochs, trainImages, testImages int, frozen bool, overrides []string) (*AdaptFile, error) {
	c := DefaultAdapt()
	c.Targets = []AdaptTarget{{Name: strings.TrimSuffix(filepath.Base(path), filepath.Ext(path)), Path: path,
		TrainSubset: "train", TestSubset: "test", Size: size, TrainImages: trainImages, TestImages: testImages}}
	c.Adapt.Epochs, c.Adapt.Batch, c.Adapt.EvalBatch, c.Adapt.Frozen = epochs, 16, 100, frozen
	c.Final.Skip = true
	for _, s := range overrides {
		if err := c.Set(s); err != nil {
			return nil, err
		}
	}
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return &c, nil
}
