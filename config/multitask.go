package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"reflect"
	"strings"

	"gopkg.in/yaml.v3"
)

// MetatrainFile is a multi-task meta-training experiment file
// (metabench metatrain): the task sources, the meta-network and variant B.
type MetatrainFile struct {
	Version    int      `yaml:"version"`
	Seed       int64    `yaml:"seed"`
	Workers    int      `yaml:"workers"`          // tasks adapted in parallel; 0 = GOMAXPROCS
	Checkpoint Duration `yaml:"checkpoint_every"` // wall clock between checkpoints
	Store      string   `yaml:"store"`

	Sources   []TaskSource   `yaml:"sources"`
	Network   MetaNetwork    `yaml:"network"`
	Metatrain MetatrainSetup `yaml:"metatrain"`
}

// TaskSource is one component of the task mixture: 10-class tasks drawn
// from a real many-class source at one image size.
type TaskSource struct {
	Name   string  `yaml:"name"`
	Path   string  `yaml:"path"`   // datasets.Open path ("embedded" = Omniglot background)
	Subset string  `yaml:"subset"` // format subset (IDX/CIFAR "train", ...)
	Size   int     `yaml:"size"`   // image side; selects the head
	Weight float64 `yaml:"weight"` // share of the tasks (0 counts as 1)
}

// MetaNetwork sizes the multi-task meta-network (SPEC 1.6.1).
type MetaNetwork struct {
	Cells      int        `yaml:"cells"`
	Channels   int        `yaml:"channels"`
	Reductions []int      `yaml:"reductions,flow"` // omitted: floor(L/3), floor(2L/3); [] means none
	Heads      []MetaHead `yaml:"heads"`
}

// MetaHead is the head of one image size: stride 2, 4 or 8.
type MetaHead struct {
	Size   int `yaml:"size"`
	Stride int `yaml:"stride"`
}

// MetatrainSetup is variant B with its inner optimiser (SPEC 3.4, 6).
type MetatrainSetup struct {
	Relaxation  string   `yaml:"relaxation"` // gumbel or softmax
	Hard        bool     `yaml:"hard"`
	TauMax      float64  `yaml:"tau_max"`
	TauMin      float64  `yaml:"tau_min"`
	InnerSteps  int      `yaml:"inner_steps"` // T, SGD steps per task
	Batch       int      `yaml:"batch"`       // inner minibatch
	InnerLR     float64  `yaml:"inner_lr"`    // η_W
	InnerLRArch float64  `yaml:"inner_lr_arch"`
	Momentum    float64  `yaml:"momentum"`
	WeightDecay float64  `yaml:"weight_decay"`
	Clip        float64  `yaml:"clip"`         // gradient-norm clip of the inner weight gradients
	MetaBatch   int      `yaml:"meta_batch"`   // K tasks per meta-iteration
	Beta        float64  `yaml:"beta"`         // meta step at the first iteration
	BetaFinal   float64  `yaml:"beta_final"`   // at the last (linear)
	Shots       int      `yaml:"shots"`        // training images per class of a task
	Queries     int      `yaml:"queries"`      // held-out images per class (monitoring)
	EvalSamples int      `yaml:"eval_samples"` // Gumbel samples averaged when scoring (0 = noise-free softmax(α/τ))
	Iterations  int      `yaml:"iterations"`
	Budget      Duration `yaml:"budget"`
}

// DefaultMetatrain is SPEC's multi-task setting at paper scale (ImageNet
// 32/64/224 heads, 8 cells, C = 16; 24 tasks per meta-iteration, 130
// iterations; DARTS inner SGD). The sources must be given.
func DefaultMetatrain() MetatrainFile {
	return MetatrainFile{
		Version: Version, Workers: 0, Checkpoint: Duration{60e9},
		Network: MetaNetwork{Cells: 8, Channels: 16, // reductions nil: floor(L/3), floor(2L/3)
			Heads: []MetaHead{{32, 2}, {64, 2}, {224, 8}}},
		Metatrain: MetatrainSetup{Relaxation: "gumbel", TauMax: 1, TauMin: 0.1, InnerSteps: 200, Batch: 64,
			InnerLR: 0.025, InnerLRArch: 0.025, Momentum: 0.9, WeightDecay: 3e-4, Clip: 5,
			MetaBatch: 24, Beta: 1, BetaFinal: 0, Shots: 1000, Queries: 50, Iterations: 130},
	}
}

