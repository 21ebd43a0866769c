package config

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/metabench/metabench/maml"
)

// Version is the experiment-file layout this binary reads.
const Version = 1

// Config is one experiment file.
type Config struct {
	Version int    `yaml:"version"`
	Method  string `yaml:"method"` // a name in the maml registry (maml.Names: maml, fomaml, reptile, protonets, anil, metasgd, mamlpp, ...)
	Model   Model  `yaml:"model"`
	Data    Data   `yaml:"data"`

	// Episode protocol at meta-training time.
	Ways    int `yaml:"ways"`
	Shots   int `yaml:"shots"`
	Queries int `yaml:"queries"` // query examples per class

	// Inner loop.
	InnerLR    float64 `yaml:"inner_lr"`
	InnerSteps int     `yaml:"inner_steps"` // at meta-training
	TestSteps  int     `yaml:"test_steps"`  // at validation and test

	// Outer loop.
	MetaBatch int     `yaml:"meta_batch"`
	MetaLR    float64 `yaml:"meta_lr"` // Adam learning rate (MAML, first-order MAML)
	// MetaLRFinal, when above 0, decays the Adam rate linearly from meta_lr
	// at iteration 0 to meta_lr_final at iteration "iterations".
	MetaLRFinal float64 `yaml:"meta_lr_final"`
	// MetaLRSchedule is how the Adam rate goes from meta_lr to
	// meta_lr_final over "iterations": linear (the default; constant when
	// meta_lr_final is 0) or cosine (cosine annealing, MAML++; meta_lr_final
	// may then be 0); or step (below). Not for reptile, whose meta step has
	// its own decay.
	MetaLRSchedule string `yaml:"meta_lr_schedule"`
	// MetaLRStepEvery and MetaLRStepFactor shape meta_lr_schedule "step":
	// the rate is meta_lr · factor^⌊iteration / every⌋ (Snell et al. 2017
	// halve it every 2000 episodes: every 2000, factor 0.5).
	MetaLRStepEvery  int     `yaml:"meta_lr_step_every"`
	MetaLRStepFactor float64 `yaml:"meta_lr_step_factor"`
	Clip             float64 `yaml:"clip"` // element-wise meta-gradient clip to [-clip, clip]; 0 = off
	// FirstOrderIterations (methods maml, anil, metasgd, mamlpp): the first
	// this many meta-iterations use first-order meta-gradients, the rest
	// exact second-order ones (derivative-order annealing, Antoniou et al.
	// 2019); 0 = second order throughout.
	FirstOrderIterations int `yaml:"first_order_iterations"`
	// ZeroHead holds the classifier head's meta-parameters at zero, so that
	// every task's inner loop learns the head from zero (the zeroing trick,
	// Kao et al. 2022, "MAML is a noisy contrastive learner"): a MAML
	// variant, off by default. Conv-4 only.
	ZeroHead bool `yaml:"zero_head"`

	// When training stops: whichever comes first (0 = no limit).
	Iterations int      `yaml:"iterations"`
	Budget     Duration `yaml:"budget"`

	Seed    int64 `yaml:"seed"`    // master seed: initialisation and every training episode
	Workers int   `yaml:"workers"` // tasks run in parallel; 0 = GOMAXPROCS

	Eval Eval `yaml:"eval"`
	// TrainSelect, when its inner_lr grid is set, chooses the inner-loop
	// learning rate on validation episodes before the run trains
	// (docs/DECISIONS.md R44): off when empty.
	TrainSelect TrainSelect `yaml:"train_select,omitempty"`
	Checkpoint  Duration    `yaml:"checkpoint_every"` // wall clock between checkpoints
	Store       string      `yaml:"store"`            // results store; --store and $METABENCH_STORE take precedence

	// Blocks are the methods' own sections (reptile:, mamlpp:, ...), top-level
	// keys of the file like the ones above, each owned by its method
	// (MethodBlocks).
	Blocks MethodBlocks `yaml:"-"`
}

