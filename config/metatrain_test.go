package config

import (
	"strings"
	"testing"
)

func TestMetatrainShippedFilesLoad(t *testing.T) {
	for _, f := range []string{"../benchmarks/metatrain-base-omniglot-2core.yaml", "../benchmarks/metatrain-base-imagenet-paper.yaml"} {
		c, err := LoadMetatrain(f, []string{"metatrain.iterations=3", "network.channels=4"})
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if c.Metatrain.Iterations != 3 || c.Network.Channels != 4 {
			t.Errorf("%s: overrides not applied: %+v", f, c.Metatrain)
		}
	}
	for _, f := range []string{"../benchmarks/adapt-base-2core.yaml", "../benchmarks/adapt-base-imagenet-paper.yaml"} {
		if _, err := LoadAdapt(f, []string{"adapt.epochs=1"}); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
	}
}

const goodMetatrain = `version: 1
sources:
  - {name: a, path: embedded, size: 16}
network:
  cells: 2
  channels: 4
  heads: [{size: 16, stride: 2}]
metatrain:
  iterations: 2
`

func TestMetatrainStrict(t *testing.T) {
	if c, err := ParseMetatrain([]byte(goodMetatrain)); err != nil {
		t.Fatal(err)
	} else if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ name, yaml, want string }{
		{"unknown key", goodMetatrain + "extra: 1\n", "unknown key"},
		{"unknown nested key", strings.Replace(goodMetatrain, "iterations: 2", "iterations: 2\n  steps: 3", 1), "unknown key"},
		{"wrong type", strings.Replace(goodMetatrain, "iterations: 2", "iterations: many", 1), "wrong type"},
		{"no version", strings.Replace(goodMetatrain, "version: 1\n", "", 1), "version: missing"},
		{"future version", strings.Replace(goodMetatrain, "version: 1", "version: 2", 1), "not supported"},
		{"empty", "", "empty"},
	} {
		if _, err := ParseMetatrain([]byte(tc.yaml)); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want one containing %q", tc.name, err, tc.want)
		}
	}
	for _, tc := range []struct{ set, want string }{
		{"sources=[]", "sources: no task sources"},
		{"network.heads=[{size: 16, stride: 3}]", "stride 3"},
		{"network.heads=[{size: 32, stride: 2}]", "sources[0].size"},
		{"network.reductions=[5]", "network.reductions"},
		{"metatrain.relaxation=hard", "metatrain.relaxation"},
		{"metatrain.meta_batch=0", "metatrain.meta_batch"},
		{"metatrain.beta=0", "metatrain.beta"},
		{"metatrain.iterations=0", "set at least one limit"},
		{"metatrain.momentum=1", "metatrain.momentum"},
	} {
		c, _ := ParseMetatrain([]byte(goodMetatrain))
		if err := c.Set(tc.set); err != nil {
			t.Fatalf("--set %s: %v", tc.set, err)
		}
		if err := c.Validate(); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("--set %s: error %v, want one containing %q", tc.set, err, tc.want)
		}
	}
	c, _ := ParseMetatrain([]byte(goodMetatrain))
	for _, bad := range []string{"metatrain.nope=1", "metatrain=1", "noequals", "metatrain.iterations=x"} {
		if err := c.Set(bad); err == nil {
			t.Errorf("--set %s accepted", bad)
		}
	}
}

const goodAdapt = `version: 1
targets:
  - {name: a, path: x, size: 32, related: b, table: true}
  - {name: b, path: y, size: 32}
final:
  cells: 2
  channels: 4
  epochs: 1
`

func TestAdaptStrict(t *testing.T) {
	c, err := ParseAdapt([]byte(goodAdapt))
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	if _, err := ParseAdapt([]byte(goodAdapt + "adapt:\n  epoch: 3\n")); err == nil || !strings.Contains(err.Error(), "unknown key") {
		t.Errorf("unknown adapt key: %v", err)
	}
	for _, tc := range []struct{ set, want string }{
		{"targets=[]", "no target datasets"},
		{"targets=[{name: a, path: x, size: 32, related: a}]", "related"},
		{"targets=[{name: a, path: x, size: 32}, {name: a, path: y, size: 32}]", "used twice"},
		{"targets=[{name: a, path: x, size: 32, related: c}]", "related"},
		{"adapt.rule=best", "adapt.rule"},
		{"adapt.eval_batch=0", "adapt.eval_batch"},
		{"final.channels=3", "final.channels"},
		{"final.drop_path=1", "final.drop_path"},
		{"final.reductions=[4]", "final.reductions"},
	} {
		c, _ := ParseAdapt([]byte(goodAdapt))
		if err := c.Set(tc.set); err != nil {
			t.Fatalf("--set %s: %v", tc.set, err)
		}
		if err := c.Validate(); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("--set %s: error %v, want one containing %q", tc.set, err, tc.want)
		}
	}
}

// TestMetatrainEvalChecked: the multi-task validation block is off by
// default (and then absent from the file's YAML and map), and its bad
// values are refused naming the key.
func TestMetatrainEvalChecked(t *testing.T) {
	c, err := ParseMetatrain([]byte(goodMetatrain))
	if err != nil {
		t.Fatal(err)
	}
	if c.Eval != (MetatrainEval{}) {
		t.Errorf("validation on by default: %+v", c.Eval)
	}
	if _, ok := c.Map()["eval"]; ok {
		t.Error("the default file's map has an eval key")
	}
	on := goodMetatrain + "eval: {val_fraction: 0.1, val_tasks: 20, every_iterations: 5, seed: 3}\n"
	if c, err = ParseMetatrain([]byte(on)); err != nil {
		t.Fatal(err)
	} else if err := c.Validate(); err != nil {
		t.Fatal(err)
	} else if c.Eval != (MetatrainEval{ValFraction: 0.1, ValTasks: 20, EveryIters: 5, Seed: 3}) {
		t.Errorf("eval block read as %+v", c.Eval)
	}
	for _, tc := range []struct {
		sets []string
		want string
	}{
		{[]string{"eval.val_fraction=-0.1"}, "eval.val_fraction:"},
		{[]string{"eval.val_fraction=1"}, "eval.val_fraction:"},
		{[]string{"eval.val_fraction=0.1", "eval.val_tasks=-1"}, "eval.val_tasks:"},
		{[]string{"eval.val_fraction=0.1", "eval.val_tasks=3", "eval.every_iterations=-2"}, "eval.every_iterations:"},
		{[]string{"eval.val_fraction=0.1", "eval.every_iterations=5"}, "eval.every_iterations: validates every"},
		{[]string{"eval.val_tasks=3"}, "eval.val_tasks: validation tasks need held-out classes"},
		{[]string{"eval.val_fraction=0.1", "eval.val_tasks=3", "metatrain.queries=0"}, "eval.val_tasks: validation scores"},
	} {
		c, _ := ParseMetatrain([]byte(goodMetatrain))
		for _, s := range tc.sets {
			if err := c.Set(s); err != nil {
				t.Fatalf("--set %s: %v", s, err)
			}
		}
		if err := c.Validate(); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("--set %v: error %v, want one containing %q", tc.sets, err, tc.want)
		}
	}
	c, _ = ParseMetatrain([]byte(goodMetatrain))
	for _, s := range []string{"eval.val_fraction=0.2", "eval.val_tasks=2"} {
		if err := c.Set(s); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.Validate(); err != nil {
		t.Errorf("validation at the last iteration only (every_iterations 0) refused: %v", err)
	}
}