// decodeStrict decodes b onto dst (pre-filled with defaults) with unknown
// keys rejected and the version checked first.
func decodeStrict(b []byte, dst any) error { return decodeStrictRenamed(b, dst, nil) }

// decodeStrictRenamed is decodeStrict with yaml's messages passed through
// rename first (blockDoc), when it is set.
func decodeStrictRenamed(b []byte, dst any, rename func(string) string) error {
	if len(bytes.TrimSpace(b)) == 0 {
		return errors.New("empty experiment file")
	}
	var head struct {
		Version *int `yaml:"version"`
	}
	if err := yaml.Unmarshal(b, &head); err != nil {
		return YAMLError(err)
	}
	if head.Version == nil {
		return errors.New("version: missing (this binary reads version 1)")
	}
	if *head.Version != Version {
		return fmt.Errorf("version: %d is not supported (this binary reads version %d)", *head.Version, Version)
	}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(dst); err != nil {
		if errors.Is(err, io.EOF) {
			return errors.New("empty experiment file")
		}
		var te *yaml.TypeError
		if rename != nil && errors.As(err, &te) {
			for i, m := range te.Errors {
				te.Errors[i] = rename(m)
			}
		}
		return YAMLError(err)
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		return errors.New("more than one YAML document")
	}
	return nil
}

// setPath applies "key=value" to the struct *root (dotted YAML path).
func setPath(root any, kv string) error {
	key, val, ok := strings.Cut(kv, "=")
	key = strings.TrimSpace(key)
	if !ok || key == "" {
		return fmt.Errorf("override %q: want key=value", kv)
	}
	return setAt(root, key, key, val)
}

// setAt decodes val as YAML into the field of *root at the dotted YAML path;
// errors name the field as key (the path as the user wrote it).
func setAt(root any, key, path, val string) error {
	f, err := fieldByPath(reflect.ValueOf(root).Elem(), path)
	if err != nil {
		return fmt.Errorf("override %s: %w", key, err)
	}
	if f.Kind() == reflect.Struct && f.Type() != reflect.TypeOf(Duration{}) {
		return fmt.Errorf("override %s: is a section; set one of its keys (%s)", key, strings.Join(yamlKeys(f.Type()), ", "))
	}
	nv := reflect.New(f.Type())
	if err := yaml.Unmarshal([]byte(val), nv.Interface()); err != nil {
		return fmt.Errorf("override %s=%s: %v", key, val, YAMLError(err))
	}
	f.Set(nv.Elem())
	return nil
}

func toMap(v any) map[string]any {
	b, err := yaml.Marshal(v)
	if err != nil {
		return nil
	}
	var m map[string]any
	if err := yaml.Unmarshal(b, &m); err != nil {
		return nil
	}
	return m
}

// ParseMetatrain decodes a meta-training file strictly onto the defaults.
func ParseMetatrain(b []byte) (*MetatrainFile, error) {
	c := DefaultMetatrain()
	if err := decodeStrict(b, &c); err != nil {
		return nil, err
	}
	return &c, nil
}

// LoadMetatrain reads, decodes, overrides ("key=value", in order) and
// validates a meta-training file.
func LoadMetatrain(path string, overrides []string) (*MetatrainFile, error) {
	return load(path, overrides, ParseMetatrain)
}

// Set applies one override "key=value" (e.g. metatrain.iterations=5).
func (c *MetatrainFile) Set(kv string) error { return setPath(c, kv) }

// Map returns the file as a generic map (for records).
func (c *MetatrainFile) Map() map[string]any { return toMap(c) }

// YAML encodes the file.
func (c *MetatrainFile) YAML() ([]byte, error) { return yaml.Marshal(c) }

type fieldCheck struct {
	bad   bool
	field string
	msg   string
}

func firstBad(checks []fieldCheck) error {
	for _, k := range checks {
		if k.bad {
			return fmt.Errorf("%s: %s", k.field, k.msg)
		}
	}
	return nil
}

