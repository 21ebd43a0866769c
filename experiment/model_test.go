package experiment

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/metabench/metabench/nn"
	"github.com/metabench/metabench/search"
)

// TestMatchedTraining trains a genotype network sized to a small Conv-4
// (16 filters: 7333 parameters on 28x28 5-way) and checks that the record
// and the checkpoint hold the chosen C, the parameters land within 10%, and
// train and eval records carry the MACs.
func TestMatchedTraining(t *testing.T) {
	cfg := tinyConfig(t, "maml", "model.name=genotype:darts-v2,cells=5,stem_stride=2", "model.match_params=conv4-16",
		"iterations=1", "meta_batch=1", "eval.episodes=2", "eval.val_episodes=0")
	out := filepath.Join(t.TempDir(), "run")
	rec, err := train(context.Background(), cfg, &Options{Out: out}, nil)
	if err != nil {
		t.Fatal(err)
	}
	const target = 7333 // 9·16 + 3·16 + 3·(9·16² + 3·16) + 16·5 + 5
	if tp, err := conv4Params(1, 28, 16, 5); tp != target || err != nil {
		t.Fatalf("Conv-4 with 16 filters: %d parameters, %v", tp, err)
	}
	c, p, err := search.MatchModelChannels(cfg.Model.Name, 1, 28, 5, target, search.MatchTolerance)
	if err != nil {
		t.Fatal(err)
	}
	model := rec.Config["model"].(map[string]any)
	if rec.Params != p || model["filters"] != c || model["match_params"] != "conv4-16" || !strings.HasSuffix(rec.Model, fmt.Sprintf("-C%d", c)) {
		t.Fatalf("record: model %s, %d parameters, config %v; want C=%d, %d parameters", rec.Model, rec.Params, model, c, p)
	}
	if d := float64(p-target) / target; d < -0.1 || d > 0.1 || cfg.Model.Filters != 8 {
		t.Fatalf("C=%d: %d parameters against %d; the caller's config changed to %d filters", c, p, target, cfg.Model.Filters)
	}
	m, err := Model(cfg.Model.Name, c, 1, 28, 5)
	if err != nil {
		t.Fatal(err)
	}
	macs := m.(nn.Costed).MACs()
	t.Logf("matched: C=%d, %d parameters (target %d), %d MACs", c, p, target, macs)
	if rec.Extra[ExtraMACs] != macs {
		t.Fatalf("train record macs %v, the model's %d", rec.Extra[ExtraMACs], macs)
	}
	ec := DefaultEval(out)
	ec.Episodes = 2
	ev, err := Eval(context.Background(), ec, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if ev.Model != rec.Model || ev.Params != p || ev.Extra[ExtraMACs] != macs {
		t.Fatalf("eval record: %s, %d parameters, macs %v", ev.Model, ev.Params, ev.Extra[ExtraMACs])
	}
}

// TestMatchErrors: a match that cannot be met, or that fights the model
// name, is one line naming model.match_params.
func TestMatchErrors(t *testing.T) {
	for _, c := range []struct {
		sets []string
		size int
		err  string
	}{
		{[]string{"model.match_params=conv4-1"}, 28, "model.match_params: conv4-1 (58 parameters): no init channel count puts the network within 10% of 58 parameters: C=1 gives "},
		{[]string{"model.name=genotype:darts-v2,channels=8", "model.match_params=conv4"}, 28, `model.match_params: conv4 (112261 parameters): model "genotype:darts-v2,channels=8" fixes channels=8; remove it to have them matched`},
		{[]string{"model.match_params=conv4"}, 12, "model.match_params: Conv-4's four poolings need images of at least 16 pixels, have 12"},
	} {
		cfg := tinyConfig(t, "maml", append([]string{"model.name=genotype:darts-v2"}, c.sets...)...)
		_, err := matchedConfig(cfg, 1, c.size)
		if err == nil || !strings.HasPrefix(err.Error(), c.err) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%v: %v, want %q", c.sets, err, c.err)
		}
	}
	cfg := tinyConfig(t, "maml")
	if got, err := matchedConfig(cfg, 1, 28); got != cfg || err != nil {
		t.Errorf("no match: %v, %v", got, err)
	}
}
