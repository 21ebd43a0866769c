package search

import (
	"fmt"

	"github.com/metabench/metabench/internal/checkpoint"
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
	Arch      ArchPoint // the architecture parameters at Iter (ArchStats)
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
	// ArchPrev holds the α logits of the last curve point (normal,
	// reduce), so that a resumed search measures the next point's
	// MaxDelta from the same place as an uninterrupted one.
	ArchPrev [2][][]float64
	Done     bool
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

// SaveCheckpoint writes c to path atomically in the checkpoint envelope
// (internal/checkpoint), kind "search".
func SaveCheckpoint(path string, c *Checkpoint) error {
	h := checkpoint.Header{Kind: "search", Version: c.Version, Iter: c.Iter, TrainSec: c.TrainSec, Done: c.Done}
	if err := checkpoint.Write(path, h, c); err != nil {
		return fmt.Errorf("search: %w", err)
	}
	return nil
}

// LoadCheckpoint reads a checkpoint written by SaveCheckpoint (or, without
// the envelope, by an earlier metabench).
func LoadCheckpoint(path string) (*Checkpoint, error) {
	var c Checkpoint
	if _, err := checkpoint.Read(path, "search", &c); err != nil {
		return nil, err
	}
	return &c, nil
}
