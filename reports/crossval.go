package reports

import (
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strings"
)

// FoldResult is one fold's run in a cross-validation.
type FoldResult struct {
	Fold    int     `json:"fold"`
	RunID   string  `json:"run_id"`
	Split   string  `json:"split"`
	Summary Summary `json:"summary"`
	Iters   int     `json:"iterations"`
	WallSec float64 `json:"wall_sec"`
}

// CrossVal summarises the runs of one experiment over the folds of a k-fold
// split (config data.fold): the runs agree on everything but the fold.
//
// Mean is the mean of the k fold means and CI95 its Student-t interval
// t(0.975, k-1) · s / sqrt(k), s the standard deviation of the fold means:
// the uncertainty of the method's accuracy on an unseen group of classes,
// which includes the spread between folds. Pooled summarises all episodes of
// all folds as one sample (1.96 · s / sqrt(n)); it ignores the spread between
// folds and is the narrower of the two.
type CrossVal struct {
	Kind    string       `json:"kind"`
	Method  string       `json:"method"`
	Model   string       `json:"model"`
	Dataset string       `json:"dataset"`
	Proto   Protocol     `json:"protocol"`
	Folds   []FoldResult `json:"folds"` // in fold order
	Mean    float64      `json:"mean"`
	CI95    float64      `json:"ci95"`
	Pooled  Summary      `json:"pooled"`
	Lowest  FoldResult   `json:"lowest"` // the fold with the lowest mean
}

// FoldOf returns the data.fold of a record's configuration (0 when absent,
// as in records written before folds existed).
func FoldOf(r *Record) int {
	d, ok := r.Config["data"].(map[string]any)
	if !ok {
		return 0
	}
	switch v := d["fold"].(type) {
	case int:
		return v
	case int64:
		return int(v)
	case float64:
		return int(v)
	}
	return 0
}

// experimentKey identifies the experiment of a record up to its fold: kind,
// method, model, data file, protocol and the whole configuration without
// data.fold. Keys holding their zero value (0, false, "", empty) are left
// out, so that a record written before a key existed (with a zero default)
// matches one that records the key at its default.
func experimentKey(r *Record) (string, error) {
	cfg := withoutZeros(r.Config)
	if d, ok := cfg["data"].(map[string]any); ok {
		delete(d, "fold")
	}
	b, err := json.Marshal(cfg) // map keys are sorted: a canonical form
	if err != nil {
		return "", fmt.Errorf("reports: run %s: configuration: %w", r.RunID, err)
	}
	return strings.Join([]string{r.Kind, r.Method, r.Model, r.Dataset.Path, r.Dataset.SHA256, ProtocolString(r.Proto), string(b)}, "\x00"), nil
}

// withoutZeros copies a configuration map, recursively, without the keys
// whose values are zero (nil, false, 0, "", empty maps and lists).
func withoutZeros(m map[string]any) map[string]any {
	out := map[string]any{}
	for k, v := range m {
		switch x := v.(type) {
		case nil:
			continue
		case bool:
			if !x {
				continue
			}
		case string:
			if x == "" {
				continue
			}
		case float64:
			if x == 0 {
				continue
			}
		case int:
			if x == 0 {
				continue
			}
		case int64:
			if x == 0 {
				continue
			}
		case []any:
			if len(x) == 0 {
				continue
			}
		case map[string]any:
			x = withoutZeros(x)
			if len(x) == 0 {
				continue
			}
			v = x
		}
		out[k] = v
	}
	return out
}

