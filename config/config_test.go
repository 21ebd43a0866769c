package config

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/metabench/metabench/maml"
)

const good = `version: 1
method: maml
model: {name: conv4, filters: 64}
data: {path: embedded, val_fraction: 0.1, test_fraction: 0.2, rotations: true}
ways: 5
shots: 1
queries: 15
inner_lr: 0.4
inner_steps: 1
test_steps: 3
meta_batch: 32
meta_lr: 0.001
iterations: 100
budget: 30m
seed: 3
eval: {episodes: 600, queries: 15, seed: 1, val_episodes: 10, every: 1m}
`

func TestParseGood(t *testing.T) {
	c, err := Parse([]byte(good))
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	if c.Budget.Duration != 30*time.Minute || c.Seed != 3 || c.Eval.Every.Duration != time.Minute || c.Model.Filters != 64 {
		t.Fatalf("decoded %+v", c)
	}
	// Keys absent from the file keep their defaults.
	if c.Blocks["reptile"].(*maml.ReptileOptions).InnerOptimizer != "adam" || c.Checkpoint.Duration != 5*time.Minute {
		t.Fatalf("defaults lost: %+v", c)
	}
}

// TestStrictness is the table of bad experiment files: each must fail with
// a message naming the field.
func TestStrictness(t *testing.T) {
	cases := []struct {
		name, edit, want string
	}{
		{"unknown top-level key", good + "iterationz: 5\n", "iterationz"},
		{"unknown nested key", strings.Replace(good, "filters: 64", "filter: 64", 1), "filter"},
		{"wrong type int", strings.Replace(good, "ways: 5", "ways: five", 1), "five"},
		{"wrong type float", strings.Replace(good, "inner_lr: 0.4", "inner_lr: [0.4]", 1), "line"},
		{"bad duration", strings.Replace(good, "budget: 30m", "budget: 30 minutes", 1), "duration"},
		{"negative duration", strings.Replace(good, "budget: 30m", "budget: -5m", 1), "duration"},
		{"missing version", strings.Replace(good, "version: 1\n", "", 1), "version"},
		{"future version", strings.Replace(good, "version: 1", "version: 2", 1), "version: 2"},
		{"empty file", "", "empty"},
		{"two documents", good + "---\nversion: 1\n", "more than one"},
		{"not yaml", "version: 1\nways: [\n", "line"},
		{"bool for int", strings.Replace(good, "shots: 1", "shots: true", 1), "true"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse([]byte(c.edit))
			if err == nil {
				t.Fatalf("no error")
			}
			if !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), "\n") {
				t.Fatalf("error %q: want one line containing %q", err, c.want)
			}
		})
	}
}

