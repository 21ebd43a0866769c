package experiment

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/metabench/metabench/episodes"
	"github.com/metabench/metabench/reports"
)

// spySource counts every access to a source (the test split's classes).
type spySource struct {
	episodes.Source
	calls atomic.Int64
}

func (s *spySource) NumClasses() int { s.calls.Add(1); return s.Source.NumClasses() }
func (s *spySource) ClassIndices(c int) []int {
	s.calls.Add(1)
	return s.Source.ClassIndices(c)
}
func (s *spySource) Image(dst []float32, i int) { s.calls.Add(1); s.Source.Image(dst, i) }

// TestTuningRunHasNoTest (issue #33, R36): a train run with eval.episodes
// 0 never touches its test classes, and its record has no test episodes,
// says so (reports.ExtraNoTest) and is scored by its last validation
// point; interrupted and resumed it ends the same; neither an evaluation
// nor an export of test episodes takes it.
func TestTuningRunHasNoTest(t *testing.T) {
	cfg := tinyConfig(t, "fomaml", "eval.episodes=0", "iterations=3")
	data, err := openExperimentData(cfg)
	require.NoError(t, err)
	spy := &spySource{Source: data.test}
	data.test = spy
	// the spy sees a test sampler being built (the control)
	_, _, ts, err := data.samplers(tinyConfig(t, "fomaml"))
	require.NoError(t, err)
	require.NotNil(t, ts)
	require.Positive(t, spy.calls.Load(), "the spy does not see the test source")
	spy.calls.Store(0)

	whole, parts := interruptedTwice(t, func(opt Options) error {
		_, err := train(context.Background(), cfg, &opt, data)
		return err
	})
	require.Zero(t, spy.calls.Load(), "a tuning run touched its test classes")

	var recs []*reports.Record
	for _, dir := range []string{whole, parts} {
		rec, err := reports.ReadJSON(RecordFile(dir))
		require.NoError(t, err)
		require.Empty(t, rec.Episodes, "a tuning run's record holds test episodes")
		require.True(t, rec.NoTest())
		require.Equal(t, reports.NoTestNote, rec.Extra[reports.ExtraNoTest])
		require.NotContains(t, rec.Extra, "test_eval_sec")
		require.Zero(t, rec.Proto.EvalEpisode)
		require.True(t, strings.HasSuffix(rec.Dataset.Split, ":val"), rec.Dataset.Split)
		require.Equal(t, 3, rec.Iters)
		require.NotEmpty(t, rec.Curve)
		last := rec.Curve[len(rec.Curve)-1]
		require.Equal(t, 3, last.Iter, "the last validation point is at the last iteration")
		require.Equal(t, reports.Summary{Mean: last.Accuracy, CI95: last.CI95, N: cfg.Eval.ValEpisodes}, rec.Summary)
		_, ok := reports.LookupReference(rec)
		require.False(t, ok, "a validation accuracy is set beside a published test number")
		recs = append(recs, rec)
	}
	require.Equal(t, recs[0].Summary, recs[1].Summary, "the resumed tuning run ends otherwise")
	require.Equal(t, len(recs[0].Curve), len(recs[1].Curve))
	for i := range recs[0].Curve {
		require.Equal(t, recs[0].Curve[i].Accuracy, recs[1].Curve[i].Accuracy, "curve point %d", i)
	}

	_, err = Eval(context.Background(), DefaultEval(whole), Options{})
	require.ErrorContains(t, err, "eval.episodes: ")
	require.ErrorContains(t, err, "tuning run")
	_, err = ExportData(cfg)
	require.ErrorContains(t, err, "eval.episodes: ")

	// a separate test source is not even opened
	_, err = openExperimentData(tinyConfig(t, "fomaml", "data.test_path=absent.npz"))
	require.ErrorContains(t, err, "data.test_path")
	untested, err := openExperimentData(tinyConfig(t, "fomaml", "data.test_path=absent.npz", "eval.episodes=0"))
	require.NoError(t, err)
	require.Nil(t, untested.testDS)
	require.NotNil(t, untested.valDS)
}
