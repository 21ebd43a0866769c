package reports

import (
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// foldRecord is a train record of fold f (no data.fold key for f < 0, as
// in records written before folds existed: fold 0) with the given episodes.
func foldRecord(id string, f int, innerLR float64, started time.Time, eps ...float64) Record {
	data := map[string]any{"path": "embedded", "split_seed": float64(0)}
	cfg := map[string]any{"method": "maml", "inner_lr": innerLR, "data": data}
	if f >= 0 { // a newer record: data.fold and a newer key at its zero default
		data["fold"] = float64(f)
		cfg["zero_head"] = false
	}
	return Record{
		RunID: id, Kind: "train", Method: "maml", Model: "conv4", Started: started,
		Config:   cfg,
		Dataset:  Dataset{Path: "embedded", SHA256: "abc", Split: "groups:seed=0"},
		Proto:    Protocol{Ways: 5, Shots: 1, Queries: 15, StepsTrain: 1, StepsTest: 3, InnerLR: innerLR},
		Episodes: eps, Summary: Summarize(eps),
	}
}

// TestCrossValidate: records that differ only in data.fold form one
// cross-validation (a record without the key is fold 0); the mean of the
// fold means carries a Student-t interval; keys at their zero value match
// absent ones (records older than the key); the pooled summary equals the
// summary of all episodes, also when it is rebuilt from the folds'
// summaries alone; the latest run of a fold counts; an experiment with one
// fold is left out.
func TestCrossValidate(t *testing.T) {
	t0 := time.Date(2026, 11, 29, 0, 0, 0, 0, time.UTC)
	recs := []Record{
		foldRecord("a0", -1, 0.6, t0, 1, 0.8, 0.9, 1),
		foldRecord("a1", 1, 0.6, t0, 0.6, 0.8, 0.7),
		foldRecord("other", 1, 0.4, t0, 0.2, 0.2), // another experiment, one fold
		foldRecord("a2-old", 2, 0.6, t0, 0.1, 0.1),
		foldRecord("a2", 2, 0.6, t0.Add(time.Hour), 1, 1, 0.9, 0.95, 0.85),
	}
	cvs, err := CrossValidate(recs)
	require.NoError(t, err)
	require.Len(t, cvs, 1)
	cv := cvs[0]
	require.Equal(t, []int{0, 1, 2}, []int{cv.Folds[0].Fold, cv.Folds[1].Fold, cv.Folds[2].Fold})
	require.Equal(t, "a2", cv.Folds[2].RunID)
	m := []float64{0.925, 0.7, 0.94}
	mean := (m[0] + m[1] + m[2]) / 3
	var ss float64
	for _, x := range m {
		ss += (x - mean) * (x - mean)
	}
	sd := math.Sqrt(ss / 2)
	require.InDelta(t, mean, cv.Mean, 1e-12)
	require.InDelta(t, 4.302652729911275*sd/math.Sqrt(3), cv.CI95, 1e-9) // t(0.975, 2)
	all := Summarize([]float64{1, 0.8, 0.9, 1, 0.6, 0.8, 0.7, 1, 1, 0.9, 0.95, 0.85})
	require.InDelta(t, all.Mean, cv.Pooled.Mean, 1e-12)
	require.InDelta(t, all.CI95, cv.Pooled.CI95, 1e-12)
	require.Equal(t, 12, cv.Pooled.N)
	require.Equal(t, 1, cv.Lowest.Fold)

	// the same from summaries only (records without per-episode values)
	for i := range recs {
		recs[i].Episodes = nil
	}
	cvs2, err := CrossValidate(recs)
	require.NoError(t, err)
	require.Len(t, cvs2, 1)
	require.InDelta(t, all.Mean, cvs2[0].Pooled.Mean, 1e-12)
	require.InDelta(t, all.CI95, cvs2[0].Pooled.CI95, 1e-12)
	require.InDelta(t, cv.Mean, cvs2[0].Mean, 1e-12)

	tbl := CrossValTable(cvs)
	require.Len(t, tbl.Rows, 1)
	require.Equal(t, "0,1,2", tbl.Rows[0][4])
	require.Equal(t, "92.50 / 70.00 / 94.00", tbl.Rows[0][5])

	none, err := CrossValidate(recs[2:3])
	require.NoError(t, err)
	require.Empty(t, none)
}