func TestValidate(t *testing.T) {
	cases := []struct {
		set, field string
	}{
		{"ways=1", "ways"},
		{"shots=0", "shots"},
		{"queries=0", "queries"},
		{"inner_lr=0", "inner_lr"},
		{"inner_steps=-1", "inner_steps"},
		{"meta_batch=0", "meta_batch"},
		{"meta_lr=-1", "meta_lr"},
		{"clip=-1", "clip"},
		{"meta_lr_final=-1", "meta_lr_final"},
		{"first_order_iterations=-1", "first_order_iterations"},
		{"model.name=resnet", "model.name"},
		{"model.filters=0", "model.filters"},
		{"data.path=", "data.path"},
		{"data.test_fraction=0", "data.test_fraction"},
		{"data.val_fraction=0.9", "data.val_fraction"},
		{"data.image_size=8", "data.image_size"},
		{"reptile.inner_optimizer=rmsprop", "reptile.inner_optimizer"},
		{"eval.episodes=-1", "eval.episodes"},
		{"eval.shots=-1", "eval.shots"},
		{"eval.every_iterations=-1", "eval.every_iterations"},
		{"method=", "method"},
		{"meta_lr_schedule=exponential", "meta_lr_schedule"},
		{"meta_lr_schedule=step", "meta_lr_step_every"},
		{"meta_lr_step_every=100", "meta_lr_step_every"},
		{"meta_lr_step_factor=1.5", "meta_lr_step_factor"},
		{"eval.ways=1", "eval.ways"},
		{"eval.ways=20", "eval.ways"},
		{"data.test_classes=423", "data.test_classes"},
		{"data.val_classes=-1", "data.val_classes"},
		{"mamlpp.multi_step_loss_iterations=-1", "mamlpp.multi_step_loss_iterations"},
	}
	for _, c := range cases {
		t.Run(c.set, func(t *testing.T) {
			cfg, err := Parse([]byte(good))
			if err != nil {
				t.Fatal(err)
			}
			if err := cfg.Set(c.set); err != nil {
				t.Fatal(err)
			}
			err = cfg.Validate()
			if err == nil || !strings.HasPrefix(err.Error(), c.field+":") {
				t.Fatalf("Validate after %s: %v, want an error on %s", c.set, err, c.field)
			}
		})
	}
	for _, c := range []struct {
		sets  []string
		field string // "" = valid
	}{
		{[]string{"data.val_fraction=0", "data.test_fraction=0", "data.val_classes=172", "data.test_classes=423", "data.eval_rotations=true"}, ""},
		{[]string{"data.val_fraction=0", "data.test_fraction=0", "data.test_classes=423", "data.test_path=x.npz"}, "data.test_classes"},
		{[]string{"method=protonets", "inner_steps=0", "test_steps=0", "ways=60", "eval.ways=5"}, ""},
		{[]string{"ways=20", "eval.ways=5"}, ""},
		{[]string{"meta_lr_schedule=step", "meta_lr_step_every=2000"}, ""},
		{[]string{"meta_lr_schedule=step", "meta_lr_step_every=2000", "meta_lr_final=0.0001"}, "meta_lr_final"},
		// a tuning run (R36): no test evaluation, scored on validation only
		{[]string{"eval.episodes=0"}, ""},
		{[]string{"eval.episodes=0", "eval.val_episodes=0"}, "eval.episodes"},
		{[]string{"eval.episodes=0", "data.train_on_val=true"}, "eval.episodes"},
	} {
		cfg, _ := Parse([]byte(good))
		for _, kv := range c.sets {
			if err := cfg.Set(kv); err != nil {
				t.Fatal(err)
			}
		}
		err := cfg.Validate()
		if c.field == "" && err != nil || c.field != "" && (err == nil || !strings.HasPrefix(err.Error(), c.field+":")) {
			t.Errorf("Validate after %v: %v, want error on %q", c.sets, err, c.field)
		}
	}
	// the checks that a method's capabilities decide, for every registered
	// method
	for _, name := range maml.Names() {
		d, _ := maml.Lookup(name)
		cfg, _ := Parse([]byte(good))
		cfg.Method, cfg.FirstOrderIterations = name, 100
		if d.Caps.NoInnerLoop {
			cfg.InnerSteps, cfg.TestSteps = 0, 0
		}
		if err := cfg.Validate(); (err == nil) != d.Caps.SecondOrder || err != nil && !strings.HasPrefix(err.Error(), "first_order_iterations:") {
			t.Errorf("first_order_iterations with %s: %v", name, err)
		}
		cfg.FirstOrderIterations, cfg.MetaLRSchedule = 0, "cosine"
		if err := cfg.Validate(); (err == nil) == d.Caps.OwnOuterStep || err != nil && !strings.HasPrefix(err.Error(), "meta_lr_schedule:") {
			t.Errorf("cosine schedule with %s: %v", name, err)
		}
		cfg.MetaLRSchedule, cfg.InnerSteps = "linear", 1
		if err := cfg.Validate(); (err == nil) == d.Caps.NoInnerLoop || err != nil && !strings.HasPrefix(err.Error(), "inner_steps:") {
			t.Errorf("an inner step with %s: %v", name, err)
		}
		cfg.InnerSteps = 0
		if d.Caps.NoInnerLoop {
			cfg.TestSteps = 0
		}
		cfg.Ways, cfg.Eval.Ways = 5, 20
		if err := cfg.Validate(); (err == nil) != d.Caps.AnyWays || err != nil && !strings.HasPrefix(err.Error(), "eval.ways:") {
			t.Errorf("eval.ways above ways with %s: %v", name, err)
		}
		cfg.Eval.Ways = 0
		// another method's block is at its defaults, or the method shares it
		for _, other := range maml.Names() {
			od, _ := maml.Lookup(other)
			if other == name || od.Options == nil {
				continue
			}
			c := cfg.Clone()
			changed := changeBlock(t, c, other)
			if err := c.Validate(); (err == nil) != od.SharedBlock || err != nil && !strings.HasPrefix(err.Error(), other+":") {
				t.Errorf("method %s with %s (%s): %v", name, changed, other, err)
			}
		}
	}
	cfg, _ := Parse([]byte(good))
	cfg.Iterations, cfg.Budget.Duration = 0, 0
	if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), "budget") {
		t.Fatalf("no limit: %v", err)
	}
}