// Model selects the network.
type Model struct {
	Name    string `yaml:"name"`    // conv4, or genotype:NAME|FILE[,...] (a DARTS/BASE final network, package search)
	Filters int    `yaml:"filters"` // conv4: 64 for Omniglot, 32 for mini-ImageNet; genotype: init channels C
	// MatchParams, on a genotype network, chooses its init channels instead
	// of filters: the C whose parameter count is closest to this Conv-4's
	// for the same ways and images ("conv4": 64 filters, "conv4-F"), within
	// 10% or the run fails (MatchConv4, search.MatchChannels).
	MatchParams string `yaml:"match_params,omitempty"`
}

// Data names the sources and the class split.
type Data struct {
	// Path of the meta-training source; "embedded" is the Omniglot
	// background set that ships with the binary.
	Path string `yaml:"path"`
	// Optional separate sources for validation and test episodes. When empty
	// the classes of Path are split: by group (the alphabet for Omniglot)
	// when the source has groups, else by class.
	ValPath  string `yaml:"val_path"`
	TestPath string `yaml:"test_path"`
	// PoolPath is a second source whose classes join Path's before the
	// split (its groups are dropped when Path's are): the Omniglot
	// background and evaluation sets pooled into 1623 characters, as
	// Vinyals et al. (2016) and the papers after them split Omniglot.
	PoolPath string `yaml:"pool_path"`
	// Subsets picked inside a source where the format has several
	// (mini-ImageNet "train", "val", "test"; IDX "train" or "test").
	Subset     string `yaml:"subset"`
	ValSubset  string `yaml:"val_subset"`
	TestSubset string `yaml:"test_subset"`
	// ImageSize resizes every image to ImageSize x ImageSize; 0 keeps the
	// format's default (Omniglot 28, mini-ImageNet 84).
	ImageSize int `yaml:"image_size"`
	// Fractions of the groups (or classes) of Path held back for validation
	// and for test when ValPath / TestPath are empty.
	ValFraction  float64 `yaml:"val_fraction"`
	TestFraction float64 `yaml:"test_fraction"`
	// ValClasses and TestClasses hold back that many classes (not groups)
	// for validation and test, drawn from the seeded order of all classes;
	// they replace the fractions (set those to 0). Vinyals et al.'s
	// Omniglot split is 1200 training characters (1028 + 172 for
	// validation in Snell et al.) and 423 test characters.
	ValClasses  int   `yaml:"val_classes"`
	TestClasses int   `yaml:"test_classes"`
	SplitSeed   int64 `yaml:"split_seed"`
	// Fold selects fold k of a k-fold split: the seeded order of the
	// groups (or classes) is rotated by k times the test count before it
	// is cut, so folds 0, 1, ... hold back disjoint test alphabets that
	// together cover all of them (episodes.SplitByGroupFold). 0, the
	// default, is the plain seeded split.
	Fold int `yaml:"fold"`
	// Rotations by 90, 180 and 270 degrees as extra classes at meta-training
	// time (Omniglot, as in MAML). Never applied to test classes.
	Rotations bool `yaml:"rotations"`
	// EvalRotations makes the rotated copies of the validation and test
	// classes classes of their own there too (Vinyals et al. 2016, Snell
	// et al. 2017: 4 x 423 test classes); off, the default, tests on the
	// unrotated characters only (MAML's protocol).
	EvalRotations bool `yaml:"eval_rotations"`
	// TrainOnVal meta-trains on the training and the validation groups
	// (or classes) of the split, the usual final training once
	// hyperparameters are chosen (Omniglot's standard split has no
	// validation set). The test groups are the same as without it; the
	// validation curve (eval.val_episodes) then runs on test classes with
	// its own episode set, as a curve only: the final parameters are the
	// last iteration's either way, never selected on it.
	TrainOnVal bool `yaml:"train_on_val"`
	// Shift translates every meta-training image (support and query) by a
	// random integer offset of up to Shift pixels on each axis, filling with
	// 0 (Omniglot's background), drawn from the run's seed and the task's
	// index (episodes.ShiftImages). Test and curve episodes are never
	// shifted. 0, the default, is MAML's protocol.
	Shift int `yaml:"shift"`
}

