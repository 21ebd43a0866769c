package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const searchYAML = `version: 1
method: maml
model: {name: conv4, filters: 16}
data: {path: embedded, val_fraction: 0.1, test_fraction: 0.2, rotations: true}
ways: 5
shots: 1
queries: 5
iterations: 100
search:
  variant: exact
  relaxation: gumbel
  inner_steps: 1
  iterations: 10
  network: {cells: 3, channels: 8, stem_stride: 1, reductions: [1]}
  final: {cells: 3, channels: 8, stem_stride: 1}
`

func TestSearchFile(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "s.yaml")
	if err := os.WriteFile(p, []byte(searchYAML), 0o644); err != nil {
		t.Fatal(err)
	}
	c, err := LoadSearch(p, []string{"search.iterations=3", "search.network.channels=4", "shots=5", "search.budget=2m"})
	if err != nil {
		t.Fatal(err)
	}
	if c.Search.Iterations != 3 || c.Search.Network.Channels != 4 || c.Shots != 5 || c.Search.Budget.Minutes() != 2 {
		t.Fatalf("overrides not applied: %+v", c.Search)
	}
	if c.Search.Derive.Rule != "base" || c.Search.ArchLR != 3e-4 || c.Search.ArchLRSchedule != "constant" {
		t.Fatal("defaults lost")
	}
	if _, err := LoadSearch(p, []string{"search.arch_lr_schedule=cosine", "search.iterations=0", "search.budget=2m"}); err == nil || !strings.Contains(err.Error(), "search.arch_lr_schedule") {
		t.Errorf("cosine without iterations: %v", err)
	}
	if c, err := LoadSearch(p, []string{"search.arch_lr_schedule=cosine", "search.iterations=3"}); err != nil || c.Search.ArchLRSchedule != "cosine" {
		t.Errorf("cosine: %v", err)
	}
	if m := c.Map(); m["search"] == nil || m["ways"] == nil {
		t.Fatal("Map misses keys")
	}
	bad := map[string]string{
		"search.variant=magic":          "search.variant",
		"search.relaxation=none":        "search.relaxation",
		"search.network.channels=3":     "search.network.channels",
		"search.derive.rule=greedy":     "search.derive.rule",
		"search.nonsense=1":             "unknown key",
		"search.network=1":              "is a section",
		"search.meta_batch=x":           "search.meta_batch",
		"search.network.reductions=[9]": "search.network.reductions",
		"search.arch_lr_schedule=step":  "search.arch_lr_schedule",
	}
	for kv, want := range bad {
		_, err := LoadSearch(p, []string{kv})
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("--set %s: error %v, want it to mention %q", kv, err, want)
		}
	}
	for _, doc := range []string{"", "version: 2\n", "version: 1\nsearch: {warp: 1}\n", "version: 1\nsearch: {inner_steps: many}\n"} {
		if _, err := ParseSearch([]byte(doc)); err == nil {
			t.Errorf("bad file accepted: %q", doc)
		}
	}
}

// TestSearchBenchmarks: the shipped BASE search files load as search files,
// the DARTS_V2 files as train files naming a genotype model, and every name
// is <dataset>-<ways>w<shots>s-<base-gumbel|base-softmax|darts-v2>.
func TestSearchBenchmarks(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("..", "benchmarks", "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, f := range files {
		base := strings.TrimSuffix(filepath.Base(f), ".yaml")
		var c *Config
		switch {
		case strings.HasSuffix(base, "-base-gumbel"), strings.HasSuffix(base, "-base-softmax"):
			s, err := LoadSearch(f, nil)
			if err != nil {
				t.Error(err)
				continue
			}
			if !strings.HasSuffix(base, "-base-"+s.Search.Relaxation) {
				t.Errorf("%s: relaxation %s", f, s.Search.Relaxation)
			}
			if s.Search.Iterations == 0 || s.Search.Budget.Duration == 0 {
				t.Errorf("%s: search.iterations and search.budget must both be set", f)
			}
			c = &s.Config
		case strings.HasSuffix(base, "-darts-v2"):
			if c, err = Load(f, nil); err != nil {
				t.Error(err)
				continue
			}
			if !strings.HasPrefix(c.Model.Name, "genotype:darts-v2") {
				t.Errorf("%s: model %s", f, c.Model.Name)
			}
		default:
			continue
		}
		n++
		parts := strings.SplitN(base, "-", 3)
		if want := itoa(c.Ways) + "w" + itoa(c.Shots) + "s"; parts[1] != want {
			t.Errorf("%s: holds %s", f, want)
		}
		if c.Iterations == 0 || c.Budget.Duration == 0 {
			t.Errorf("%s: iterations and budget must both be set", f)
		}
	}
	if n < 9 {
		t.Errorf("%d search benchmark files, want 9", n)
	}
}
