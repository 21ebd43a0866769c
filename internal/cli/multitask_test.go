package cli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/metabench/metabench/internal/testfixture"
	"github.com/metabench/metabench/multitask"
	"github.com/metabench/metabench/reports"
)

// tinyMetatrain is a meta-training file small enough for a unit test: tasks
// of the embedded Omniglot at 16 and 8 pixels, a 2-cell C=4 network.
var tinyMetatrain = mustRead("../../experiment/testdata/tiny-metatrain.yaml")

func writeFile(t *testing.T, path, body string) string {
	t.Helper()
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestMetatrainAndAdaptCommands(t *testing.T) {
	dir := t.TempDir()
	cfgPath := writeFile(t, filepath.Join(dir, "mt.yaml"), tinyMetatrain)
	db := filepath.Join(dir, "results.db")
	prior := filepath.Join(dir, "prior")
	var out, errb bytes.Buffer
	if code := Run([]string{"metatrain", cfgPath, "--out", prior, "--store", db, "--quiet"}, &out, &errb); code != 0 {
		t.Fatalf("metatrain exit %d: %s", code, errb.String())
	}
	for _, f := range []string{multitask.CheckpointFile, "genotype.yaml", "arch.json", "record.json"} {
		if _, err := os.Stat(filepath.Join(prior, f)); err != nil {
			t.Errorf("metatrain did not write %s", f)
		}
	}
	// A second run into the same folder needs --resume.
	errb.Reset()
	if code := Run([]string{"metatrain", cfgPath, "--out", prior, "--store", db, "--quiet"}, &out, &errb); code != 1 || !strings.Contains(errb.String(), "--resume") {
		t.Errorf("rerun into a used folder: exit %d, %q", code, errb.String())
	}

	// Adaptation to an unseen (synthetic IDX) dataset, with final networks.
	data := filepath.Join(dir, "digits")
	os.MkdirAll(data, 0o755)
	testfixture.WriteIDX(t, data, 4)
	transfer := fmt.Sprintf(`version: 1
seed: 2
workers: 2
targets:
  - {name: a, path: %s, train_subset: train, test_subset: test, size: 16, table: true, related: b}
  - {name: b, path: %s, train_subset: train, test_subset: test, size: 8}
adapt: {epochs: 2, batch: 10, eval_batch: 20, frozen: true, scratch: true, clip_arch: 5, inner_lr: 0.05, inner_lr_arch: 0.05}
final: {cells: 2, channels: 4, stem_stride: 2, epochs: 1, batch: 20, lr: 0.05, eval_batch: 40, auxiliary: false, drop_path: 0, baselines: [darts-v2]}
`, data, data)
	tPath := writeFile(t, filepath.Join(dir, "transfer.yaml"), transfer)
	run := filepath.Join(dir, "transfer")
	out.Reset()
	errb.Reset()
	if code := Run([]string{"adapt", tPath, "--prior", prior, "--out", run, "--store", db, "--label", "t", "--quiet"}, &out, &errb); code != 0 {
		t.Fatalf("adapt exit %d: %s", code, errb.String())
	}
	for _, want := range []string{"multi-task prior", "tuned on a related source (b)", "tuned on the target", "darts-v2"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("table lacks row %q:\n%s", want, out.String())
		}
	}
	for _, f := range []string{"table.md", "adapt.json", "adaptation.png", "adaptation.svg", "pca_weights.png", "pca_arch.svg", "genotypes/multitask-prior.yaml", "genotypes/tuned-a.yaml"} {
		if _, err := os.Stat(filepath.Join(run, f)); err != nil {
			t.Errorf("adapt did not write %s", f)
		}
	}
	recs, _ := filepath.Glob(filepath.Join(run, "records", "*.json"))
	if len(recs) != 6+4 { // 2 targets x (adapted, frozen, scratch) + 4 table rows
		t.Errorf("%d records, want 10", len(recs))
	}
	methods := map[string]int{}
	for _, f := range recs {
		var rec reports.Record
		if err := json.Unmarshal([]byte(mustRead(f)), &rec); err != nil {
			t.Fatal(err)
		}
		methods[rec.Method]++
		if rec.Method == "darts-supernet-scratch" && (rec.Extra["tau"] != 1.0 || rec.Target == nil || rec.Target.Arch != reports.ArchScratch || len(rec.Adapt) != 3) {
			t.Errorf("scratch record: tau %v, target %+v, %d curve points", rec.Extra["tau"], rec.Target, len(rec.Adapt))
		}
	}
	if methods["darts-supernet-scratch"] != 2 || methods["base-gumbel-adapt"] != 2 || methods["base-gumbel-adapt-frozen-arch"] != 2 {
		t.Errorf("record methods %v", methods)
	}

	// Scoring held-out training images (test_subset: validation): the
	// adaptation images are never scored; without a train_images cap there
	// is nothing held out.
	val := writeFile(t, filepath.Join(dir, "val.yaml"), fmt.Sprintf(`version: 1
seed: 2
targets:
  - {name: a, path: %s, train_subset: train, test_subset: validation, size: 8, train_images: 30, test_images: 20}
adapt: {epochs: 1, batch: 10, eval_batch: 20, frozen: false}
final: {skip: true}
`, data))
	errb.Reset()
	if code := Run([]string{"adapt", val, "--prior", prior, "--out", filepath.Join(dir, "val"), "--store", db, "--quiet"}, &out, &errb); code != 0 {
		t.Fatalf("adapt on validation images: exit %d: %s", code, errb.String())
	}
	uncapped := writeFile(t, filepath.Join(dir, "uncapped.yaml"), strings.Replace(mustRead(val), "train_images: 30", "train_images: 0", 1))
	errb.Reset()
	if code := Run([]string{"adapt", uncapped, "--prior", prior, "--out", filepath.Join(dir, "val0"), "--quiet", "--store", db}, &out, &errb); code != 1 ||
		!strings.Contains(errb.String(), "targets[0].test_subset: validation needs train_images") || strings.Count(strings.TrimSpace(errb.String()), "\n") != 0 {
		t.Errorf("validation without a train_images cap: exit %d, %q", code, errb.String())
	}

	// The one-dataset form, and one-line errors.
	out.Reset()
	errb.Reset()
	if code := Run([]string{"adapt", "--prior", prior, "--data", data, "--size", "8", "--epochs", "1", "--train-images", "20", "--test-images", "20", "--out", filepath.Join(dir, "one"), "--store", db, "--quiet"}, &out, &errb); code != 0 {
		t.Fatalf("adapt --data exit %d: %s", code, errb.String())
	}
	for _, args := range [][]string{
		{"adapt", "--prior", filepath.Join(dir, "nope"), "--data", data, "--out", filepath.Join(dir, "x")},
		{"adapt", "--prior", prior, "--data", data, "--size", "32", "--out", filepath.Join(dir, "y")},
		{"metatrain", filepath.Join(dir, "missing.yaml"), "--out", filepath.Join(dir, "z")},
	} {
		errb.Reset()
		code := Run(args, &out, &errb)
		if code != 1 || strings.Count(strings.TrimSpace(errb.String()), "\n") != 0 || strings.Contains(errb.String(), "goroutine") {
			t.Errorf("%v: exit %d, stderr %q; want exit 1 and one line", args, code, errb.String())
		}
	}
	errb.Reset()
	if code := Run([]string{"adapt", "--prior", prior}, &out, &errb); code != 2 {
		t.Errorf("adapt without --out: exit %d, want 2", code)
	}
}

// mustRead reads a test fixture.
func mustRead(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		panic(err)
	}
	return string(b)
}