// CrossValidate groups records that differ only in their fold and
// summarises every group that covers at least two folds. When a fold was
// run more than once the latest run counts. Groups come out in the order of
// their first record.
func CrossValidate(recs []Record) ([]CrossVal, error) {
	type group struct {
		first  int
		byFold map[int]*Record
	}
	groups := map[string]*group{}
	var order []string
	for i := range recs {
		r := &recs[i]
		if r.Summarized().N == 0 || r.NoTest() {
			continue // nothing scored, or a tuning run's validation accuracy (no test)
		}
		key, err := experimentKey(r)
		if err != nil {
			return nil, err
		}
		g, ok := groups[key]
		if !ok {
			g = &group{first: i, byFold: map[int]*Record{}}
			groups[key] = g
			order = append(order, key)
		}
		f := FoldOf(r)
		if prev, ok := g.byFold[f]; !ok || r.Started.After(prev.Started) {
			g.byFold[f] = r
		}
	}
	var out []CrossVal
	for _, key := range order {
		g := groups[key]
		if len(g.byFold) < 2 {
			continue
		}
		folds := make([]int, 0, len(g.byFold))
		for f := range g.byFold {
			folds = append(folds, f)
		}
		sort.Ints(folds)
		first := &recs[g.first]
		cv := CrossVal{Kind: first.Kind, Method: first.Method, Model: first.Model, Dataset: DatasetName(first.Dataset), Proto: first.Proto}
		means := make([]float64, 0, len(folds))
		// the pooled summary comes from the folds' summaries, so records
		// without per-episode values pool too: each fold's sample variance
		// is recovered from its CI (s = ci·sqrt(n)/1.96)
		var pooledN int
		var pooledSum, pooledSS float64
		for _, f := range folds {
			r := g.byFold[f]
			fr := FoldResult{Fold: f, RunID: r.RunID, Split: r.Dataset.Split, Summary: r.Summarized(), Iters: r.Iters, WallSec: r.WallSec}
			cv.Folds = append(cv.Folds, fr)
			means = append(means, fr.Summary.Mean)
			if len(cv.Folds) == 1 || fr.Summary.Mean < cv.Lowest.Summary.Mean {
				cv.Lowest = fr
			}
			n := float64(fr.Summary.N)
			s := fr.Summary.CI95 * math.Sqrt(n) / z95
			pooledN += fr.Summary.N
			pooledSum += n * fr.Summary.Mean
			pooledSS += (n-1)*s*s + n*fr.Summary.Mean*fr.Summary.Mean
		}
		n := float64(pooledN)
		m := pooledSum / n
		v := (pooledSS - n*m*m) / (n - 1)
		cv.Pooled = Summary{Mean: m, CI95: z95 * math.Sqrt(math.Max(v, 0)/n), N: pooledN}
		st := SummarizeT(means)
		cv.Mean, cv.CI95 = st.Mean, st.CI95
		out = append(out, cv)
	}
	return out, nil
}

// CrossValNote says how CrossValTable's two intervals are computed.
const CrossValNote = "mean of folds: mean of the fold means ± t(0.975, k-1)·s/sqrt(k) over the k folds (each fold a training run), clipped to [0, 100]; pooled: every test episode of every fold as one sample, ± 1.96·s/sqrt(n) (conditional on those trained models)"

// CrossValTable is one row per cross-validation: the experiment, every
// fold's accuracy, the mean of the fold means with its t interval, the
// pooled episodes and the lowest fold.
func CrossValTable(cvs []CrossVal) *Table {
	t := &Table{
		Header: []string{"kind", "method", "dataset", "protocol", "folds", "accuracy per fold %", "mean of folds % [95% CI (t over folds)]", "pooled % [95% CI over episodes]", "episodes", "lowest fold %"},
		Rows:   make([][]string, 0, len(cvs)),
	}
	for _, cv := range cvs {
		var names, accs []string
		for _, f := range cv.Folds {
			names = append(names, fmt.Sprint(f.Fold))
			accs = append(accs, fmt.Sprintf("%.2f", 100*f.Summary.Mean))
		}
		t.Rows = append(t.Rows, []string{
			cv.Kind, cv.Method, cv.Dataset, ProtocolString(cv.Proto), strings.Join(names, ","), strings.Join(accs, " / "),
			SymmetricCell(cv.Mean, cv.CI95), SymmetricCell(cv.Pooled.Mean, cv.Pooled.CI95),
			fmt.Sprint(cv.Pooled.N), fmt.Sprintf("%.2f (fold %d)", 100*cv.Lowest.Summary.Mean, cv.Lowest.Fold),
		})
	}
	return t
}
