package multitask

import (
	"fmt"

	"github.com/metabench/metabench/internal/checkpoint"
	"github.com/metabench/metabench/search"
	"github.com/metabench/metabench/tensor"
)

// CheckpointVersion is the layout version of meta-training checkpoints.
const CheckpointVersion = 1

// CheckpointFile is the checkpoint's file name in a meta-training folder.
const CheckpointFile = "metatrain-checkpoint.gob"

// CurvePoint is the mean training statistics over a stretch of iterations.
type CurvePoint struct {
	Iter     int
	TrainSec float64
	Loss     float64
	QueryAcc float64
	Tau      float64
	Beta     float64
	HeadAcc  map[int]float64
}

// Checkpoint is the complete state of a meta-training run: Θ and the number
// of meta-iterations done (Trainer has no other state), the network
// configuration, and the curve so far.
type Checkpoint struct {
	Version    int
	ConfigYAML []byte
	Net        NetConfig
	Relax      search.Relaxation
	Tau        float64 // temperature of the last meta-iteration done (adaptation and derivation use it)
	Seed       int64
	Iter       int
	TrainSec   float64
	Shapes     [][]int
	Theta      [][]float32
	Curve      []CurvePoint
	Done       bool
}

// Capture stores Θ into c.
func (c *Checkpoint) Capture(tr *Trainer) {
	c.Version = CheckpointVersion
	c.Seed = tr.Seed
	c.Net = tr.Net.Config()
	c.Relax = tr.Settings.Inner.Relax
	c.Tau = tr.Settings.Tau(max(c.Iter-1, 0))
	c.Shapes = make([][]int, len(tr.Theta))
	c.Theta = make([][]float32, len(tr.Theta))
	for i, t := range tr.Theta {
		c.Shapes[i] = append([]int(nil), t.Shape...)
		c.Theta[i] = append([]float32(nil), t.Data...)
	}
}

// Tensors returns the checkpoint's Θ as tensors, checked against net.
func (c *Checkpoint) Tensors(net *Net) ([]*tensor.Tensor[float32], error) {
	if c.Version != CheckpointVersion {
		return nil, fmt.Errorf("checkpoint version %d, this binary reads %d", c.Version, CheckpointVersion)
	}
	specs := net.Specs()
	if len(c.Theta) != len(specs) || len(c.Shapes) != len(specs) {
		return nil, fmt.Errorf("checkpoint holds %d tensors, the meta-network has %d", len(c.Theta), len(specs))
	}
	out := make([]*tensor.Tensor[float32], len(specs))
	for i, s := range specs {
		if !tensor.SameShape(c.Shapes[i], s.Shape) || len(c.Theta[i]) != s.Numel() {
			return nil, fmt.Errorf("checkpoint tensor %d (%s) has shape %v, the meta-network wants %v", i, s.Name, c.Shapes[i], s.Shape)
		}
		out[i] = tensor.FromSlice(append([]float32(nil), c.Theta[i]...), s.Shape...)
	}
	return out, nil
}

// Restore loads the checkpoint's Θ into tr.
func (c *Checkpoint) Restore(tr *Trainer) error {
	if c.Seed != tr.Seed {
		return fmt.Errorf("checkpoint seed %d, the experiment asks for %d", c.Seed, tr.Seed)
	}
	th, err := c.Tensors(tr.Net)
	if err != nil {
		return err
	}
	for i, t := range th {
		copy(tr.Theta[i].Data, t.Data)
	}
	return nil
}

// SaveCheckpoint writes c to path atomically in the checkpoint envelope
// (internal/checkpoint), kind "metatrain".
func SaveCheckpoint(path string, c *Checkpoint) error {
	h := checkpoint.Header{Kind: "metatrain", Version: c.Version, Iter: c.Iter, TrainSec: c.TrainSec, Done: c.Done}
	if err := checkpoint.Write(path, h, c); err != nil {
		return fmt.Errorf("meta-training: %w", err)
	}
	return nil
}

// LoadCheckpoint reads a checkpoint written by SaveCheckpoint (or, without
// the envelope, by an earlier metabench).
func LoadCheckpoint(path string) (*Checkpoint, error) {
	var c Checkpoint
	if _, err := checkpoint.Read(path, "metatrain", &c); err != nil {
		return nil, err
	}
	return &c, nil
}
