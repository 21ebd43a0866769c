package config

import (
	"fmt"

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
	// Eval is the multi-task validation curve; all zero (the default) is
	// none, and the file then reads and runs as before it existed.
	Eval MetatrainEval `yaml:"eval,omitempty"`
}

// MetatrainEval is the multi-task validation of a metatrain file
// (docs/DECISIONS.md R35): a share of every source's classes is held out
// of meta-training by a split seeded by Seed, not by the run's seed, so
// that every seed of a suite holds out the same classes; ValTasks fixed
// 10-class tasks are drawn once from them (the sources' mixture, sizes and
// heads; metatrain.shots to adapt on, metatrain.queries to score), and Θ
// is adapted to each and scored every EveryIters meta-iterations and at
// the last. The points are the record's validation curve (report --plateau).
type MetatrainEval struct {
	// ValFraction of each source's groups (Omniglot's alphabets), or of its
	// classes when it has none, held out of meta-training for validation
	// (episodes.SplitAuto, as data.val_fraction of the train files).
	ValFraction float64 `yaml:"val_fraction,omitempty"`
	// ValTasks fixed validation tasks per curve point; 0 = no validation.
	ValTasks int `yaml:"val_tasks,omitempty"`
	// EveryIters > 0 validates after every EveryIters meta-iterations; 0
	// validates after the last one only.
	EveryIters int `yaml:"every_iterations,omitempty"`
	// Seed of the split and of the validation tasks (0 by default; never
	// the run's seed).
	Seed int64 `yaml:"seed,omitempty"`
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

// ParseMetatrain decodes a metatrain file strictly onto the defaults.
func ParseMetatrain(b []byte) (*MetatrainFile, error) {
	c := DefaultMetatrain()
	if err := decodeStrict(b, &c); err != nil {
		return nil, err
	}
	return &c, nil
}

// LoadMetatrain reads, decodes, overrides ("key=value", in order) and
// validates a metatrain file.
func LoadMetatrain(path string, overrides []string) (*MetatrainFile, error) {
	return load(path, overrides, ParseMetatrain)
}

// Set applies one override "key=value" (e.g. metatrain.iterations=5).
func (c *MetatrainFile) Set(kv string) error { return setPath(c, kv) }

// Map returns the file as a generic map (for records).
func (c *MetatrainFile) Map() map[string]any { return toMap(c) }

// YAML encodes the file.
func (c *MetatrainFile) YAML() ([]byte, error) { return yaml.Marshal(c) }

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
	e := c.Eval
	checks = append(checks,
		fieldCheck{!(e.ValFraction >= 0 && e.ValFraction < 1), "eval.val_fraction", "must be in [0, 1)"},
		fieldCheck{e.ValTasks < 0, "eval.val_tasks", "must be at least 0"},
		fieldCheck{e.EveryIters < 0, "eval.every_iterations", "must be at least 0 (0: validate after the last meta-iteration only)"},
		fieldCheck{e.EveryIters > 0 && e.ValTasks == 0, "eval.every_iterations", "validates every so many meta-iterations, and eval.val_tasks is 0: set it above 0"},
		fieldCheck{e.ValTasks > 0 && e.ValFraction == 0, "eval.val_tasks", "validation tasks need held-out classes: set eval.val_fraction above 0"},
		fieldCheck{e.ValTasks > 0 && m.Queries == 0, "eval.val_tasks", "validation scores the tasks' query images: set metatrain.queries above 0"})
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