// Eval is the validation and test protocol.
type Eval struct {
	// Episodes are the fixed test episodes of held-out classes scored at
	// the end of training (600). 0 runs no test evaluation: a tuning run,
	// whose settings are chosen on validation only; it needs
	// eval.val_episodes, and its record's summary is the last validation
	// point, marked as such (reports.ExtraNoTest, docs/DECISIONS.md R36).
	Episodes    int      `yaml:"episodes"`
	Ways        int      `yaml:"ways"`         // classes per validation and test episode; 0 = the training ways
	Queries     int      `yaml:"queries"`      // query examples per class at validation and test
	Shots       int      `yaml:"shots"`        // support examples per class at validation and test; 0 = the training shots
	Seed        int64    `yaml:"seed"`         // seed of the fixed test and validation episode sets
	ValEpisodes int      `yaml:"val_episodes"` // validation episodes per curve point; 0 = no validation
	Every       Duration `yaml:"every"`        // training wall clock between validations
	// EveryIters > 0 validates after every EveryIters training iterations
	// instead of every eval.every of wall clock, so that the curve's points
	// fall at the same iterations on any machine and under any load (a
	// budget chosen where the curve flattens is then reproducible).
	EveryIters int `yaml:"every_iterations,omitempty"`
}

// TrainSelect chooses a training run's inner-loop learning rate on
// validation episodes: for each rate of InnerLR, a short run of Iterations
// meta-iterations (same seed, same everything else) is scored on Episodes
// validation episodes of the run's validation classes, and the run trains
// with the rate of the highest accuracy (ties: the lower rate). The rate
// also drives the test-time adaptation, as inner_lr does.
type TrainSelect struct {
	InnerLR    []float64 `yaml:"inner_lr,omitempty"`
	Iterations int       `yaml:"iterations,omitempty"`
	Episodes   int       `yaml:"episodes,omitempty"`
}

// On says whether the run chooses its inner rate.
func (t TrainSelect) On() bool { return len(t.InnerLR) > 0 }

// Duration is a time.Duration written as a Go duration string ("30m").
type Duration struct{ time.Duration }

// UnmarshalYAML accepts a duration string ("90s", "30m", "1h30m") or 0.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return fmt.Errorf("line %d: want a duration such as 30m", n.Line)
	}
	if n.Value == "0" {
		d.Duration = 0
		return nil
	}
	v, err := time.ParseDuration(n.Value)
	if err != nil || v < 0 {
		return fmt.Errorf("line %d: %q is not a duration such as 30m or 90s", n.Line, n.Value)
	}
	d.Duration = v
	return nil
}

// MarshalYAML writes the duration string.
func (d Duration) MarshalYAML() (any, error) { return d.String(), nil }

// MarshalText writes the duration string (JSON and records).
func (d Duration) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// Default is the standard MAML protocol on the embedded Omniglot, 5-way
// 1-shot (docs/TARGETS.md).
func Default() Config {
	return Config{
		Version:          Version,
		Method:           "maml",
		Model:            Model{Name: "conv4", Filters: 64},
		Data:             Data{Path: "embedded", ValFraction: 0.1, TestFraction: 0.2, Rotations: true},
		Ways:             5,
		Shots:            1,
		Queries:          15,
		InnerLR:          0.4,
		InnerSteps:       1,
		TestSteps:        3,
		MetaBatch:        32,
		MetaLR:           1e-3,
		MetaLRSchedule:   "linear",
		MetaLRStepFactor: 0.5,
		Iterations:       60000,
		Budget:           Duration{30 * time.Minute},
		Blocks:           defaultBlocks(),
		Eval:             Eval{Episodes: 600, Queries: 15, Seed: 2024, ValEpisodes: 100, Every: Duration{5 * time.Minute}},
		Checkpoint:       Duration{5 * time.Minute},
	}
}

// Load reads, decodes and validates an experiment file, applying the
// overrides ("key=value") in order before validation.
func Load(path string, overrides []string) (*Config, error) {
	return load(path, overrides, Parse)
}

// Parse decodes an experiment file strictly onto Default: unknown keys and
// wrong types are errors. It does not validate.
func Parse(b []byte) (*Config, error) {
	c := Default()
	if err := decodeWithBlocks(b, &c, &c.Blocks); err != nil {
		return nil, err
	}
	return &c, nil
}

