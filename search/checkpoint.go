package search

import (
	"fmt"

	"github.com/metabench/metabench/internal/checkpoint"
	"github.com/metabench/metabench/tensor"
)

// CheckpointVersion is the version of the Checkpoint struct, the whole
// payload of layout-1 files (files now hold a checkpoint.State).
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

// The names of a search curve's further measures (checkpoint.Point).
const (
	curveTau           = "tau"
	curveEntropyNormal = "entropy_normal"
	curveEntropyReduce = "entropy_reduce"
	curveMaxDelta      = "max_dalpha"
	curveGenotype      = "genotype"
)

// Point is p as a generic curve point.
func (p CurvePoint) Point() checkpoint.Point {
	g := checkpoint.Point{Iter: p.Iter, TrainSec: p.TrainSec, Acc: p.QueryAcc, Loss: p.QueryLoss, Values: map[string]float64{curveTau: p.Tau}}
	if a := p.Arch; a.Genotype != "" { // none in a point of a checkpoint written before the diagnostics existed
		g.Values[curveEntropyNormal], g.Values[curveEntropyReduce], g.Values[curveMaxDelta] = a.EntropyNormal, a.EntropyReduce, a.MaxDelta
		g.Text = map[string]string{curveGenotype: a.Genotype}
	}
	return g
}

// CurvePointOf is the search curve point of a generic one.
func CurvePointOf(g checkpoint.Point) CurvePoint {
	v := g.Values
	return CurvePoint{Iter: g.Iter, TrainSec: g.TrainSec, QueryLoss: g.Loss, QueryAcc: g.Acc, Tau: v[curveTau],
		Arch: ArchPoint{EntropyNormal: v[curveEntropyNormal], EntropyReduce: v[curveEntropyReduce], MaxDelta: v[curveMaxDelta], Genotype: g.Text[curveGenotype]}}
}

// Checkpoint is the complete state of a search as its readers see it: with
// every random draw a function of (seed, iteration, task), Θ, the optimiser
// state and the iteration are enough to resume it exactly. On disk it is a
// checkpoint.State (State, CheckpointOf); its fields are also the layout of
// version-1 files, so they keep their names.
type Checkpoint struct {
	Version    int
	ConfigYAML []byte
	Seed       int64
	Iter       int
	TrainSec   float64
	Names      []string // Θ's tensor names (none in version-1 files)
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
	c.Names, c.Shapes, c.Theta = checkpoint.Flatten(checkpoint.Named(sr.Names(), sr.Theta))
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

// CheckpointFormat is the checkpoint file of a search: kind "search",
// CheckpointFile, and the reader of version-1 files.
func CheckpointFormat() checkpoint.Format {
	return checkpoint.NewFormat[Checkpoint]("search", CheckpointFile, nil)
}

// ownFields are a search checkpoint's own fields (checkpoint.State.Own).
type ownFields struct {
	ArchPrev [2][][]float64
}

// State returns the checkpoint as the generic payload (sharing its slices)
// and the header's counters.
func (c *Checkpoint) State() (checkpoint.Header, *checkpoint.State, error) {
	st := &checkpoint.State{Config: c.ConfigYAML, Seed: c.Seed, Optim: []checkpoint.Optimiser{c.OptW.optimiser(), c.OptA.optimiser()}}
	var err error
	if st.Tensors, err = checkpoint.Unflatten(c.Names, c.Shapes, c.Theta); err != nil {
		return checkpoint.Header{}, nil, err
	}
	for _, p := range c.Curve {
		st.Curve = append(st.Curve, p.Point())
	}
	err = st.SetOwn(ownFields{ArchPrev: c.ArchPrev})
	return checkpoint.Header{Iter: c.Iter, TrainSec: c.TrainSec, Done: c.Done}, st, err
}

// CheckpointOf is the checkpoint of a search's generic payload (sharing its
// slices).
func CheckpointOf(h checkpoint.Header, st *checkpoint.State) (*Checkpoint, error) {
	var own ownFields
	if err := st.Unpack(&own, 2); err != nil {
		return nil, err
	}
	c := &Checkpoint{Version: CheckpointVersion, ConfigYAML: st.Config, Seed: st.Seed, Iter: h.Iter, TrainSec: h.TrainSec,
		OptW: adamStateOf(st.Optim[0]), OptA: adamStateOf(st.Optim[1]), ArchPrev: own.ArchPrev, Done: h.Done}
	c.Names, c.Shapes, c.Theta = checkpoint.Flatten(st.Tensors)
	for _, p := range st.Curve {
		c.Curve = append(c.Curve, CurvePointOf(p))
	}
	return c, nil
}

// optimiser is s as a generic optimiser state: its first moments, then its
// second moments (none before the first step).
func (s AdamState) optimiser() checkpoint.Optimiser {
	return checkpoint.Optimiser{Kind: "adam", Steps: s.Steps, Slots: append(append([][]float32(nil), s.M...), s.V...)}
}

// adamStateOf is the AdamState of a generic optimiser state.
func adamStateOf(o checkpoint.Optimiser) AdamState {
	s := AdamState{Steps: o.Steps}
	if n := len(o.Slots) / 2; n > 0 {
		s.M, s.V = o.Slots[:n], o.Slots[n:]
	}
	return s
}

// SaveCheckpoint writes c to path atomically (CheckpointFormat).
func SaveCheckpoint(path string, c *Checkpoint) error {
	if err := CheckpointFormat().SaveView(path, c); err != nil {
		return fmt.Errorf("search: %w", err)
	}
	return nil
}

// LoadCheckpoint reads a checkpoint written by SaveCheckpoint, or by an
// earlier metabench (layout version 1, with or without the envelope).
func LoadCheckpoint(path string) (*Checkpoint, error) {
	return checkpoint.LoadView(CheckpointFormat(), path, CheckpointOf)
}
