package experiment

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/metabench/metabench/config"
	"github.com/metabench/metabench/datasets"
	"github.com/metabench/metabench/maml"
)

// readExport writes x as an archive and reads it back with the package
// datasets reader.
func readExport(t *testing.T, x *Export) map[string]datasets.NpyArray {
	t.Helper()
	path := filepath.Join(t.TempDir(), "data.npz")
	if err := x.WriteNpz(path); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		t.Fatal(err)
	}
	arrays, err := datasets.ReadNpz(f, st.Size(), 1<<26)
	if err != nil {
		t.Fatal(err)
	}
	return arrays
}

// ints reads an integer array of the archive.
func ints(t *testing.T, arrays map[string]datasets.NpyArray, name string) []int64 {
	t.Helper()
	a, ok := arrays[name]
	if !ok {
		t.Fatalf("no array %s", name)
	}
	v, err := a.Int64s()
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// rot90 is numpy.rot90(img, k=r) of an n x n plane written independently
// of package episodes: a counter-clockwise quarter turn maps out[y][x] to
// in[x][n-1-y], applied r times.
func rot90(img []uint8, n, r int) []uint8 {
	out := slices.Clone(img)
	for range r {
		prev := slices.Clone(out)
		for y := 0; y < n; y++ {
			for x := 0; x < n; x++ {
				out[y*n+x] = prev[x*n+(n-1-y)]
			}
		}
	}
	return out
}

// exportedImage is base image b of the archive rotated by r, as floats
// pixel/255 (the archive's convention).
func exportedImage(pix []uint8, b, r, n int) []float32 {
	img := rot90(pix[b*n*n:(b+1)*n*n], n, r)
	out := make([]float32, len(img))
	for i, p := range img {
		out[i] = float32(p) / 255
	}
	return out
}

// TestExportMatchesTraining: the exported images are metabench's own, the
// training classes are the experiment's, the check images and the test
// episodes (images, rotations and labels) rebuilt from the archive with
// numpy's rotation convention equal what the test sampler feeds the model,
// with and without rotated test classes, and with a separate test source
// (its images appended after the training images).
func TestExportMatchesTraining(t *testing.T) {
	for name, set := range map[string]string{
		"plain": "data.eval_rotations=false", "eval_rotations": "data.eval_rotations=true", "test_path": "data.test_path=embedded",
	} {
		t.Run(name, func(t *testing.T) {
			cfg := tinyConfig(t, "maml", "eval.episodes=5", "eval.queries=3", set)
			data, err := openExperimentData(cfg)
			if err != nil {
				t.Fatal(err)
			}
			x, err := exportOf(cfg, data)
			if err != nil {
				t.Fatal(err)
			}
			arrays := readExport(t, x)
			n, pix := data.H, data.ds.Pixels
			if data.testDS != data.ds {
				pix = append(slices.Clone(pix), data.testDS.Pixels...)
			}
			if im := arrays["images"]; !slices.Equal(im.Shape, []int{len(pix) / (n * n), 1, n, n}) || !slices.Equal(im.Data, pix) {
				t.Fatalf("images %v differ from the dataset's", im.Shape)
			}
			labels := ints(t, arrays, "labels")
			for i, l := range data.ds.Labels {
				if labels[i] != int64(l) {
					t.Fatalf("label %d: %d, want %d", i, labels[i], l)
				}
			}
			tc := ints(t, arrays, "train_classes")
			if len(tc) != len(data.trainClasses) || tc[5] != int64(data.trainClasses[5]) || tc[5]%4 != 1 {
				t.Fatalf("train classes %v...", tc[:8])
			}
			checkRendered(t, arrays, n)
			checkEpisodes(t, arrays, cfg, data, n)
			var p ExportProtocol
			if err := json.Unmarshal(arrays["protocol"].Data, &p); err != nil {
				t.Fatal(err)
			}
			if p.Ways != cfg.Ways || p.EvalWays != cfg.EvalWays() || p.EvalQueries != 3 || p.MetaBatch != 2 || p.InnerLR != cfg.InnerLR ||
				!p.Rotations || p.EvalRotations != cfg.Data.EvalRotations || (p.TestImageOffset > 0) != (data.testDS != data.ds) {
				t.Fatalf("protocol %+v", p)
			}
		})
	}
}

// checkRendered compares the archive's check images with its base images
// rotated the numpy way.
func checkRendered(t *testing.T, arrays map[string]datasets.NpyArray, n int) {
	t.Helper()
	idx := ints(t, arrays, "check_index")
	if len(idx) != exportChecks || idx[1]%4 != 1 || idx[3]%4 != 3 {
		t.Fatalf("check index %v: want the 4 rotations of the first classes", idx)
	}
	pix, chk := arrays["images"].Data, arrays["check_images"].Data
	for j, v := range idx {
		want := rot90(pix[int(v/4)*n*n:int(v/4+1)*n*n], n, int(v%4))
		if !slices.Equal(chk[j*n*n:(j+1)*n*n], want) {
			t.Fatalf("check image %d (virtual %d): metabench's rotation differs from numpy.rot90(k=%d)", j, v, v%4)
		}
	}
}

// checkEpisodes compares every exported test episode, rebuilt from the
// archive, with the task metabench's test sampler materialises.
func checkEpisodes(t *testing.T, arrays map[string]datasets.NpyArray, cfg *config.Config, data *expData, n int) {
	t.Helper()
	count := cfg.Eval.Episodes
	_, _, testS, err := data.samplers(cfg)
	if err != nil {
		t.Fatal(err)
	}
	sup, qry := ints(t, arrays, "test_support"), ints(t, arrays, "test_query")
	srot, qrot := arrays["test_support_rot"].Data, arrays["test_query_rot"].Data
	pix := arrays["images"].Data
	rotations := 0
	for e := range count {
		task, err := maml.SamplerEpisodes(testS)(e)
		if err != nil {
			t.Fatal(err)
		}
		w, k, q := cfg.EvalWays(), cfg.EvalShots(), cfg.Eval.Queries
		if len(sup) != count*w*k || len(qry) != count*w*q {
			t.Fatalf("%d support and %d query indices for %d episodes", len(sup), len(qry), count)
		}
		for j := 0; j < w*k; j++ {
			b, r := int(sup[e*w*k+j]), int(srot[e*w*k+j])
			rotations += r
			if !slices.Equal(exportedImage(pix, b, r, n), task.XS.Data[j*n*n:(j+1)*n*n]) || task.YS[j] != j/k {
				t.Fatalf("episode %d support %d (image %d rotation %d) differs", e, j, b, r)
			}
		}
		for j := 0; j < w*q; j++ {
			b, r := int(qry[e*w*q+j]), int(qrot[e*w*q+j])
			if !slices.Equal(exportedImage(pix, b, r, n), task.XQ.Data[j*n*n:(j+1)*n*n]) || task.YQ[j] != j/q {
				t.Fatalf("episode %d query %d (image %d rotation %d) differs", e, j, b, r)
			}
		}
	}
	if (rotations > 0) != (cfg.Data.EvalRotations && data.testDS == data.ds) {
		t.Fatalf("eval rotations %v, rotation codes sum to %d over %d episodes", cfg.Data.EvalRotations, rotations, count)
	}
}
