package config

import (
	"fmt"
	"reflect"
	"strings"
)

// SearchFile is an architecture-search experiment file (metabench search):
// every key of a train experiment file, plus a search section. The top-level
// keys give the data, the episode protocol (ways, shots, queries), the seed,
// and the meta-training of the final network; the search writes them, with
// model.name set to the derived genotype, as the train.yaml of its output
// folder. The search section gives the search itself.
type SearchFile struct {
	Config `yaml:",inline"`
	Search Search `yaml:"search"`
}

// Search is the search section of a SearchFile (SPEC 3, 5.3, 6).
type Search struct {
	// Variant is the meta-update: exact (A, unrolled second order), fd (A',
	// finite-difference Hessian-vector recursion), first-order, or reptile
	// (B, parallel Θ <- Θ + β mean(ψ - Θ)).
	Variant    string  `yaml:"variant"`
	Relaxation string  `yaml:"relaxation"` // gumbel (BASE-Gumbel) or softmax (BASE-Softmax)
	Hard       bool    `yaml:"hard"`       // straight-through hard Gumbel samples
	TauMax     float64 `yaml:"tau_max"`    // temperature at the first iteration
	TauMin     float64 `yaml:"tau_min"`    // at the last (linear schedule)

	InnerSteps  int     `yaml:"inner_steps"`   // T
	InnerLR     float64 `yaml:"inner_lr"`      // η_W
	InnerLRArch float64 `yaml:"inner_lr_arch"` // η_α
	MetaBatch   int     `yaml:"meta_batch"`    // K tasks per iteration

	MetaLR          float64 `yaml:"meta_lr"`           // Adam on the weights
	ArchLR          float64 `yaml:"arch_lr"`           // Adam on α
	ArchLRSchedule  string  `yaml:"arch_lr_schedule"`  // constant, or cosine over search.iterations
	ArchBeta1       float64 `yaml:"arch_beta1"`        // Adam β1 on α (β2 = 0.999)
	ArchWeightDecay float64 `yaml:"arch_weight_decay"` // L2 on α
	Clip            float64 `yaml:"clip"`              // element-wise meta-gradient clip; 0 = off

	ReptileBeta      float64 `yaml:"reptile_beta"`       // variant B: β at iteration 0
	ReptileBetaFinal float64 `yaml:"reptile_beta_final"` // β at the last iteration (linear)
	FDEps            float64 `yaml:"fd_eps"`             // fd radius r = fd_eps/||η⊙v|| (0 = 0.01)

	// When the search stops: whichever comes first (0 = no limit). The
	// temperature schedule runs over iterations.
	Iterations int      `yaml:"iterations"`
	Budget     Duration `yaml:"budget"`

	Network SearchNetwork `yaml:"network"`
	Derive  Derive        `yaml:"derive"`
	Final   FinalNetwork  `yaml:"final"`
}

// SearchNetwork sizes the search super-network (SPEC 1.6.2).
type SearchNetwork struct {
	Cells      int   `yaml:"cells"`
	Channels   int   `yaml:"channels"`
	StemStride int   `yaml:"stem_stride"`
	Reductions []int `yaml:"reductions,flow"`
	// Ops are the α columns (none first); empty means the 8 DARTS ops.
	// sep_conv_7x7 and conv_7x1_1x7 may be added (SPEC A1).
	Ops []string `yaml:"ops,flow,omitempty"`
}

// Derive is how the genotype is decoded (SPEC 4).
type Derive struct {
	// Tasks adapted meta-train tasks whose softmax(α^T) are averaged; 0
	// decodes the prior's α.
	Tasks int    `yaml:"tasks"`
	Rule  string `yaml:"rule"` // base (top-2 pairs) or darts (top-2 distinct edges)
}

// FinalNetwork sizes the network trained from the derived genotype.
type FinalNetwork struct {
	Cells      int `yaml:"cells"`
	Channels   int `yaml:"channels"`
	StemStride int `yaml:"stem_stride"`
}

// DefaultSearch is SPEC's recommendation for the few-shot search (variant A,
// Gumbel-softmax, SPEC 5.3/6.2/A5/A9/A16) on the 5-cell C=16 network.
func DefaultSearch() Search {
	return Search{Variant: "exact", Relaxation: "gumbel", TauMax: 1, TauMin: 0.1,
		InnerSteps: 5, InnerLR: 0.01, InnerLRArch: 0.01, MetaBatch: 4,
		MetaLR: 1e-3, ArchLR: 3e-4, ArchLRSchedule: "constant", ArchBeta1: 0.5, ArchWeightDecay: 1e-3, Clip: 10,
		ReptileBeta: 1, ReptileBetaFinal: 0, Iterations: 10000,
		Network: SearchNetwork{Cells: 5, Channels: 16, StemStride: 2, Reductions: []int{1, 3}},
		Derive:  Derive{Tasks: 8, Rule: "base"},
		Final:   FinalNetwork{Cells: 10, Channels: 36, StemStride: 2}}
}

// LoadSearch reads, decodes and validates a search experiment file,
// applying the overrides ("key=value") in order before validation.
func LoadSearch(path string, overrides []string) (*SearchFile, error) {
	return load(path, overrides, ParseSearch)
}

// ParseSearch decodes a search file strictly onto the defaults.
func ParseSearch(b []byte) (*SearchFile, error) {
	c := &SearchFile{Config: Default(), Search: DefaultSearch()}
	if err := decodeWithBlocks(b, c, &c.Blocks); err != nil {
		return nil, err
	}
	return c, nil
}

