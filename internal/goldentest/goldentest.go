// Package goldentest holds what every package's TestGolden shares: where the
// PyTorch reference fixtures live and how their tensors decode
// (../shared/golden/README.md). It is imported only by tests.
package goldentest

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/metabench/metabench/tensor"
)

// Dir is $GOLDEN_DIR, or ../shared/golden beside the module root. It skips
// the test when the directory is absent, and fails it instead when CI=true,
// so CI always checks the fixtures.
func Dir(t testing.TB) string {
	t.Helper()
	dir := os.Getenv("GOLDEN_DIR")
	if dir == "" {
		root, err := moduleRoot()
		if err != nil {
			t.Fatal(err)
		}
		dir = filepath.Join(root, "..", "shared", "golden")
	}
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		msg := fmt.Sprintf("golden: directory %s not found (set GOLDEN_DIR to the golden fixtures)", dir)
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	return dir
}

func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("golden: go.mod not found above the test folder")
		}
		dir = parent
	}
}

// Tensor is a fixture tensor: {"shape": [...], "data": [row-major values]}.
type Tensor struct {
	Shape []int     `json:"shape"`
	Data  []float64 `json:"data"`
}

// Tensor returns a copy as a float64 tensor.
func (g Tensor) Tensor() *tensor.Tensor[float64] {
	return tensor.FromSlice(append([]float64(nil), g.Data...), g.Shape...)
}

// Labels returns the values as integer class labels.
func (g Tensor) Labels() []int {
	out := make([]int, len(g.Data))
	for i, v := range g.Data {
		out[i] = int(v)
	}
	return out
}
