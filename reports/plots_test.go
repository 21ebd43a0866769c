package reports

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/require"
	"gonum.org/v1/plot/vg"
)

// TestCurvePlotSeparatesValidation: a curve holding training statistics
// and points marked Validation (a metatrain record with eval.val_tasks) is
// drawn as two lines, the second named "(validation)"; a train record's
// curve, whose points carry no mark, is one line.
func TestCurvePlotSeparatesValidation(t *testing.T) {
	prior := Record{RunID: "prior", Kind: "metatrain", Curve: []Point{
		{Iter: 1, Accuracy: 0.2}, {Iter: 2, Accuracy: 0.25}, {Iter: 2, Accuracy: 0.3, Validation: true},
		{Iter: 3, Accuracy: 0.3}, {Iter: 4, Accuracy: 0.35}, {Iter: 4, Accuracy: 0.4, Validation: true}}}
	train := Record{RunID: "maml", Kind: "train", Curve: []Point{{Iter: 2, Accuracy: 0.5}, {Iter: 4, Accuracy: 0.6}}}
	svg := func(recs ...Record) string {
		p, err := CurvePlot(recs, AxisIteration)
		require.NoError(t, err)
		w, err := p.WriterTo(4*vg.Inch, 3*vg.Inch, "svg")
		require.NoError(t, err)
		var b bytes.Buffer
		_, err = w.WriteTo(&b)
		require.NoError(t, err)
		return b.String()
	}
	both := svg(prior, train)
	require.Contains(t, both, ">prior<")
	require.Contains(t, both, ">prior (validation)<")
	require.Contains(t, both, ">maml<")
	require.NotContains(t, both, "maml (validation)")
	require.NotContains(t, svg(Record{RunID: "old", Kind: "metatrain", Curve: prior.Curve[:2]}), "(validation)")
	_, err := CurvePlot([]Record{{RunID: "none"}}, AxisIteration)
	require.Error(t, err)
}