// Set applies one override "key=value"; keys under "search." address the
// search section, the others the experiment keys (Config.Set).
func (c *SearchFile) Set(kv string) error {
	key, val, ok := strings.Cut(kv, "=")
	key = strings.TrimSpace(key)
	if !ok || key == "" {
		return fmt.Errorf("override %q: want key=value", kv)
	}
	rest, isSearch := strings.CutPrefix(key, "search.")
	if !isSearch {
		if key == "search" {
			return fmt.Errorf("override search: is a section; set one of its keys (%s)", strings.Join(yamlKeys(reflect.TypeOf(Search{})), ", "))
		}
		return c.Config.Set(kv)
	}
	return setAt(&c.Search, key, rest, val)
}

// Validate checks the experiment keys (the model is replaced by the derived
// genotype, so model.name is not checked) and the search section.
func (c *SearchFile) Validate() error {
	if c.Model.MatchParams != "" {
		return fmt.Errorf("model.match_params: the search replaces the model by the derived genotype; match the final network's size in its training (train.yaml, or a suite unit's final.set)")
	}
	base := c.Config
	base.Model.Name = "conv4"
	if base.Model.Filters < 1 {
		base.Model.Filters = 1
	}
	if err := base.Validate(); err != nil {
		return err
	}
	s := c.Search
	checks := []fieldCheck{
		{s.Variant != "exact" && s.Variant != "fd" && s.Variant != "first-order" && s.Variant != "reptile", "search.variant", fmt.Sprintf("%q is not exact, fd, first-order or reptile", s.Variant)},
		{s.Relaxation != "gumbel" && s.Relaxation != "softmax", "search.relaxation", fmt.Sprintf("%q is not gumbel or softmax", s.Relaxation)},
		{s.Relaxation == "gumbel" && (s.TauMin <= 0 || s.TauMax < s.TauMin), "search.tau_min", "want 0 < tau_min <= tau_max"},
		{s.InnerSteps < 0, "search.inner_steps", "must be at least 0"},
		{s.InnerLR < 0, "search.inner_lr", "must be at least 0"},
		{s.InnerLRArch < 0, "search.inner_lr_arch", "must be at least 0"},
		{s.MetaBatch < 1, "search.meta_batch", "must be at least 1"},
		{s.Variant != "reptile" && s.MetaLR <= 0, "search.meta_lr", "must be above 0"},
		{s.ArchLR < 0, "search.arch_lr", "must be at least 0"},
		{s.ArchLRSchedule != "constant" && s.ArchLRSchedule != "cosine", "search.arch_lr_schedule", fmt.Sprintf("%q is not constant or cosine", s.ArchLRSchedule)},
		{s.ArchLRSchedule == "cosine" && s.Iterations == 0, "search.arch_lr_schedule", "cosine anneals over search.iterations: set search.iterations"},
		{s.ArchBeta1 < 0 || s.ArchBeta1 >= 1, "search.arch_beta1", "must be in [0, 1)"},
		{s.ArchWeightDecay < 0, "search.arch_weight_decay", "must be at least 0"},
		{s.Clip < 0, "search.clip", "must be 0 (off) or above"},
		{s.Variant == "reptile" && s.ReptileBeta <= 0, "search.reptile_beta", "must be above 0"},
		{s.ReptileBetaFinal < 0, "search.reptile_beta_final", "must be at least 0"},
		{s.FDEps < 0, "search.fd_eps", "must be 0 (default 0.01) or above"},
		{s.Iterations < 0, "search.iterations", "must be at least 0"},
		{s.Iterations == 0 && s.Budget.Duration == 0, "search.iterations", "search.iterations and search.budget are both 0: set at least one limit"},
		{s.Network.Cells < 1, "search.network.cells", "must be at least 1"},
		{s.Network.Channels < 2 || s.Network.Channels%2 != 0, "search.network.channels", "must be an even number of at least 2"},
		{s.Network.StemStride != 1 && s.Network.StemStride != 2, "search.network.stem_stride", "must be 1 or 2"},
		{s.Derive.Tasks < 0, "search.derive.tasks", "must be at least 0"},
		{s.Derive.Rule != "base" && s.Derive.Rule != "darts", "search.derive.rule", fmt.Sprintf("%q is not base or darts", s.Derive.Rule)},
		{s.Final.Cells < 1, "search.final.cells", "must be at least 1"},
		{s.Final.Channels < 2 || s.Final.Channels%2 != 0, "search.final.channels", "must be an even number of at least 2"},
		{s.Final.StemStride != 1 && s.Final.StemStride != 2, "search.final.stem_stride", "must be 1 or 2"},
	}
	for _, r := range s.Network.Reductions {
		checks = append(checks, fieldCheck{r < 0 || r >= s.Network.Cells, "search.network.reductions", fmt.Sprintf("cell %d does not exist in %d cells", r, s.Network.Cells)})
	}
	return firstBad(checks)
}

// Map returns the file as a generic map (YAML keys), for records.
func (c *SearchFile) Map() map[string]any { return toMapWithBlocks(c, c.Blocks) }

// FinalTrain is the experiment that meta-trains the final network of a
// genotype (a built-in name or a file) derived by this search: the file's
// experiment keys with the model set to the genotype at search.final's
// sizes (the train.yaml a search writes).
func (c *SearchFile) FinalTrain(genotype string) Config {
	t := c.Config
	f := c.Search.Final
	t.Model = Model{Name: fmt.Sprintf("genotype:%s,cells=%d,stem_stride=%d", genotype, f.Cells, f.StemStride), Filters: f.Channels}
	return t
}