// YAMLError turns yaml.v3's messages into one line naming the field
// ("line 3: unknown key bogus in Config"); suite files use it too.
func YAMLError(err error) error {
	var te *yaml.TypeError
	if errors.As(err, &te) {
		msgs := make([]string, len(te.Errors))
		for i, m := range te.Errors {
			m = strings.Replace(m, "field ", "unknown key ", 1)
			m = notFoundIn.ReplaceAllString(m, " in ")
			m = strings.Replace(m, "cannot unmarshal !!", "wrong type: cannot decode ", 1)
			msgs[i] = m
		}
		return errors.New(strings.Join(msgs, "; "))
	}
	return errors.New(strings.ReplaceAll(strings.TrimPrefix(err.Error(), "yaml: "), "\n", " "))
}

var notFoundIn = regexp.MustCompile(` not found in type [a-z]+\.`)

// ReadFile reads an experiment (or suite) file; a missing file is
// "PATH: no such file or directory".
func ReadFile(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return b, nil
}

// Set applies one override "key=value": key is the dotted YAML path of a
// field and value is decoded as YAML into the field's type.
// The key of a method block's value is the block's name, a dot and the
// key inside it ("reptile.inner_batch=4").
func (c *Config) Set(kv string) error {
	if key, val, ok := strings.Cut(kv, "="); ok {
		if isBlock, err := c.setBlock(strings.TrimSpace(key), val); isBlock {
			return err
		}
	}
	return setPath(c, kv)
}

func fieldByPath(v reflect.Value, path string) (reflect.Value, error) {
	for _, part := range strings.Split(path, ".") {
		if v.Kind() != reflect.Struct || v.Type() == reflect.TypeOf(Duration{}) {
			return reflect.Value{}, fmt.Errorf("unknown key %q", path)
		}
		found := false
		t := v.Type()
		for i := 0; i < t.NumField(); i++ {
			if tagName(t.Field(i)) == part {
				v = v.Field(i)
				found = true
				break
			}
		}
		if !found {
			known := yamlKeys(t)
			if t == reflect.TypeOf(Config{}) {
				known = append(known, defaultBlocks().names()...)
				sort.Strings(known)
			}
			return reflect.Value{}, fmt.Errorf("unknown key %q (known here: %s)", part, strings.Join(known, ", "))
		}
	}
	return v, nil
}

func tagName(f reflect.StructField) string {
	n, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
	return n
}

func yamlKeys(t reflect.Type) []string {
	var ks []string
	for i := 0; i < t.NumField(); i++ {
		if n := tagName(t.Field(i)); n != "" && n != "-" {
			ks = append(ks, n)
		}
	}
	sort.Strings(ks)
	return ks
}

// EvalWays is the classes of a validation and test episode: eval.ways,
// or the training ways when it is 0 (Prototypical Networks train 60-way
// and test 5-way).
func (c *Config) EvalWays() int {
	if c.Eval.Ways > 0 {
		return c.Eval.Ways
	}
	return c.Ways
}

// EvalShots is the support images per class of the validation and test
// episodes: eval.shots, or the training shots when it is 0.
func (c *Config) EvalShots() int {
	if c.Eval.Shots > 0 {
		return c.Eval.Shots
	}
	return c.Shots
}

// methodsWith lists the registered methods whose capabilities pass has.
func methodsWith(has func(maml.Caps) bool) string {
	var n []string
	for _, name := range maml.Names() {
		if d, _ := maml.Lookup(name); has(d.Caps) {
			n = append(n, name)
		}
	}
	return strings.Join(n, ", ")
}

