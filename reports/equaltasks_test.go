package reports

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// TestCompareAtTasks: rows only at task counts both sides have, in order;
// the verdict holds 0 in the interval or not, and is untested with one
// seed on a side (the cell names the side); seeds need not match across
// the sides (independent draws); no shared count is an error.
func TestCompareAtTasks(t *testing.T) {
	run := func(tasks int, seed int64, acc float64) TaskRun {
		return TaskRun{Tasks: tasks, Seed: seed, TrainSec: float64(tasks), Episodes: []float64{acc, acc + 0.1, acc - 0.1}}
	}
	ref := []TaskRun{run(8, 0, 0.5), run(8, 1, 0.52), run(4, 0, 0.4), run(4, 1, 0.41), run(16, 0, 0.6), run(2, 0, 0.3)}
	cand := []TaskRun{run(4, 1, 0.42), run(4, 0, 0.4), run(8, 5, 0.9), run(8, 6, 0.91), run(16, 0, 0.6), run(32, 0, 0.7)}
	rows, err := CompareAtTasks(ref, cand)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 3 || rows[0].Tasks != 4 || rows[1].Tasks != 8 || rows[2].Tasks != 16 {
		t.Fatalf("rows %+v", rows)
	}
	for i, want := range []struct{ ok, tested bool }{{true, true}, {false, true}, {false, false}} {
		ok, tested := rows[i].Consistent()
		if ok != want.ok || tested != want.tested {
			t.Errorf("%d tasks: consistent %v tested %v, want %v %v", rows[i].Tasks, ok, tested, want.ok, want.tested)
		}
	}
	if rows[0].B.Seeds[0] != 0 || rows[0].SecB != 4 {
		t.Fatalf("row 4: seeds %v, seconds %v", rows[0].B.Seeds, rows[0].SecB)
	}
	tab := TasksTable(rows, "a", "b")
	if len(tab.Rows) != 3 || tab.Rows[1][len(tab.Header)-1] != "NO" || tab.Rows[2][len(tab.Header)-1] != "untested (1 seed of a and b)" {
		t.Fatalf("table %v", tab.Rows)
	}
	if _, err := CompareAtTasks(ref, []TaskRun{run(64, 0, 0.5)}); err == nil {
		t.Fatal("no shared count: no error")
	}
}

// TestReadTaskRuns: train records give one run at iterations x meta_batch
// tasks, reference files one run per point; patterns expand in name order,
// and a pattern matching nothing, a record of another kind or a reference
// file without points are errors naming the file.
func TestReadTaskRuns(t *testing.T) {
	dir := t.TempDir()
	for i, seed := range []int64{1, 0} {
		rec := &Record{Schema: SchemaVersion, RunID: fmt.Sprint("r", i), Kind: "train", Method: "maml", Seed: seed,
			Iters: 3 + i, TrainSec: 10, Episodes: []float64{0.5, 0.75}, Extra: map[string]any{"meta_batch": 4}}
		if err := WriteJSON(filepath.Join(dir, fmt.Sprintf("rec%d.json", i)), rec); err != nil {
			t.Fatal(err)
		}
	}
	runs, err := ReadTaskRuns([]string{filepath.Join(dir, "rec*.json")}, RecordTaskRuns)
	if err != nil {
		t.Fatal(err)
	}
	want := []TaskRun{{Tasks: 12, Seed: 1, TrainSec: 10, Episodes: []float64{0.5, 0.75}}, {Tasks: 16, Seed: 0, TrainSec: 10, Episodes: []float64{0.5, 0.75}}}
	if !reflect.DeepEqual(runs, want) {
		t.Fatalf("records: %+v, want %+v", runs, want)
	}

	ref := ReferenceResults{Seed: 7, Points: []ReferencePoint{{Tasks: 0, TrainSeconds: 0, Episodes: []float64{0.2}}, {Tasks: 8, TrainSeconds: 3, Episodes: []float64{0.6}}}}
	b, _ := json.Marshal(ref)
	refPath := filepath.Join(dir, "ref.json")
	if err := os.WriteFile(refPath, b, 0o644); err != nil {
		t.Fatal(err)
	}
	runs, err = ReadTaskRuns([]string{refPath}, ReferenceTaskRuns)
	if err != nil {
		t.Fatal(err)
	}
	want = []TaskRun{{Tasks: 0, Seed: 7, Episodes: []float64{0.2}}, {Tasks: 8, Seed: 7, TrainSec: 3, Episodes: []float64{0.6}}}
	if !reflect.DeepEqual(runs, want) {
		t.Fatalf("reference: %+v, want %+v", runs, want)
	}

	empty := filepath.Join(dir, "empty.json")
	if err := os.WriteFile(empty, []byte(`{"seed": 1, "points": []}`), 0o644); err != nil {
		t.Fatal(err)
	}
	evalRec := &Record{Schema: SchemaVersion, RunID: "e", Kind: "eval", Episodes: []float64{0.5}, Extra: map[string]any{"meta_batch": 4}}
	evalPath := filepath.Join(dir, "eval.json")
	if err := WriteJSON(evalPath, evalRec); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		pattern, want string
		read          func(string) ([]TaskRun, error)
	}{
		{filepath.Join(dir, "none*.json"), "no such file", RecordTaskRuns},
		{empty, "empty.json: no evaluation points", ReferenceTaskRuns},
		{evalPath, "eval.json: not a train record", RecordTaskRuns},
	} {
		if _, err := ReadTaskRuns([]string{c.pattern}, c.read); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want %q", c.pattern, err, c.want)
		}
	}
}