func TestSet(t *testing.T) {
	cfg, err := Parse([]byte(good))
	if err != nil {
		t.Fatal(err)
	}
	for _, kv := range []string{"budget=90s", "data.rotations=false", "eval.episodes=20", "inner_lr=0.1", "data.path=/x/y.npz", "method=fomaml", "seed=-4"} {
		if err := cfg.Set(kv); err != nil {
			t.Fatalf("Set(%s): %v", kv, err)
		}
	}
	if cfg.Budget.Duration != 90*time.Second || cfg.Data.Rotations || cfg.Eval.Episodes != 20 || cfg.InnerLR != 0.1 ||
		cfg.Data.Path != "/x/y.npz" || cfg.Method != "fomaml" || cfg.Seed != -4 {
		t.Fatalf("after Set: %+v", cfg)
	}
	bad := []struct{ kv, want string }{
		{"nope=1", `unknown key "nope"`},
		{"data.nope=1", `unknown key "nope"`},
		{"ways=abc", "ways=abc"},
		{"budget=forever", "duration"},
		{"data=1", "is a section"},
		{"ways", "key=value"},
		{"=3", "key=value"},
		{"ways.x=3", "unknown key"},
	}
	for _, b := range bad {
		if err := cfg.Set(b.kv); err == nil || !strings.Contains(err.Error(), b.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("Set(%q) = %v, want one line containing %q", b.kv, err, b.want)
		}
	}
}