// Validate checks ranges and that every source has a head.
func (c *MetatrainFile) Validate() error {
	m, n := c.Metatrain, c.Network
	checks := []fieldCheck{
		{c.Workers < 0, "workers", "must be at least 0"},
		{len(c.Sources) == 0, "sources", "no task sources"},
		{n.Cells < 1, "network.cells", "must be at least 1"},
		{n.Channels < 2 || n.Channels%2 != 0, "network.channels", "must be an even number of at least 2"},
		{len(n.Heads) == 0, "network.heads", "no heads"},
		{m.Relaxation != "gumbel" && m.Relaxation != "softmax", "metatrain.relaxation", fmt.Sprintf("%q is not gumbel or softmax", m.Relaxation)},
		{m.Relaxation == "gumbel" && (m.TauMin <= 0 || m.TauMax < m.TauMin), "metatrain.tau_min", "want 0 < tau_min <= tau_max"},
		{m.InnerSteps < 0, "metatrain.inner_steps", "must be at least 0"},
		{m.Batch < 1, "metatrain.batch", "must be at least 1"},
		{m.InnerLR < 0, "metatrain.inner_lr", "must be at least 0"},
		{m.InnerLRArch < 0, "metatrain.inner_lr_arch", "must be at least 0"},
		{m.Momentum < 0 || m.Momentum >= 1, "metatrain.momentum", "must be in [0, 1)"},
		{m.WeightDecay < 0, "metatrain.weight_decay", "must be at least 0"},
		{m.Clip < 0, "metatrain.clip", "must be 0 (off) or above"},
		{m.MetaBatch < 1, "metatrain.meta_batch", "must be at least 1"},
		{m.Beta <= 0, "metatrain.beta", "must be above 0"},
		{m.BetaFinal < 0, "metatrain.beta_final", "must be at least 0"},
		{m.Shots < 1, "metatrain.shots", "must be at least 1"},
		{m.Queries < 0, "metatrain.queries", "must be at least 0"},
		{m.EvalSamples < 0, "metatrain.eval_samples", "must be at least 0"},
		{m.Iterations < 0, "metatrain.iterations", "must be at least 0"},
		{m.Iterations == 0 && m.Budget.Duration == 0, "metatrain.iterations", "metatrain.iterations and metatrain.budget are both 0: set at least one limit"},
	}
	for _, r := range n.Reductions {
		checks = append(checks, fieldCheck{r < 0 || r >= n.Cells, "network.reductions", fmt.Sprintf("cell %d does not exist in %d cells", r, n.Cells)})
	}
	heads := map[int]bool{}
	for _, h := range n.Heads {
		checks = append(checks,
			fieldCheck{h.Size < 1, "network.heads", fmt.Sprintf("size %d", h.Size)},
			fieldCheck{heads[h.Size], "network.heads", fmt.Sprintf("two heads for size %d", h.Size)},
			fieldCheck{h.Stride != 2 && h.Stride != 4 && h.Stride != 8, "network.heads", fmt.Sprintf("size %d: stride %d, want 2, 4 or 8", h.Size, h.Stride)})
		heads[h.Size] = true
	}
	for i, s := range c.Sources {
		f := fmt.Sprintf("sources[%d]", i)
		checks = append(checks,
			fieldCheck{s.Path == "", f + ".path", "missing"},
			fieldCheck{!heads[s.Size], f + ".size", fmt.Sprintf("%d has no head in network.heads", s.Size)},
			fieldCheck{s.Weight < 0, f + ".weight", "must be at least 0"})
	}
	return firstBad(checks)
}

// AdaptFile is a transfer experiment (metabench adapt): adapt a
// multi-task prior to unseen datasets, derive genotypes, train their final
// networks, and draw the adaptation and PCA figures.
type AdaptFile struct {
	Version int    `yaml:"version"`
	Seed    int64  `yaml:"seed"`
	Workers int    `yaml:"workers"` // jobs run in parallel; 0 = GOMAXPROCS
	Store   string `yaml:"store"`
	Prior   string `yaml:"prior"` // meta-training folder (--prior overrides)

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

// DefaultAdapt is the paper-scale transfer setting (CIFAR final network:
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

// ParseAdapt decodes a transfer file strictly onto the defaults.
func ParseAdapt(b []byte) (*AdaptFile, error) {
	c := DefaultAdapt()
	if err := decodeStrict(b, &c); err != nil {
		return nil, err
	}
	return &c, nil
}

// LoadAdapt reads, decodes, overrides and validates a transfer file.
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
