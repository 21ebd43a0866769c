package reports

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
)

// ReferenceResults is what ReferenceTaskRuns reads of a reference
// implementation's result file (scripts/maml_reference.py writes one per
// seed): the seed and one point per evaluated number of tasks.
type ReferenceResults struct {
	Seed   int64            `json:"seed"`
	Points []ReferencePoint `json:"points"`
}

// ReferencePoint is one evaluation of a reference run: after Tasks
// meta-training tasks and TrainSeconds of training, the accuracy on each
// shared test episode.
type ReferencePoint struct {
	Tasks        int       `json:"tasks"`
	TrainSeconds float64   `json:"train_seconds"`
	Episodes     []float64 `json:"episodes"`
}

// ReadTaskRuns expands the glob patterns, in order and each one's files in
// name order, and reads every file with read (RecordTaskRuns,
// ReferenceTaskRuns). A pattern that matches nothing is an error.
func ReadTaskRuns(patterns []string, read func(path string) ([]TaskRun, error)) ([]TaskRun, error) {
	var runs []TaskRun
	for _, pat := range patterns {
		paths, err := filepath.Glob(pat)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", pat, err)
		}
		if len(paths) == 0 {
			return nil, fmt.Errorf("%s: no such file", pat)
		}
		sort.Strings(paths)
		for _, p := range paths {
			rs, err := read(p)
			if err != nil {
				return nil, err
			}
			runs = append(runs, rs...)
		}
	}
	return runs, nil
}

// RecordTaskRuns reads a train record file as one run at iterations x
// meta_batch tasks (the record's extra meta_batch).
func RecordTaskRuns(path string) ([]TaskRun, error) {
	rec, err := ReadJSON(path)
	if err != nil {
		return nil, err
	}
	mb, ok := rec.Extra["meta_batch"].(float64)
	if rec.Kind != "train" || !ok || mb < 1 || len(rec.Episodes) == 0 {
		return nil, fmt.Errorf("%s: not a train record with meta_batch and per-episode accuracies", path)
	}
	return []TaskRun{{Tasks: rec.Iters * int(mb), Seed: rec.Seed, TrainSec: rec.TrainSeconds(), Episodes: rec.Episodes}}, nil
}

// ReferenceTaskRuns reads a reference result file (ReferenceResults): one
// run per point.
func ReferenceTaskRuns(path string) ([]TaskRun, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var r ReferenceResults
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if len(r.Points) == 0 {
		return nil, fmt.Errorf("%s: no evaluation points", path)
	}
	runs := make([]TaskRun, len(r.Points))
	for i, p := range r.Points {
		runs[i] = TaskRun{Tasks: p.Tasks, Seed: r.Seed, TrainSec: p.TrainSeconds, Episodes: p.Episodes}
	}
	return runs, nil
}

// The layout of a comparison at equal tasks (scripts/maml_vs_torch.sh's
// output folder): metabench's records per seed and stage, and the
// reference's result file per seed, relative to the folder.
const (
	EqualTasksRecords   = "metabench/seed*/record-*.json"
	EqualTasksReference = "torch/seed*.json"
)

// FindEqualTasks returns the folder, dir itself or else the first of its
// direct subfolders in name order, that holds both sides of a comparison
// at equal tasks (EqualTasksRecords and EqualTasksReference); "" when none
// does.
func FindEqualTasks(dir string) (string, error) {
	has := func(d string) bool {
		for _, pat := range []string{EqualTasksRecords, EqualTasksReference} {
			if m, _ := filepath.Glob(filepath.Join(d, pat)); len(m) == 0 {
				return false
			}
		}
		return true
	}
	if has(dir) {
		return dir, nil
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return "", fmt.Errorf("equal tasks: %w", err)
	}
	for _, e := range entries {
		if e.IsDir() && has(filepath.Join(dir, e.Name())) {
			return filepath.Join(dir, e.Name()), nil
		}
	}
	return "", nil
}

// ReadEqualTasks reads both sides of the comparison in folder out
// (FindEqualTasks): the reference's runs and metabench's.
func ReadEqualTasks(out string) (ref, ours []TaskRun, err error) {
	if ref, err = ReadTaskRuns([]string{filepath.Join(out, EqualTasksReference)}, ReferenceTaskRuns); err != nil {
		return nil, nil, err
	}
	if ours, err = ReadTaskRuns([]string{filepath.Join(out, EqualTasksRecords)}, RecordTaskRuns); err != nil {
		return nil, nil, err
	}
	return ref, ours, nil
}
