package checkpoint

import (
	"errors"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/metabench/metabench/tensor"
)

// view is a kind's view whose fields are its layout-1 payload.
type view struct {
	Version int
	Params  []float32
	Iter    int
}

func (v *view) State() (Header, *State, error) {
	st := &State{Tensors: []Tensor{{Name: "w", Shape: []int{len(v.Params)}, Data: v.Params}}}
	err := st.SetOwn(v.Version)
	return Header{Iter: v.Iter}, st, err
}

func viewOf(h Header, st *State) (*view, error) {
	v := &view{Iter: h.Iter, Params: st.Tensors[0].Data}
	return v, st.DecodeOwn(&v.Version)
}

func testFormat() Format { return NewFormat[view]("train", "c.gob", nil) }

func TestStateRoundTrip(t *testing.T) {
	p := filepath.Join(t.TempDir(), "c.gob")
	st := &State{Config: []byte("a: 1\n"), Seed: 3, Tensors: Named([]string{"w"}, []*tensor.Tensor[float32]{tensor.FromSlice([]float32{1, 2}, 2)}),
		Optim: []Optimiser{{Kind: "adam", Steps: 2, Slots: [][]float32{{0.5, 0}, {1, 1}}}},
		Curve: []Point{{Iter: 2, TrainSec: 0.5, Acc: 0.25, Values: map[string]float64{"tau": 1}, Text: map[string]string{"genotype": "g"}}}}
	require.NoError(t, st.SetOwn("own"))
	require.NoError(t, testFormat().Save(p, Header{Kind: "ignored", Version: 9, Iter: 2, TrainSec: 0.5, Done: true}, st))
	h, back, err := testFormat().Load(p)
	require.NoError(t, err)
	require.Equal(t, Header{Kind: "train", Version: StateVersion, Iter: 2, TrainSec: 0.5, Done: true}, h)
	require.Equal(t, st, back)
	var own string
	require.NoError(t, back.DecodeOwn(&own))
	require.Equal(t, "own", own)
	_, _, err = NewFormat[view]("search", "c.gob", nil).Load(p)
	require.ErrorContains(t, err, "a train checkpoint, not a search one")
}

// TestFormatReadsLayout1: a layout-1 payload (the view itself, in the
// envelope or bare) is read through the format's V1 as a State.
func TestFormatReadsLayout1(t *testing.T) {
	dir := t.TempDir()
	in := &view{Version: 1, Params: []float32{4, 5}, Iter: 7}
	p := filepath.Join(dir, "v1.gob")
	require.NoError(t, Write(p, Header{Kind: "train", Version: 1, Iter: 7, TrainSec: 3}, in))
	v, err := LoadView(testFormat(), p, viewOf)
	require.NoError(t, err)
	require.Equal(t, in, v)
	h, _, err := testFormat().Load(p)
	require.NoError(t, err)
	require.Equal(t, Header{Kind: "train", Version: 1, Iter: 7}, h, "the counters are the payload's (this one has no training seconds)")
	refuse := NewFormat[view]("train", "c.gob", func(v *view) error { return errTest })
	_, _, err = refuse.Load(p)
	require.ErrorIs(t, err, errTest)
}

func TestStateChecksTensors(t *testing.T) {
	p := filepath.Join(t.TempDir(), "c.gob")
	st := &State{Tensors: []Tensor{{Name: "w", Shape: []int{3}, Data: []float32{1}}}}
	require.NoError(t, testFormat().Save(p, Header{}, st))
	_, _, err := testFormat().Load(p)
	require.ErrorContains(t, err, "tensor w has 1 values for shape [3]")
	dst := []*tensor.Tensor[float32]{tensor.FromSlice([]float32{0, 0}, 2)}
	require.ErrorContains(t, CopyTensors(dst, []Tensor{{Shape: []int{1, 2}, Data: []float32{1, 2}}}), "has shape [1 2]")
	require.NoError(t, CopyTensors(dst, []Tensor{{Shape: []int{2}, Data: []float32{1, 2}}}))
	require.Equal(t, []float32{1, 2}, dst[0].Data)
}

var errTest = errors.New("refused")

// TestUnflattenAndUnpack: lists of another length and a state with another
// number of optimisers are refused.
func TestUnflattenAndUnpack(t *testing.T) {
	ts, err := Unflatten([]string{"w"}, [][]int{{1}, {2}}, [][]float32{{1}, {2, 3}})
	require.NoError(t, err)
	require.Equal(t, []Tensor{{Name: "w", Shape: []int{1}, Data: []float32{1}}, {Shape: []int{2}, Data: []float32{2, 3}}}, ts)
	names, shapes, data := Flatten(ts)
	require.Equal(t, []string{"w", ""}, names)
	require.Len(t, shapes, 2)
	require.Len(t, data, 2)
	_, err = Unflatten(nil, [][]int{{1}}, nil)
	require.ErrorContains(t, err, "inconsistent tensor lists")
	st := &State{Optim: []Optimiser{{Kind: "adam"}}}
	require.NoError(t, st.SetOwn(3))
	var own int
	require.ErrorContains(t, st.Unpack(&own, 2), "1 optimiser states, the kind has 2")
	require.NoError(t, st.Unpack(&own, 1))
	require.Equal(t, 3, own)
}
