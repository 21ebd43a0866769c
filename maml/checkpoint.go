package maml

import (
	"fmt"

	"github.com/metabench/metabench/internal/checkpoint"
	"github.com/metabench/metabench/tensor"
)

// CheckpointVersion is the version of the Checkpoint struct, the whole
// payload of layout-1 files (files now hold a checkpoint.State).
const CheckpointVersion = 1

// Checkpoint is the complete state of a training run as its readers see it:
// enough to resume it exactly (all randomness derives from the seed, the
// iteration and the task index, so the iteration is the generator's
// position) and to evaluate the parameters. On disk it is a
// checkpoint.State (State, CheckpointOf); its fields are also the layout of
// version-1 files, so they keep their names.
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
	CPUSec     float64 // CPU time of the processes that ran it so far (checkpoint.Header.CPUSec)
	Seed       int64
	Curve      []checkpoint.Point // validation accuracy with its CI95, mean training query loss since the previous point
	Done       bool               // training finished (limit reached)
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
	c.ParamNames, c.Shapes, c.Params = checkpoint.Flatten(checkpoint.Named(names, params))
}

// CheckpointFile is the file name of the checkpoint inside a run folder.
const CheckpointFile = "checkpoint.gob"

// CheckpointFormat is the checkpoint file of a training run: kind "train",
// CheckpointFile, and the reader of version-1 files.
func CheckpointFormat() checkpoint.Format {
	return checkpoint.NewFormat[Checkpoint]("train", CheckpointFile, func(c *Checkpoint) error {
		if c.Version != CheckpointVersion {
			return fmt.Errorf("version %d, this binary reads %d", c.Version, CheckpointVersion)
		}
		if len(c.Params) != len(c.ParamNames) {
			return fmt.Errorf("inconsistent parameter lists")
		}
		return nil
	})
}

// ownFields are a training checkpoint's own fields (checkpoint.State.Own).
type ownFields struct {
	Method, Model           string
	ImageC, ImageSize, Ways int
}

// State returns the checkpoint as the generic payload (sharing its slices)
// and the header's counters.
func (c *Checkpoint) State() (checkpoint.Header, *checkpoint.State, error) {
	st := &checkpoint.State{Config: c.ConfigYAML, Seed: c.Seed, Curve: c.Curve,
		Optim: []checkpoint.Optimiser{checkpoint.Optimiser(c.Outer)}}
	var err error
	if st.Tensors, err = checkpoint.Unflatten(c.ParamNames, c.Shapes, c.Params); err == nil {
		err = st.SetOwn(ownFields{Method: c.Method, Model: c.Model, ImageC: c.ImageC, ImageSize: c.ImageSize, Ways: c.Ways})
	}
	return checkpoint.Header{Iter: c.Iter, TrainSec: c.TrainSec, CPUSec: c.CPUSec, Done: c.Done}, st, err
}

// CheckpointOf is the checkpoint of a training run's generic payload
// (sharing its slices).
func CheckpointOf(h checkpoint.Header, st *checkpoint.State) (*Checkpoint, error) {
	var own ownFields
	if err := st.Unpack(&own, 1); err != nil {
		return nil, err
	}
	c := &Checkpoint{Version: CheckpointVersion, Method: own.Method, Model: own.Model, ImageC: own.ImageC, ImageSize: own.ImageSize,
		Ways: own.Ways, ConfigYAML: st.Config, Outer: OuterState[float32](st.Optim[0]), Iter: h.Iter, TrainSec: h.TrainSec,
		CPUSec: h.CPUSec, Seed: st.Seed, Curve: st.Curve, Done: h.Done}
	c.ParamNames, c.Shapes, c.Params = checkpoint.Flatten(st.Tensors)
	return c, nil
}

// SaveCheckpoint writes c to path atomically (CheckpointFormat).
func SaveCheckpoint(path string, c *Checkpoint) error {
	if err := CheckpointFormat().SaveView(path, c); err != nil {
		return fmt.Errorf("maml: %w", err)
	}
	return nil
}

// LoadCheckpoint reads a checkpoint written by SaveCheckpoint, or by an
// earlier metabench (layout version 1, with or without the envelope).
func LoadCheckpoint(path string) (*Checkpoint, error) {
	return checkpoint.LoadView(CheckpointFormat(), path, CheckpointOf)
}
