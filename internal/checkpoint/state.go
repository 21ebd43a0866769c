package checkpoint

import (
	"bytes"
	"encoding/gob"
	"fmt"
	"path/filepath"

	"github.com/metabench/metabench/tensor"
)

// StateVersion is the layout version (Header.Version) of State, the payload
// every kind writes. Version 1 was each kind's own struct; Format.V1 reads
// it.
const StateVersion = 2

// State is the one payload of every kind's checkpoint: the learned tensors
// by name, the optimisers' state, the curve so far, and the few fields that
// are the kind's own (Own). With every random draw a function of (seed,
// iteration, task), this and the header's counters resume a run exactly.
type State struct {
	Config  []byte      // the experiment file after overrides (YAML)
	Seed    int64       // the run's master seed
	Tensors []Tensor    // the learned tensors, in the kind's order
	Optim   []Optimiser // the optimisers' state, in the kind's order
	Curve   []Point     // the curve so far
	Own     []byte      // the kind's own fields, a gob of its struct (SetOwn, DecodeOwn)
}

// Tensor is a named tensor.
type Tensor struct {
	Name  string
	Shape []int
	Data  []float32
}

// Optimiser is the state of an optimiser: its kind ("adam", ...), the steps
// it took, and its slots (Adam: the first moments, then the second
// moments, one slice per tensor; empty before the first step).
type Optimiser struct {
	Kind  string
	Steps int
	Slots [][]float32
}

// Point is one point of a run's curve: the measures of the run at an
// iteration (validation accuracy, or training statistics averaged since the
// previous point). Values and Text hold the kind's further measures by
// name.
type Point struct {
	Iter      int
	TrainSec  float64 // training wall clock at Iter
	Acc, CI95 float64
	Loss      float64
	Values    map[string]float64
	Text      map[string]string
	// Validation marks a validation point in a curve whose other points
	// are training statistics (metatrain's eval.val_tasks); a train run's
	// points are all validation points and leave it false
	// (reports.Point.Validation).
	Validation bool
}

// Named returns copies of ts with their names (names may be nil: unnamed).
func Named(names []string, ts []*tensor.Tensor[float32]) []Tensor {
	out := make([]Tensor, len(ts))
	for i, t := range ts {
		out[i] = Tensor{Shape: append([]int(nil), t.Shape...), Data: append([]float32(nil), t.Data...)}
		if names != nil {
			out[i].Name = names[i]
		}
	}
	return out
}

// Tensor returns a copy of t as a tensor.
func (t Tensor) Tensor() *tensor.Tensor[float32] {
	return tensor.FromSlice(append([]float32(nil), t.Data...), t.Shape...)
}

// CopyTensors copies src into dst after checking that they hold as many
// tensors of the same shapes.
func CopyTensors(dst []*tensor.Tensor[float32], src []Tensor) error {
	if len(src) != len(dst) {
		return fmt.Errorf("checkpoint holds %d tensors, the network has %d", len(src), len(dst))
	}
	for i, t := range dst {
		if !tensor.SameShape(src[i].Shape, t.Shape) || len(src[i].Data) != t.Len() {
			return fmt.Errorf("checkpoint tensor %d %s has shape %v, the network wants %v", i, src[i].Name, src[i].Shape, t.Shape)
		}
	}
	for i, t := range dst {
		copy(t.Data, src[i].Data)
	}
	return nil
}

// check reports a tensor whose values do not fill its shape.
func (s *State) check() error {
	for _, t := range s.Tensors {
		for _, d := range t.Shape {
			if d < 0 {
				return fmt.Errorf("tensor %s has a negative dimension", t.Name)
			}
		}
		if tensor.Numel(t.Shape) != len(t.Data) {
			return fmt.Errorf("tensor %s has %d values for shape %v", t.Name, len(t.Data), t.Shape)
		}
	}
	return nil
}

// SetOwn stores the kind's own fields v.
func (s *State) SetOwn(v any) error {
	var buf bytes.Buffer
	if err := gob.NewEncoder(&buf).Encode(v); err != nil {
		return fmt.Errorf("encoding the kind's fields: %w", err)
	}
	s.Own = buf.Bytes()
	return nil
}

// DecodeOwn decodes the kind's own fields into v.
func (s *State) DecodeOwn(v any) error {
	if err := gob.NewDecoder(bytes.NewReader(s.Own)).Decode(v); err != nil {
		return fmt.Errorf("the kind's fields: %w", err)
	}
	return nil
}