func TestLoadErrorsNameTheFile(t *testing.T) {
	dir := t.TempDir()
	if _, err := Load(filepath.Join(dir, "missing.yaml"), nil); err == nil || !strings.Contains(err.Error(), "missing.yaml") {
		t.Fatalf("missing file: %v", err)
	}
	p := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(p, []byte(good+"bogus: 1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(p, nil); err == nil || !strings.Contains(err.Error(), "bad.yaml") || !strings.Contains(err.Error(), "bogus") {
		t.Fatalf("unknown key: %v", err)
	}
	p2 := filepath.Join(dir, "ok.yaml")
	if err := os.WriteFile(p2, []byte(good), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(p2, []string{"ways=0"}); err == nil || !strings.Contains(err.Error(), "ways") {
		t.Fatalf("override then validate: %v", err)
	}
	c, err := Load(p2, []string{"iterations=7"})
	if err != nil || c.Iterations != 7 {
		t.Fatalf("override: %v %+v", err, c)
	}
}

// TestRoundTrip: YAML() gives back an equivalent experiment file.
func TestRoundTrip(t *testing.T) {
	c, err := Parse([]byte(good))
	if err != nil {
		t.Fatal(err)
	}
	b, err := c.YAML()
	if err != nil {
		t.Fatal(err)
	}
	d, err := Parse(b)
	if err != nil {
		t.Fatalf("re-parse: %v\n%s", err, b)
	}
	if !reflect.DeepEqual(c, d) {
		t.Fatalf("round trip:\n%+v\n%+v", c, d)
	}
	if m := c.Map(); m["budget"] != "30m0s" || m["ways"] != 5 {
		t.Fatalf("Map: %v", m)
	}
}

// TestBenchmarks: every shipped MAML-family benchmark file
// (benchmarks/<dataset>-<ways>w<shots>s-<method>.yaml for maml, fomaml,
// reptile and the baselines protonets, anil, metasgd, mamlpp, and the
// tuned 30-minute settings in benchmarks/30min/; other commands keep their
// own files there) loads and validates, and is named
// after its dataset (with its split where it is not the default one,
// "omniglot-vinyals"), test ways (eval.ways, or the training ways), test
// shots (eval.shots, or the training shots) and method. Iterations are
// always set; a wall-clock budget too, except in the files of the papers'
// protocols (a split named), whose budgets are iterations only.
func TestBenchmarks(t *testing.T) {
	var files []string
	for _, m := range maml.Names() {
		for _, dir := range []string{"", "30min"} {
			f, err := filepath.Glob(filepath.Join("..", "benchmarks", dir, "*-"+m+".yaml"))
			if err != nil {
				t.Fatal(err)
			}
			files = append(files, f...)
		}
	}
	if len(files) < 21 {
		t.Fatalf("%d benchmark files, want at least 21", len(files))
	}
	for _, f := range files {
		if n := filepath.Base(f); strings.Contains(n, "-base-") || strings.Contains(n, "-darts-") {
			continue // search experiment files and genotype networks: TestSearchBenchmarks
		}
		c, err := Load(f, nil)
		if err != nil {
			t.Errorf("%v", err)
			continue
		}
		base := strings.TrimSuffix(filepath.Base(f), ".yaml")
		parts := strings.Split(base, "-")
		if len(parts) != 3 && len(parts) != 4 {
			t.Errorf("%s: name is not <dataset>[-<split>]-<ways>w<shots>s-<method>", f)
			continue
		}
		protocolFile := len(parts) == 4
		want := parts[len(parts)-2:]
		got := []string{itoa(c.EvalWays()) + "w" + itoa(c.EvalShots()) + "s", c.Method}
		if got[0] != want[0] || got[1] != want[1] {
			t.Errorf("%s: holds %s %s", f, got[0], got[1])
		}
		if c.Iterations == 0 || (c.Budget.Duration == 0 && !protocolFile) {
			t.Errorf("%s: iterations and budget must both be set", f)
		}
	}
}

func itoa(i int) string { return strconv.Itoa(i) }

// FuzzParse: no input makes Parse panic.
func FuzzParse(f *testing.F) {
	f.Add([]byte(good))
	f.Add([]byte("version: 1\nways: 5\n"))
	f.Add([]byte("version: 1\nbudget: 1h\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := Parse(b)
		if err == nil {
			_ = c.Validate()
		}
	})
}

// TestTrainOnValNeedsHeldBackGroups: data.train_on_val merges the
// validation groups of data.path, so it needs some and no data.val_path.
func TestTrainOnValNeedsHeldBackGroups(t *testing.T) {
	for _, sets := range [][]string{
		{"data.train_on_val=true", "data.val_fraction=0"},
		{"data.train_on_val=true", "data.val_path=other.npz"},
	} {
		cfg, err := Parse([]byte(good))
		require.NoError(t, err)
		for _, kv := range sets {
			require.NoError(t, cfg.Set(kv))
		}
		err = cfg.Validate()
		require.Error(t, err, sets)
		require.True(t, strings.HasPrefix(err.Error(), "data.train_on_val:"), err.Error())
	}
	cfg, err := Parse([]byte(good))
	require.NoError(t, err)
	require.NoError(t, cfg.Set("data.train_on_val=true"))
	require.NoError(t, cfg.Validate())
}

// TestShiftMustNotBeNegative: data.shift is a number of pixels, 0 off.
func TestShiftMustNotBeNegative(t *testing.T) {
	cfg, err := Parse([]byte(good))
	require.NoError(t, err)
	require.NoError(t, cfg.Set("data.shift=-1"))
	err = cfg.Validate()
	require.Error(t, err)
	require.True(t, strings.HasPrefix(err.Error(), "data.shift:"), err.Error())
	require.NoError(t, cfg.Set("data.shift=2"))
	require.NoError(t, cfg.Validate())
}

// TestFoldField: data.fold is a fold number from 0 and needs a split of
// data.path to fold.
func TestFoldField(t *testing.T) {
	cfg, err := Parse([]byte(good))
	require.NoError(t, err)
	require.NoError(t, cfg.Set("data.fold=-1"))
	err = cfg.Validate()
	require.Error(t, err)
	require.True(t, strings.HasPrefix(err.Error(), "data.fold:"), err.Error())
	require.NoError(t, cfg.Set("data.fold=2"))
	require.NoError(t, cfg.Validate())
	require.NoError(t, cfg.Set("data.test_path=other.npz"))
	err = cfg.Validate()
	require.Error(t, err)
	require.True(t, strings.HasPrefix(err.Error(), "data.fold:"), err.Error())
}

// TestResolveOverride: a data source or genotype file override written in
// a file resolves against the file's folder like the file's own paths;
// other keys, built-in genotypes, the embedded data, absolute paths and
// format prefixes keep their meaning.
func TestResolveOverride(t *testing.T) {
	for _, c := range [][2]string{
		{"data.pool_path=../../shared/x.npz", "data.pool_path=../shared/x.npz"},
		{"data.test_path=idx:d/mnist", "data.test_path=idx:suites/d/mnist"},
		{"data.path=embedded", "data.path=embedded"},
		{"data.path=/abs/x.npz", "data.path=/abs/x.npz"},
		{"ways=5", "ways=5"},
		{"model.name=genotype:a.yaml", "model.name=genotype:suites/a.yaml"},
		{"model.name=genotype:darts-v2,cells=5", "model.name=genotype:darts-v2,cells=5"},
	} {
		if got := ResolveOverride("suites", c[0]); got != c[1] {
			t.Errorf("ResolveOverride(%q) = %q, want %q", c[0], got, c[1])
		}
	}
}

// changeBlock sets the first key of a method block to a valid value other
// than its default (through Set) and returns the override.
func changeBlock(t *testing.T, c *Config, name string) string {
	t.Helper()
	typ := reflect.TypeOf(c.Blocks[name]).Elem()
	v := reflect.ValueOf(c.Blocks[name]).Elem()
	for i := 0; i < typ.NumField(); i++ {
		var kv string
		switch f := v.Field(i); f.Kind() {
		case reflect.Bool:
			kv = fmt.Sprintf("%s.%s=%v", name, tagName(typ.Field(i)), !f.Bool())
		case reflect.Int:
			kv = fmt.Sprintf("%s.%s=%d", name, tagName(typ.Field(i)), f.Int()+1)
		case reflect.Float64:
			kv = fmt.Sprintf("%s.%s=%v", name, tagName(typ.Field(i)), f.Float()*2+1)
		default:
			continue
		}
		require.NoError(t, c.Set(kv))
		return kv
	}
	t.Fatalf("block %s has no bool, int or float key", name)
	return ""
}