// Validate checks ranges and cross-field constraints, the method's own
// block and the capabilities its method declares (maml.Caps). The error
// names the field. The method name is checked by the caller against the
// registry.
func (c *Config) Validate() error {
	caps := c.Caps()
	checks := []fieldCheck{
		{c.Version != Version, "version", fmt.Sprintf("must be %d", Version)},
		{c.Method == "", "method", "missing"},
		{c.Model.Name != "conv4" && !strings.HasPrefix(c.Model.Name, "genotype:"), "model.name", fmt.Sprintf("%q is not a known model (known: conv4, genotype:NAME|FILE[,cells=L][,stem_stride=S])", c.Model.Name)},
		{c.Model.Filters < 1, "model.filters", "must be at least 1"},
		c.Model.matchCheck(),
		{c.Data.Path == "", "data.path", "missing (a dataset path or \"embedded\")"},
		{c.Data.ImageSize < 0 || (c.Data.ImageSize > 0 && c.Data.ImageSize < 16), "data.image_size", "must be 0 (the format's default) or at least 16"},
		{c.Data.ValFraction < 0 || c.Data.ValFraction >= 1, "data.val_fraction", "must be in [0, 1)"},
		{c.Data.TestFraction < 0 || c.Data.TestFraction >= 1, "data.test_fraction", "must be in [0, 1)"},
		{c.Data.ValFraction+c.Data.TestFraction >= 1, "data.val_fraction", "val_fraction + test_fraction must be below 1"},
		{c.Data.TrainOnVal && (c.Data.ValPath != "" || c.Data.ValFraction+float64(c.Data.ValClasses) == 0), "data.train_on_val", "merges the validation groups held back from data.path: needs data.val_fraction (or data.val_classes) above 0 and no data.val_path"},
		{c.Data.ValClasses < 0, "data.val_classes", "must be at least 0"},
		{c.Data.TestClasses < 0, "data.test_classes", "must be at least 0"},
		{c.Data.ValClasses+c.Data.TestClasses > 0 && c.Data.ValFraction+c.Data.TestFraction > 0, "data.test_classes", "class counts replace data.val_fraction and data.test_fraction: set both fractions to 0"},
		{c.Data.Fold < 0, "data.fold", "must be 0 (the plain split) or a fold number above 0"},
		{c.Data.Fold > 0 && c.Data.TestPath != "", "data.fold", "folds cut data.path; with data.test_path there is nothing to fold"},
		{c.Data.Shift < 0, "data.shift", "must be 0 (off) or a number of pixels above 0"},
		{c.Data.TestPath == "" && c.Data.TestFraction == 0 && c.Data.TestClasses == 0, "data.test_fraction", "must be above 0 (or data.test_classes) when data.test_path is empty (test classes must never be seen in training)"},
		{c.Data.TestPath != "" && c.Data.TestClasses > 0, "data.test_classes", "holds back test classes of data.path; with data.test_path it must be 0"},
		{c.Ways < 2, "ways", "must be at least 2"},
		{c.Shots < 1, "shots", "must be at least 1"},
		{c.Queries < 1, "queries", "must be at least 1"},
		{c.InnerLR <= 0, "inner_lr", "must be above 0"},
		{c.InnerSteps < 0, "inner_steps", "must be at least 0"},
		{c.TestSteps < 0, "test_steps", "must be at least 0"},
		{c.MetaBatch < 1, "meta_batch", "must be at least 1"},
		{c.MetaLR <= 0, "meta_lr", "must be above 0"},
		{c.Clip < 0, "clip", "must be 0 (off) or above"},
		{c.FirstOrderIterations < 0, "first_order_iterations", "must be 0 (second order throughout) or above"},
		{c.FirstOrderIterations > 0 && !caps.SecondOrder, "first_order_iterations", fmt.Sprintf("anneals the derivative order of methods %s, not of %q", methodsWith(func(c maml.Caps) bool { return c.SecondOrder }), c.Method)},
		{caps.NoInnerLoop && c.InnerSteps > 0, "inner_steps", fmt.Sprintf("%s has no inner loop: must be 0", c.Method)},
		{caps.NoInnerLoop && c.TestSteps > 0, "test_steps", fmt.Sprintf("%s has no inner loop: must be 0", c.Method)},
		{!slices.Contains([]string{"linear", "cosine", "step"}, c.MetaLRSchedule), "meta_lr_schedule", fmt.Sprintf("%q is not linear, cosine or step", c.MetaLRSchedule)},
		{c.MetaLRSchedule == "cosine" && c.Iterations == 0, "meta_lr_schedule", "cosine annealing needs iterations above 0"},
		{c.MetaLRSchedule != "linear" && caps.OwnOuterStep, "meta_lr_schedule", fmt.Sprintf("%s's outer step has its own decay, not the Adam of meta_lr; leave this at linear", c.Method)},
		{c.MetaLRSchedule == "step" && c.MetaLRStepEvery < 1, "meta_lr_step_every", "the step schedule needs the iterations between steps (at least 1)"},
		{c.MetaLRSchedule != "step" && c.MetaLRStepEvery != 0, "meta_lr_step_every", "is read by meta_lr_schedule: step only"},
		{c.MetaLRSchedule == "step" && c.MetaLRFinal != 0, "meta_lr_final", "the step schedule has no final rate (it uses meta_lr_step_factor): must be 0"},
		{c.MetaLRStepFactor <= 0 || c.MetaLRStepFactor > 1, "meta_lr_step_factor", "must be in (0, 1]"},
		{c.MetaLRFinal < 0, "meta_lr_final", "must be 0 (constant rate) or above"},
		{c.MetaLRFinal > 0 && c.Iterations == 0, "meta_lr_final", "a decay needs iterations above 0"},
		{c.Iterations < 0, "iterations", "must be at least 0"},
		{c.Iterations == 0 && c.Budget.Duration == 0, "iterations", "iterations and budget are both 0: set at least one limit"},
		{c.Workers < 0, "workers", "must be at least 0"},
	}
	checks = append(checks, c.checkBlocks()...)
	checks = append(checks, []fieldCheck{
		{c.Eval.Episodes < 0, "eval.episodes", "must be 0 (no test evaluation: a tuning run) or above"},
		{c.Eval.Episodes == 0 && c.Eval.ValEpisodes <= 0, "eval.episodes", "0 runs no test evaluation (a tuning run, scored on validation), and eval.val_episodes is 0 too: the run would measure nothing; set eval.val_episodes above 0"},
		{c.Eval.Episodes == 0 && c.Data.TrainOnVal, "eval.episodes", "0 makes a tuning run scored on validation episodes, and data.train_on_val trains on the validation groups (its curve runs on test classes): tune without data.train_on_val"},
		{c.Eval.Queries < 1, "eval.queries", "must be at least 1"},
		{c.Eval.Shots < 0, "eval.shots", "must be at least 0 (0: the training shots)"},
		{c.Eval.Ways < 0 || c.Eval.Ways == 1, "eval.ways", "must be 0 (the training ways) or at least 2"},
		{c.Eval.Ways > c.Ways && !caps.AnyWays, "eval.ways", fmt.Sprintf("%d is more than the classifier's %d outputs (ways); only methods without a classifier (%s) test at more ways than they train", c.Eval.Ways, c.Ways, methodsWith(func(c maml.Caps) bool { return c.AnyWays }))},
		{c.Eval.ValEpisodes < 0, "eval.val_episodes", "must be at least 0"},
		{c.Eval.EveryIters < 0, "eval.every_iterations", "must be at least 0 (0: every eval.every of wall clock)"},
		{c.Eval.EveryIters > 0 && c.Eval.ValEpisodes == 0, "eval.every_iterations", "validates every so many iterations, and eval.val_episodes is 0: set it above 0"},
		{!c.TrainSelect.On() && (c.TrainSelect.Iterations != 0 || c.TrainSelect.Episodes != 0), "train_select.inner_lr", "the rates to choose from are missing (train_select.iterations and .episodes are set)"},
		{c.TrainSelect.On() && slices.ContainsFunc(c.TrainSelect.InnerLR, func(lr float64) bool { return !(lr > 0) }), "train_select.inner_lr", "rates must be above 0"},
		{c.TrainSelect.On() && caps.NoInnerLoop, "train_select.inner_lr", fmt.Sprintf("%s has no inner loop whose rate could be chosen", c.Method)},
		{c.TrainSelect.On() && c.TrainSelect.Iterations < 1, "train_select.iterations", "the meta-iterations of each rate's trial run: must be at least 1"},
		{c.TrainSelect.On() && c.TrainSelect.Episodes < 1, "train_select.episodes", "the validation episodes each rate is scored on: must be at least 1"},
		{c.TrainSelect.On() && c.Data.TrainOnVal, "train_select.inner_lr", "is chosen on validation classes, and data.train_on_val trains on them: choose without data.train_on_val"},
	}...)
	return firstBad(checks)
}

// Map returns the configuration as a generic map (YAML keys), for records.
func (c *Config) Map() map[string]any { return toMapWithBlocks(c, c.Blocks) }

// YAML returns the configuration as an experiment file (the method blocks
// last).
func (c *Config) YAML() ([]byte, error) {
	v, _ := blockDoc(c, c.Blocks)
	b, err := yaml.Marshal(v.Interface())
	if err != nil {
		return nil, fmt.Errorf("config: encoding: %w", err)
	}
	return b, nil
}
