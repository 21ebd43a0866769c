package reports

import "testing"

// TestCompareAtTasks: rows only at task counts both sides have, in order;
// the verdict holds 0 in the interval or not, and is untested with one
// common seed; no shared count is an error.
func TestCompareAtTasks(t *testing.T) {
	run := func(tasks int, seed int64, acc float64) TaskRun {
		return TaskRun{Tasks: tasks, Seed: seed, TrainSec: float64(tasks), Episodes: []float64{acc, acc + 0.1, acc - 0.1}}
	}
	ref := []TaskRun{run(8, 0, 0.5), run(8, 1, 0.52), run(4, 0, 0.4), run(4, 1, 0.41), run(16, 0, 0.6), run(2, 0, 0.3)}
	cand := []TaskRun{run(4, 1, 0.42), run(4, 0, 0.4), run(8, 0, 0.9), run(8, 1, 0.91), run(16, 0, 0.6), run(32, 0, 0.7)}
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
	if tab := TasksTable(rows, "a", "b"); len(tab.Rows) != 3 || tab.Rows[1][len(tab.Header)-1] != "NO" {
		t.Fatalf("table %v", tab.Rows)
	}
	if _, err := CompareAtTasks(ref, []TaskRun{run(64, 0, 0.5)}); err == nil {
		t.Fatal("no shared count: no error")
	}
}
