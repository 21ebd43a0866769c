package experiment

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/metabench/metabench/config"
	"github.com/metabench/metabench/maml"
)

// tinyConfig is a small experiment on the embedded Omniglot: conv4 with few
// filters, short training, few test episodes.
func tinyConfig(t *testing.T, method string, sets ...string) *config.Config {
	t.Helper()
	c := config.Default()
	base := []string{
		"method=" + method, "model.filters=8", "meta_batch=2", "iterations=4", "budget=0",
		"eval.episodes=4", "eval.val_episodes=2", "eval.every=1ns", "queries=5", "eval.queries=5", "workers=2",
		"checkpoint_every=0",
	}
	if method == "reptile" {
		base = append(base, "inner_lr=0.001", "inner_steps=3", "test_steps=3", "reptile.inner_batch=4", "reptile.meta_step_final=0")
	}
	if d, _ := maml.Lookup(method); d.Caps.NoInnerLoop {
		base = append(base, "inner_steps=0", "test_steps=0")
	}
	for _, kv := range append(base, sets...) {
		if err := c.Set(kv); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	return &c
}

// TestResumeExact: a run interrupted after some iterations and resumed ends
// with exactly (bit for bit) the parameters and optimiser state of an
// uninterrupted run, for each method.
func TestResumeExact(t *testing.T) {
	data, err := openExperimentData(tinyConfig(t, "maml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, method := range maml.Names() {
		t.Run(method, func(t *testing.T) {
			cfg := tinyConfig(t, method, "iterations=5")
			full := filepath.Join(t.TempDir(), "full")
			if _, err := train(context.Background(), cfg, &Options{Out: full}, data); err != nil {
				t.Fatal(err)
			}
			part := filepath.Join(t.TempDir(), "part")
			_, err := train(context.Background(), cfg, &Options{Out: part, StopAfter: 2}, data)
			if !errors.Is(err, ErrInterrupted) {
				t.Fatalf("interrupted run: %v", err)
			}
			mid, err := maml.LoadCheckpoint(filepath.Join(part, maml.CheckpointFile))
			if err != nil || mid.Iter != 2 || mid.Done {
				t.Fatalf("checkpoint after interruption: %v iter %d done %v", err, mid.Iter, mid.Done)
			}
			// A second interruption, then the rest.
			if _, err := train(context.Background(), cfg, &Options{Out: part, Resume: true, StopAfter: 1}, data); !errors.Is(err, ErrInterrupted) {
				t.Fatalf("second interruption: %v", err)
			}
			if _, err := train(context.Background(), cfg, &Options{Out: part, Resume: true}, data); err != nil {
				t.Fatal(err)
			}
			a, err := maml.LoadCheckpoint(filepath.Join(full, maml.CheckpointFile))
			if err != nil {
				t.Fatal(err)
			}
			b, err := maml.LoadCheckpoint(filepath.Join(part, maml.CheckpointFile))
			if err != nil {
				t.Fatal(err)
			}
			if a.Iter != 5 || b.Iter != 5 || !a.Done || !b.Done {
				t.Fatalf("iterations %d / %d, done %v / %v", a.Iter, b.Iter, a.Done, b.Done)
			}
			for i := range a.Params {
				for j := range a.Params[i] {
					if a.Params[i][j] != b.Params[i][j] {
						t.Fatalf("%s[%d]: uninterrupted %v, resumed %v", a.ParamNames[i], j, a.Params[i][j], b.Params[i][j])
					}
				}
			}
			if a.Outer.Steps != b.Outer.Steps || len(a.Outer.Slots) != len(b.Outer.Slots) {
				t.Fatalf("optimiser state differs")
			}
			for i := range a.Outer.Slots {
				for j := range a.Outer.Slots[i] {
					if a.Outer.Slots[i][j] != b.Outer.Slots[i][j] {
						t.Fatalf("optimiser slot %d[%d] differs", i, j)
					}
				}
			}
			ra, _ := os.ReadFile(filepath.Join(full, recordFile))
			rb, _ := os.ReadFile(filepath.Join(part, recordFile))
			var xa, xb struct{ Episodes []float64 }
			if json.Unmarshal(ra, &xa) != nil || json.Unmarshal(rb, &xb) != nil || len(xa.Episodes) != 4 {
				t.Fatalf("records unreadable")
			}
			for i := range xa.Episodes {
				if xa.Episodes[i] != xb.Episodes[i] {
					t.Fatalf("test episode %d: %v vs %v", i, xa.Episodes[i], xb.Episodes[i])
				}
			}
		})
	}
}

// TestTinyTrainingLearns: a short training lifts accuracy on held-out
// alphabets well above chance (20% for 5-way).
func TestTinyTrainingLearns(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	cfg := tinyConfig(t, "maml", "model.filters=8", "meta_batch=4", "iterations=40", "queries=1", "meta_lr=0.003",
		"eval.episodes=60", "eval.queries=5", "eval.val_episodes=0")
	rec, err := train(context.Background(), cfg, &Options{Out: t.TempDir()}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("maml 40 iterations: %.1f%% ± %.1f%% on %d held-out episodes", 100*rec.Summary.Mean, 100*rec.Summary.CI95, rec.Summary.N)
	if rec.Summary.Mean-rec.Summary.CI95 < 0.3 {
		t.Fatalf("accuracy %.3f ± %.3f: not well above chance (0.2)", rec.Summary.Mean, rec.Summary.CI95)
	}
	if rec.Kind != "train" || rec.Proto.BNMode != "transductive" || rec.Dataset.Format != "omniglot" || rec.Params == 0 {
		t.Fatalf("record fields: %+v", rec)
	}
}

// TestTrainOnVal: data.train_on_val adds the validation classes to the
// training classes, keeps the test classes, and moves the curve to test
// classes.
func TestTrainOnVal(t *testing.T) {
	plain, err := openExperimentData(tinyConfig(t, "maml", "data.rotations=false"))
	if err != nil {
		t.Fatal(err)
	}
	merged, err := openExperimentData(tinyConfig(t, "maml", "data.rotations=false", "data.train_on_val=true"))
	if err != nil {
		t.Fatal(err)
	}
	want := append(slices.Clone(plain.trainClasses), plain.valClasses...)
	slices.Sort(want)
	if !slices.Equal(merged.trainClasses, want) {
		t.Fatalf("train classes: %d, want the %d training and %d validation classes", len(merged.trainClasses), len(plain.trainClasses), len(plain.valClasses))
	}
	if !slices.Equal(merged.testClasses, plain.testClasses) {
		t.Fatal("test classes changed")
	}
	if !merged.curveOnTest || !slices.Equal(merged.valClasses, plain.testClasses) {
		t.Fatal("the curve does not run on the test classes")
	}
	if !strings.Contains(merged.split, "train+val") || strings.Contains(plain.split, "train+val") {
		t.Fatalf("split descriptions %q, %q", plain.split, merged.split)
	}
}

// TestVinyalsProtocol: data.pool_path pools two sources before the split,
// data.val_classes / test_classes hold back classes by count (disjoint,
// every class once), data.eval_rotations makes the rotated copies of the
// test and validation classes classes of their own, and a ProtoNets run
// trains 10-way and tests 5-way, recorded in its protocol.
func TestVinyalsProtocol(t *testing.T) {
	sets := []string{"data.pool_path=embedded", "data.val_fraction=0", "data.test_fraction=0",
		"data.val_classes=100", "data.test_classes=300", "data.eval_rotations=true"}
	cfg := tinyConfig(t, "protonets", append(sets, "ways=10", "eval.ways=5", "shots=1")...)
	d, err := openExperimentData(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if d.ds.NumClasses() != 2*964 || len(d.trainClasses) != 4*(2*964-400) || len(d.testClasses) != 4*300 || len(d.valClasses) != 4*100 {
		t.Fatalf("%d classes: %d train, %d val, %d test", d.ds.NumClasses(), len(d.trainClasses), len(d.valClasses), len(d.testClasses))
	}
	seen := map[int]int{}
	for _, l := range [][]int{d.trainClasses, d.valClasses, d.testClasses} {
		for _, c := range l {
			seen[c/4]++
		}
	}
	if len(seen) != 2*964 {
		t.Fatalf("%d base classes in the split, want %d", len(seen), 2*964)
	}
	for c, n := range seen {
		if n != 4 {
			t.Fatalf("class %d in %d rotated classes, want 4 (each base class in one subset)", c, n)
		}
	}
	if !strings.Contains(d.split, "classes:val=100,test=300") || !strings.Contains(d.split, "eval-rotations") {
		t.Fatalf("split %q", d.split)
	}
	rec, err := Train(context.Background(), cfg, Options{Out: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	if p := rec.Proto; p.Ways != 5 || p.TrainWays != 10 || !p.EvalRotations {
		t.Fatalf("protocol %+v", p)
	}
	if !strings.Contains(rec.Dataset.SHA256, "+") {
		t.Fatalf("pooled dataset checksum %q", rec.Dataset.SHA256)
	}
}

// TestTrainShift: data.shift changes what training sees (other final
// parameters than the unshifted run), is deterministic and resumable (an
// interrupted and resumed shifted run ends bit for bit where an
// uninterrupted one does), is recorded, and is refused when the offsets
// would push the whole image out.
func TestTrainShift(t *testing.T) {
	data, err := openExperimentData(tinyConfig(t, "maml"))
	if err != nil {
		t.Fatal(err)
	}
	final := func(t *testing.T, out string) *maml.Checkpoint {
		t.Helper()
		ck, err := maml.LoadCheckpoint(filepath.Join(out, maml.CheckpointFile))
		if err != nil {
			t.Fatal(err)
		}
		return ck
	}
	plainOut, fullOut, partOut := filepath.Join(t.TempDir(), "plain"), filepath.Join(t.TempDir(), "full"), filepath.Join(t.TempDir(), "part")
	if _, err := train(context.Background(), tinyConfig(t, "maml"), &Options{Out: plainOut}, data); err != nil {
		t.Fatal(err)
	}
	cfg := tinyConfig(t, "maml", "data.shift=3")
	rec, err := train(context.Background(), cfg, &Options{Out: fullOut}, data)
	if err != nil {
		t.Fatal(err)
	}
	if s, _ := rec.Extra["augmentation"].(string); !strings.Contains(s, "3 pixels") {
		t.Fatalf("record does not name the augmentation: %v", rec.Extra)
	}
	if _, err := train(context.Background(), cfg, &Options{Out: partOut, StopAfter: 2}, data); !errors.Is(err, ErrInterrupted) {
		t.Fatalf("interrupted run: %v", err)
	}
	if _, err := train(context.Background(), cfg, &Options{Out: partOut, Resume: true}, data); err != nil {
		t.Fatal(err)
	}
	plain, full, part := final(t, plainOut), final(t, fullOut), final(t, partOut)
	same := func(a, b *maml.Checkpoint) bool {
		for i := range a.Params {
			if !slices.Equal(a.Params[i], b.Params[i]) {
				return false
			}
		}
		return true
	}
	if !same(full, part) {
		t.Fatal("resumed shifted run ends with other parameters than the uninterrupted one")
	}
	if same(full, plain) {
		t.Fatal("data.shift=3 trained exactly like data.shift=0")
	}
	_, err = train(context.Background(), tinyConfig(t, "maml", "data.shift=28"), &Options{Out: filepath.Join(t.TempDir(), "big")}, data)
	if err == nil || !strings.HasPrefix(err.Error(), "data.shift:") {
		t.Fatalf("shift of the whole image: %v", err)
	}
}

// TestEvalShots: eval.shots tests a model trained on 1-shot tasks on 2-shot
// episodes; the record's protocol names the test shots and extra.train_shots
// the training ones, and `metabench eval` takes the run's test shots unless
// --shots says otherwise.
func TestEvalShots(t *testing.T) {
	data, err := openExperimentData(tinyConfig(t, "maml"))
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "run")
	cfg := tinyConfig(t, "maml", "shots=1", "eval.shots=2")
	if cfg.EvalShots() != 2 || tinyConfig(t, "maml").EvalShots() != 1 {
		t.Fatal("EvalShots does not follow eval.shots and its default")
	}
	rec, err := train(context.Background(), cfg, &Options{Out: out}, data)
	if err != nil {
		t.Fatal(err)
	}
	if rec.Proto.Shots != 2 || rec.Extra["train_shots"] != 1 {
		t.Fatalf("protocol shots %d, extra %v: want 2 test shots and train_shots 1", rec.Proto.Shots, rec.Extra)
	}
	evalShots := func(shots int) int {
		t.Helper()
		ec := DefaultEval(out)
		ec.Shots, ec.Episodes = shots, 3
		rec, err := Eval(context.Background(), ec, Options{})
		if err != nil {
			t.Fatalf("eval with %d shots: %v", shots, err)
		}
		return rec.Proto.Shots
	}
	if got := evalShots(0); got != 2 {
		t.Fatalf("eval without shots used %d shots, want the run's 2", got)
	}
	if got := evalShots(3); got != 3 {
		t.Fatalf("eval with 3 shots used %d shots", got)
	}
}

// TestTrainFold: data.fold holds back other test groups than fold 0 (the
// plain split), disjoint from them, names the fold in the split, and a fold
// beyond the last is refused naming data.fold.
func TestTrainFold(t *testing.T) {
	plain, err := openExperimentData(tinyConfig(t, "maml", "data.rotations=false"))
	if err != nil {
		t.Fatal(err)
	}
	f1, err := openExperimentData(tinyConfig(t, "maml", "data.rotations=false", "data.fold=1"))
	if err != nil {
		t.Fatal(err)
	}
	if len(f1.testClasses) == 0 || len(f1.trainClasses) == 0 {
		t.Fatalf("fold 1: %d train, %d test classes", len(f1.trainClasses), len(f1.testClasses))
	}
	for _, c := range f1.testClasses {
		if slices.Contains(plain.testClasses, c) {
			t.Fatalf("class %d tested in fold 0 and fold 1", c)
		}
		if slices.Contains(f1.trainClasses, c) {
			t.Fatalf("fold 1 trains on its test class %d", c)
		}
	}
	if !strings.HasSuffix(f1.split, ",fold=1") || strings.Contains(plain.split, "fold") {
		t.Fatalf("split descriptions %q, %q", plain.split, f1.split)
	}
	_, err = openExperimentData(tinyConfig(t, "maml", "data.fold=99"))
	if err == nil || !strings.HasPrefix(err.Error(), "data.fold:") || !strings.Contains(err.Error(), "folds") {
		t.Fatalf("fold 99: %v", err)
	}
}

// TestValidationEveryIterations: with eval.every_iterations the curve's
// points fall at multiples of it (and at the last iteration), whatever the
// wall clock, and a run interrupted and resumed gives the same points with
// the same accuracies; its record's CPU time includes the interrupted
// sitting's, which the checkpoint kept.
func TestValidationEveryIterations(t *testing.T) {
	cfg := tinyConfig(t, "maml", "iterations=5", "eval.every_iterations=2") // eval.every=1ns is ignored
	data, err := openExperimentData(cfg)
	if err != nil {
		t.Fatal(err)
	}
	curve := func(out string) []float64 {
		t.Helper()
		raw, err := os.ReadFile(filepath.Join(out, recordFile))
		if err != nil {
			t.Fatal(err)
		}
		var rec struct {
			Curve []struct {
				Iter     int
				Accuracy float64
			}
		}
		if err := json.Unmarshal(raw, &rec); err != nil {
			t.Fatal(err)
		}
		var iters, accs []float64
		for _, p := range rec.Curve {
			iters, accs = append(iters, float64(p.Iter)), append(accs, p.Accuracy)
		}
		if !slices.Equal(iters, []float64{2, 4, 5}) {
			t.Fatalf("curve points at iterations %v, want 2, 4 and 5", iters)
		}
		return accs
	}
	full := filepath.Join(t.TempDir(), "full")
	if _, err := train(context.Background(), cfg, &Options{Out: full}, data); err != nil {
		t.Fatal(err)
	}
	part := filepath.Join(t.TempDir(), "part")
	if _, err := train(context.Background(), cfg, &Options{Out: part, StopAfter: 3}, data); !errors.Is(err, ErrInterrupted) {
		t.Fatalf("interrupted run: %v", err)
	}
	mid, err := maml.LoadCheckpoint(filepath.Join(part, maml.CheckpointFile))
	if err != nil || mid.CPUSec <= 0 {
		t.Fatalf("the interrupted run's checkpoint keeps no CPU time: %v, %v", err, mid)
	}
	rec, err := train(context.Background(), cfg, &Options{Out: part, Resume: true}, data)
	if err != nil {
		t.Fatal(err)
	}
	if rec.CPUSec < mid.CPUSec {
		t.Fatalf("the resumed run's record counts %.3f CPU seconds, fewer than the %.3f its checkpoint had", rec.CPUSec, mid.CPUSec)
	}
	if a, b := curve(full), curve(part); !slices.Equal(a, b) {
		t.Fatalf("curve accuracies: uninterrupted %v, resumed %v", a, b)
	}
}
