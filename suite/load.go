package suite

import (
	"context"
	"fmt"

	"github.com/metabench/metabench/reports"
	"github.com/metabench/metabench/store"
)

// Records reads from st the records of suite name run with label (Select
// over the store's records with that label): the records and the suite
// version they have (0 when there are none).
func Records(ctx context.Context, st Store, name, label string) ([]*reports.Record, int, error) {
	all, err := st.List(ctx, store.Filter{Label: label})
	if err != nil {
		return nil, 0, err
	}
	recs, version := Select(all, name, label)
	return recs, version, nil
}

// SelectLatest is Select with label, or, when label is empty, with the
// label of suite name's latest run among recs (Labels); it also returns
// the label it used.
func SelectLatest(recs []reports.Record, name, label string) ([]*reports.Record, string, int) {
	if label == "" {
		if labels := Labels(recs, name); len(labels) > 0 {
			label = labels[0]
		}
	}
	sel, version := Select(recs, name, label)
	return sel, label, version
}

// BaselineError says why the runs of suite Suite labelled Label cannot be
// a nightly check's baseline: the store holds none (Missing), or they are
// of suite version Version, not the candidate's Want.
type BaselineError struct {
	Label, Suite  string
	Missing       bool
	Version, Want int
}

func (e *BaselineError) Error() string {
	if e.Missing {
		return fmt.Sprintf("the store holds no run of suite %s with that label", e.Suite)
	}
	return fmt.Sprintf("suite %s version %d, not this run's version %d (not comparable)", e.Suite, e.Version, e.Want)
}

// Baselines reads from st the rows of suite name under each of labels, in
// order, for Nightly: the first label that has no run of the suite, or one
// of another version than version, stops it with a *BaselineError.
func Baselines(ctx context.Context, st Store, name string, version int, labels []string) ([][]*Row, error) {
	var base [][]*Row
	for _, l := range labels {
		recs, v, err := Records(ctx, st, name, l)
		if err != nil {
			return nil, err
		}
		switch {
		case len(recs) == 0:
			return nil, &BaselineError{Label: l, Suite: name, Missing: true}
		case v != version:
			return nil, &BaselineError{Label: l, Suite: name, Version: v, Want: version}
		}
		base = append(base, Rows(recs))
	}
	return base, nil
}
