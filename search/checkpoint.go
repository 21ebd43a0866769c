package search

import (
	"bytes"
	"encoding/gob"
	"fmt"
	"os"
	"path/filepath"

	"github.com/metabench/metabench/tensor"
)

// CheckpointVersion is the layout version of search checkpoints.
const CheckpointVersion = 1

// CheckpointFile is the checkpoint's file name inside a search folder.
const CheckpointFile = "search-checkpoint.gob"

// CurvePoint is the mean training statistics over a stretch of iterations.
type CurvePoint struct {
	Iter      int
	TrainSec  float64
	QueryLoss float64
	QueryAcc  float64
	Tau       float64
}

// Checkpoint is the complete state of a search: with every random draw a
// function of (seed, iteration, task), Θ, the optimiser state and the
// iteration are enough to resume it exactly.
type Checkpoint struct {
	Version    int
	ConfigYAML []byte
	Seed       int64
	Iter       int
	TrainSec   float64
	Shapes     [][]int
	Theta      [][]float32
	OptW, OptA AdamState
	Curve      []CurvePoint
	Done       bool
}

// Capture stores the searcher's state into c.
func (c *Checkpoint) Capture(sr *Searcher) {
	c.Version = CheckpointVersion
	c.Seed = sr.Seed
	c.Shapes = make([][]int, len(sr.Theta))
	c.Theta = make([][]float32, len(sr.Theta))
	for i, t := range sr.Theta {
		c.Shapes[i] = append([]int(nil), t.Shape...)
		c.Theta[i] = append([]float32(nil), t.Data...)
	}
	c.OptW, c.OptA = sr.OptState()
}

// Restore loads the checkpoint's Θ and optimiser state into sr.
func (c *Checkpoint) Restore(sr *Searcher) error {
	if c.Version != CheckpointVersion {
		return fmt.Errorf("checkpoint version %d, this binary reads %d", c.Version, CheckpointVersion)
	}
	if c.Seed != sr.Seed {
		return fmt.Errorf("checkpoint seed %d, the experiment asks for %d", c.Seed, sr.Seed)
	}
	if len(c.Theta) != len(sr.Theta) {
		return fmt.Errorf("checkpoint holds %d tensors, the search network has %d", len(c.Theta), len(sr.Theta))
	}
	for i, t := range sr.Theta {
		if !tensor.SameShape(c.Shapes[i], t.Shape) {
			return fmt.Errorf("checkpoint tensor %d has shape %v, the search network wants %v", i, c.Shapes[i], t.Shape)
		}
	}
	if err := sr.SetOptState(c.OptW, c.OptA); err != nil {
		return err
	}
	for i, t := range sr.Theta {
		copy(t.Data, c.Theta[i])
	}
	return nil
}

// SaveCheckpoint writes c to path atomically (temporary file, sync, rename).
func SaveCheckpoint(path string, c *Checkpoint) (err error) {
	var buf bytes.Buffer
	if err := gob.NewEncoder(&buf).Encode(c); err != nil {
		return fmt.Errorf("encoding search checkpoint: %w", err)
	}
	return WriteFileAtomic(path, buf.Bytes())
}

// WriteFileAtomic writes data to a temporary file beside path, syncs it and
// renames it over path, so a crash leaves the old file or the new one.
func WriteFileAtomic(path string, data []byte) (err error) {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			os.Remove(tmp)
		}
	}()
	if _, err = f.Write(data); err != nil {
		f.Close()
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err = f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err = f.Close(); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err = os.Rename(tmp, path); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}

// LoadCheckpoint reads a search checkpoint.
func LoadCheckpoint(path string) (*Checkpoint, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("search checkpoint: %w", err)
	}
	var c Checkpoint
	if err := gob.NewDecoder(bytes.NewReader(b)).Decode(&c); err != nil {
		return nil, fmt.Errorf("search checkpoint %s: %w", path, err)
	}
	return &c, nil
}