// Unpack decodes the kind's own fields into own and checks that the state
// holds the kind's number of optimisers.
func (s *State) Unpack(own any, optimisers int) error {
	if len(s.Optim) != optimisers {
		return fmt.Errorf("%d optimiser states, the kind has %d", len(s.Optim), optimisers)
	}
	return s.DecodeOwn(own)
}

// Format is a kind's checkpoint file: the kind its header names, its file
// name in a run folder, and the reader of its layout-1 payload. The package
// that owns a kind's state declares it (maml, search, multitask); the
// experiment registry names it for its kind.
type Format struct {
	Kind string // Header.Kind
	File string // the file name in a run folder
	// V1 decodes a payload of layout version 1 (the kind's own struct; also
	// a file written before the envelope) with decode and returns it as a
	// State and the header's counters.
	V1 func(decode func(any) error) (Header, *State, error)
}

// Path is the checkpoint's path in run folder dir.
func (f Format) Path(dir string) string { return filepath.Join(dir, f.File) }

// Save writes st with the counters of h (Iter, TrainSec, Done) to path,
// atomically.
func (f Format) Save(path string, h Header, st *State) error {
	h.Kind, h.Version = f.Kind, StateVersion
	return Write(path, h, st)
}

// Load reads a checkpoint of this format: a State, or a layout-1 payload
// through V1.
func (f Format) Load(path string) (Header, *State, error) {
	h, b, bare, err := payload(path, f.Kind)
	if err != nil {
		return Header{}, nil, err
	}
	st := &State{}
	if !bare && h.Version == StateVersion {
		err = decode(path, f.Kind, b, bare, st)
	} else {
		var h1 Header
		var derr error // the decoding's own error, worded by decode
		h1, st, err = f.V1(func(v any) error { derr = decode(path, f.Kind, b, bare, v); return derr })
		if derr != nil {
			return Header{}, nil, derr
		}
		h.Iter, h.TrainSec, h.Done = h1.Iter, h1.TrainSec, h1.Done
	}
	if err == nil {
		err = st.check()
	}
	if err != nil {
		return Header{}, nil, fmt.Errorf("checkpoint %s: %w", path, err)
	}
	return h, st, nil
}

// View is a kind's checkpoint as its package's readers see it (maml,
// search and multitask each have one, whose fields are also their layout-1
// payload): it turns into the generic payload and the header's counters.
type View interface {
	State() (Header, *State, error)
}

// NewFormat is the format of kind whose layout-1 payload is the struct V
// (its view), checked by check (nil: no check) before it turns into a
// State.
func NewFormat[V any, P interface {
	*V
	View
}](kind, file string, check func(P) error) Format {
	return Format{Kind: kind, File: file, V1: func(decode func(any) error) (Header, *State, error) {
		v := P(new(V))
		if err := decode(v); err != nil {
			return Header{}, nil, err
		}
		if check != nil {
			if err := check(v); err != nil {
				return Header{}, nil, err
			}
		}
		return v.State()
	}}
}

// SaveView writes the view v to path (Save).
func (f Format) SaveView(path string, v View) error {
	h, st, err := v.State()
	if err != nil {
		return err
	}
	return f.Save(path, h, st)
}

// LoadView reads the checkpoint at path (Load) and returns it as the view
// of.
func LoadView[V any](f Format, path string, of func(Header, *State) (V, error)) (V, error) {
	h, st, err := f.Load(path)
	if err == nil {
		var v V
		if v, err = of(h, st); err == nil {
			return v, nil
		}
		err = fmt.Errorf("checkpoint %s: %w", path, err)
	}
	var zero V
	return zero, err
}

// Flatten splits ts into the names, shapes and values that the views keep
// (sharing their slices).
func Flatten(ts []Tensor) (names []string, shapes [][]int, data [][]float32) {
	for _, t := range ts {
		names, shapes, data = append(names, t.Name), append(shapes, t.Shape), append(data, t.Data)
	}
	return names, shapes, data
}

// Unflatten is the reverse of Flatten; names may be fewer (layout-1 files
// of search and meta-training runs named none): the rest are unnamed.
func Unflatten(names []string, shapes [][]int, data [][]float32) ([]Tensor, error) {
	if len(shapes) != len(data) || len(names) > len(data) {
		return nil, fmt.Errorf("inconsistent tensor lists: %d names, %d shapes, %d tensors", len(names), len(shapes), len(data))
	}
	out := make([]Tensor, len(data))
	for i := range data {
		out[i] = Tensor{Shape: shapes[i], Data: data[i]}
		if i < len(names) {
			out[i].Name = names[i]
		}
	}
	return out, nil
}
