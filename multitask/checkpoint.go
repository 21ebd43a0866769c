package multitask

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/metabench/metabench/internal/checkpoint"
	"github.com/metabench/metabench/search"
	"github.com/metabench/metabench/tensor"
)

// CheckpointVersion is the version of the Checkpoint struct, the whole
// payload of layout-1 files (files now hold a checkpoint.State).
const CheckpointVersion = 1

// CheckpointFile is the checkpoint's file name in a metatrain run folder
// (the prior).
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

// ValPoint is a validation point of a meta-training curve: the mean query
// accuracy of the fixed validation tasks (Trainer.Validate) adapted from Θ
// after Iter meta-iterations, with the 95% half-width over the tasks and
// the temperature the tasks were adapted at.
type ValPoint struct {
	Iter      int
	TrainSec  float64
	Acc, CI95 float64
	Tau       float64
}

// Point is p as a generic curve point, marked Validation.
func (p ValPoint) Point() checkpoint.Point {
	return checkpoint.Point{Iter: p.Iter, TrainSec: p.TrainSec, Acc: p.Acc, CI95: p.CI95, Values: map[string]float64{curveTau: p.Tau}, Validation: true}
}

// ValPointOf is the validation point of a generic one.
func ValPointOf(g checkpoint.Point) ValPoint {
	return ValPoint{Iter: g.Iter, TrainSec: g.TrainSec, Acc: g.Acc, CI95: g.CI95, Tau: g.Values[curveTau]}
}

// The names of a meta-training curve's further measures
// (checkpoint.Point); a head's accuracy is curveHeadAcc and its image size.
const (
	curveTau     = "tau"
	curveBeta    = "beta"
	curveHeadAcc = "acc@"
)

// Point is p as a generic curve point.
func (p CurvePoint) Point() checkpoint.Point {
	g := checkpoint.Point{Iter: p.Iter, TrainSec: p.TrainSec, Acc: p.QueryAcc, Loss: p.Loss, Values: map[string]float64{curveTau: p.Tau, curveBeta: p.Beta}}
	for size, a := range p.HeadAcc {
		g.Values[curveHeadAcc+strconv.Itoa(size)] = a
	}
	return g
}

// CurvePointOf is the meta-training curve point of a generic one.
func CurvePointOf(g checkpoint.Point) CurvePoint {
	p := CurvePoint{Iter: g.Iter, TrainSec: g.TrainSec, Loss: g.Loss, QueryAcc: g.Acc, Tau: g.Values[curveTau], Beta: g.Values[curveBeta], HeadAcc: map[int]float64{}}
	for k, v := range g.Values {
		if s, ok := strings.CutPrefix(k, curveHeadAcc); ok {
			if size, err := strconv.Atoi(s); err == nil {
				p.HeadAcc[size] = v
			}
		}
	}
	return p
}

// Checkpoint is the complete state of a meta-training run as its readers
// see it: Θ and the number of meta-iterations done (Trainer has no other
// state), the network configuration, and the curve so far. On disk it is a
// checkpoint.State (State, CheckpointOf); its fields are also the layout of
// version-1 files, so they keep their names.
type Checkpoint struct {
	Version    int
	ConfigYAML []byte
	Net        NetConfig
	Relax      search.Relaxation
	Tau        float64 // temperature of the last meta-iteration done (adaptation and derivation use it)
	Seed       int64
	Iter       int
	TrainSec   float64
	Names      []string // Θ's tensor names (none in version-1 files)
	Shapes     [][]int
	Theta      [][]float32
	Curve      []CurvePoint // the training statistics
	Val        []ValPoint   // the validation points (eval.val_tasks)
	Done       bool
}

// Capture stores Θ into c.
func (c *Checkpoint) Capture(tr *Trainer) {
	c.Version = CheckpointVersion
	c.Seed = tr.Seed
	c.Net = tr.Net.Config()
	c.Relax = tr.Settings.Inner.Relax
	c.Tau = tr.Settings.Tau(max(c.Iter-1, 0))
	var names []string
	for _, s := range tr.Net.Specs() {
		names = append(names, s.Name)
	}
	c.Names, c.Shapes, c.Theta = checkpoint.Flatten(checkpoint.Named(names, tr.Theta))
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

// CheckpointFormat is the checkpoint file of a meta-training run: kind "metatrain",
// CheckpointFile, and the reader of version-1 files.
func CheckpointFormat() checkpoint.Format {
	return checkpoint.NewFormat[Checkpoint]("metatrain", CheckpointFile, nil)
}

// ownFields are a meta-training checkpoint's own fields
// (checkpoint.State.Own).
type ownFields struct {
	Net   NetConfig
	Relax search.Relaxation
	Tau   float64
}

// State returns the checkpoint as the generic payload (sharing its slices)
// and the header's counters. A meta-training run has no optimiser state.
func (c *Checkpoint) State() (checkpoint.Header, *checkpoint.State, error) {
	st := &checkpoint.State{Config: c.ConfigYAML, Seed: c.Seed}
	var err error
	if st.Tensors, err = checkpoint.Unflatten(c.Names, c.Shapes, c.Theta); err != nil {
		return checkpoint.Header{}, nil, err
	}
	st.Curve = mergeCurve(c.Curve, c.Val)
	err = st.SetOwn(ownFields{Net: c.Net, Relax: c.Relax, Tau: c.Tau})
	return checkpoint.Header{Iter: c.Iter, TrainSec: c.TrainSec, Done: c.Done}, st, err
}

// CheckpointOf is the checkpoint of a meta-training run's generic payload
// (sharing its slices).
func CheckpointOf(h checkpoint.Header, st *checkpoint.State) (*Checkpoint, error) {
	var own ownFields
	if err := st.Unpack(&own, 0); err != nil {
		return nil, err
	}
	c := &Checkpoint{Version: CheckpointVersion, ConfigYAML: st.Config, Net: own.Net, Relax: own.Relax, Tau: own.Tau, Seed: st.Seed,
		Iter: h.Iter, TrainSec: h.TrainSec, Done: h.Done}
	c.Names, c.Shapes, c.Theta = checkpoint.Flatten(st.Tensors)
	for _, p := range st.Curve {
		if p.Validation {
			c.Val = append(c.Val, ValPointOf(p))
		} else {
			c.Curve = append(c.Curve, CurvePointOf(p))
		}
	}
	return c, nil
}

// mergeCurve is the generic curve of training points tr and validation
// points val in the order a run adds them: by iteration, an iteration's
// training point before its validation point.
func mergeCurve(tr []CurvePoint, val []ValPoint) []checkpoint.Point {
	var out []checkpoint.Point
	i, j := 0, 0
	for i < len(tr) || j < len(val) {
		if j == len(val) || (i < len(tr) && tr[i].Iter <= val[j].Iter) {
			out = append(out, tr[i].Point())
			i++
		} else {
			out = append(out, val[j].Point())
			j++
		}
	}
	return out
}

// SaveCheckpoint writes c to path atomically (CheckpointFormat).
func SaveCheckpoint(path string, c *Checkpoint) error {
	if err := CheckpointFormat().SaveView(path, c); err != nil {
		return fmt.Errorf("meta-training: %w", err)
	}
	return nil
}

// LoadCheckpoint reads a checkpoint written by SaveCheckpoint, or by an
// earlier metabench (layout version 1, with or without the envelope).
func LoadCheckpoint(path string) (*Checkpoint, error) {
	return checkpoint.LoadView(CheckpointFormat(), path, CheckpointOf)
}
