package cli

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/metabench/metabench/config"
	"github.com/metabench/metabench/multitask"
	"github.com/metabench/metabench/tensor"
)

// tinyMetatrain is a meta-training file small enough for a unit test: tasks
// of the embedded Omniglot at 16 and 8 pixels, a 2-cell C=4 network.
const tinyMetatrain = `version: 1
seed: 1
workers: 2
sources:
  - {name: om16, path: embedded, size: 16}
  - {name: om8, path: embedded, size: 8}
network:
  cells: 2
  channels: 4
  reductions: [1]
  heads: [{size: 16, stride: 4}, {size: 8, stride: 2}]
metatrain:
  inner_steps: 2
  batch: 10
  meta_batch: 2
  shots: 3
  queries: 2
  iterations: 3
`

func writeFile(t *testing.T, path, body string) string {
	t.Helper()
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// writeIDX writes a 10-class grey IDX dataset (train and t10k) of n images
// per class: class c is a bright square at position c.
func writeIDX(t *testing.T, dir string, n int) {
	t.Helper()
	for _, split := range []string{"train", "t10k"} {
		var img, lbl bytes.Buffer
		N := 10 * n
		binary.Write(&img, binary.BigEndian, []uint32{0x803, uint32(N), 28, 28})
		binary.Write(&lbl, binary.BigEndian, []uint32{0x801, uint32(N)})
		for i := 0; i < N; i++ {
			c := i % 10
			px := make([]byte, 28*28)
			for y := 0; y < 28; y++ {
				for x := 0; x < 28; x++ {
					if y/7 == c/4 && x/7 == c%4 {
						px[y*28+x] = 255
					} else {
						px[y*28+x] = byte((i*31 + x*7 + y*13) % 60)
					}
				}
			}
			img.Write(px)
			lbl.WriteByte(byte(c))
		}
		writeFile(t, filepath.Join(dir, split+"-images-idx3-ubyte"), img.String())
		writeFile(t, filepath.Join(dir, split+"-labels-idx1-ubyte"), lbl.String())
	}
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
	for _, f := range []string{multitask.CheckpointFile, "genotype.yaml", "arch.json", recordFile} {
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
	writeIDX(t, data, 4)
	transfer := fmt.Sprintf(`version: 1
seed: 2
workers: 2
targets:
  - {name: a, path: %s, train_subset: train, test_subset: test, size: 16, table: true, related: b}
  - {name: b, path: %s, train_subset: train, test_subset: test, size: 8}
adapt: {epochs: 2, batch: 10, eval_batch: 20, frozen: true, inner_lr: 0.05, inner_lr_arch: 0.05}
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
	for _, f := range []string{"table.md", "transfer.json", "adaptation.png", "adaptation.svg", "pca_weights.png", "pca_arch.svg", "genotypes/multitask-prior.yaml", "genotypes/tuned-a.yaml"} {
		if _, err := os.Stat(filepath.Join(run, f)); err != nil {
			t.Errorf("adapt did not write %s", f)
		}
	}
	recs, _ := filepath.Glob(filepath.Join(run, "records", "*.json"))
	if len(recs) != 4+4 { // 2 targets x (adapted, frozen) + 4 table rows
		t.Errorf("%d records, want 8", len(recs))
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

func TestMetatrainResumeIsExact(t *testing.T) {
	dir := t.TempDir()
	cfgPath := writeFile(t, filepath.Join(dir, "mt.yaml"), tinyMetatrain)
	cfg, err := config.LoadMetatrain(cfgPath, []string{"sources=[{name: om8, path: embedded, size: 8}]", "network.heads=[{size: 8, stride: 2}]"})
	if err != nil {
		t.Fatal(err)
	}
	full, parts := filepath.Join(dir, "full"), filepath.Join(dir, "parts")
	if _, err := metatrainExperiment(context.Background(), metatrainJob{Cfg: cfg, Out: full}); err != nil {
		t.Fatal(err)
	}
	if _, err := metatrainExperiment(context.Background(), metatrainJob{Cfg: cfg, Out: parts, stopAfter: 1}); !errors.Is(err, errInterrupted) {
		t.Fatalf("interrupted run: %v", err)
	}
	if _, err := metatrainExperiment(context.Background(), metatrainJob{Cfg: cfg, Out: parts, Resume: true}); err != nil {
		t.Fatal(err)
	}
	a, err := multitask.LoadCheckpoint(filepath.Join(full, multitask.CheckpointFile))
	if err != nil {
		t.Fatal(err)
	}
	b, err := multitask.LoadCheckpoint(filepath.Join(parts, multitask.CheckpointFile))
	if err != nil {
		t.Fatal(err)
	}
	if a.Iter != 3 || b.Iter != 3 {
		t.Fatalf("iterations %d and %d, want 3", a.Iter, b.Iter)
	}
	net, _ := multitask.NewNet(a.Net)
	ta, _ := a.Tensors(net)
	tb, _ := b.Tensors(net)
	if !tensorsEqual(ta, tb) {
		t.Error("resumed meta-training differs from the uninterrupted run")
	}
}

// tensorsEqual compares tensors bit for bit.
func tensorsEqual(a, b []*tensor.Tensor[float32]) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if len(a[i].Data) != len(b[i].Data) {
			return false
		}
		for j := range a[i].Data {
			if math.Float32bits(a[i].Data[j]) != math.Float32bits(b[i].Data[j]) {
				return false
			}
		}
	}
	return true
}
