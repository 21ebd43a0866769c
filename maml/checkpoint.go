package maml

import (
	"fmt"

	"github.com/metabench/metabench/internal/checkpoint"
	"github.com/metabench/metabench/tensor"
)

// CheckpointVersion is the layout version of Checkpoint files.
const CheckpointVersion = 1

// Checkpoint is the complete state of a training run: enough to resume it
// exactly (all randomness derives from the seed, the iteration and the task
// index, so the iteration is the generator's position) and to evaluate the
// parameters.
type Checkpoint struct {
	Version    int
	Method     string
	Model      string // nn.Model.Name()
	ImageC     int    // input channels of the model
	ImageSize  int    // input height = width of the model
	Ways       int    // outputs of the classifier
	ConfigYAML []byte // the experiment file after overrides
	ParamNames []string
	Shapes     [][]int
	Params     [][]float32
	Outer      OuterState[float32]
	Iter       int     // meta-iterations done
	TrainSec   float64 // training wall clock so far (validation excluded)
	Seed       int64
	Curve      []CurvePoint
	Done       bool // training finished (limit reached)
}

// CurvePoint is one validation measurement.
type CurvePoint struct {
	Iter     int
	TrainSec float64
	Acc      float64
	CI95     float64
	Loss     float64 // mean training query loss over the last iterations
}

// Tensors returns the parameters as tensors (copies).
func (c *Checkpoint) Tensors() []*tensor.Tensor[float32] {
	out := make([]*tensor.Tensor[float32], len(c.Params))
	for i, p := range c.Params {
		out[i] = tensor.FromSlice(append([]float32(nil), p...), c.Shapes[i]...)
	}
	return out
}

// SetTensors stores copies of params.
func (c *Checkpoint) SetTensors(names []string, params []*tensor.Tensor[float32]) {
	c.ParamNames = append([]string(nil), names...)
	c.Shapes = make([][]int, len(params))
	c.Params = make([][]float32, len(params))
	for i, p := range params {
		c.Shapes[i] = append([]int(nil), p.Shape...)
		c.Params[i] = append([]float32(nil), p.Data...)
	}
}

// CheckpointFile is the file name of the checkpoint inside a run folder.
const CheckpointFile = "checkpoint.gob"

// SaveCheckpoint writes c to path atomically in the checkpoint envelope
// (internal/checkpoint), kind "train".
func SaveCheckpoint(path string, c *Checkpoint) error {
	h := checkpoint.Header{Kind: "train", Version: c.Version, Iter: c.Iter, TrainSec: c.TrainSec, Done: c.Done}
	if err := checkpoint.Write(path, h, c); err != nil {
		return fmt.Errorf("maml: %w", err)
	}
	return nil
}

// LoadCheckpoint reads a checkpoint written by SaveCheckpoint (or, without
// the envelope, by an earlier metabench).
func LoadCheckpoint(path string) (*Checkpoint, error) {
	var c Checkpoint
	if _, err := checkpoint.Read(path, "train", &c); err != nil {
		return nil, err
	}
	if c.Version != CheckpointVersion {
		return nil, fmt.Errorf("checkpoint %s: version %d, this binary reads %d", path, c.Version, CheckpointVersion)
	}
	if len(c.Params) != len(c.Shapes) || len(c.Params) != len(c.ParamNames) {
		return nil, fmt.Errorf("checkpoint %s: inconsistent parameter lists", path)
	}
	for i, p := range c.Params {
		for _, d := range c.Shapes[i] {
			if d < 0 {
				return nil, fmt.Errorf("checkpoint %s: parameter %s has a negative dimension", path, c.ParamNames[i])
			}
		}
		if tensor.Numel(c.Shapes[i]) != len(p) {
			return nil, fmt.Errorf("checkpoint %s: parameter %s has %d values for shape %v", path, c.ParamNames[i], len(p), c.Shapes[i])
		}
	}
	return &c, nil
}
