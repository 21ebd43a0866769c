package multitask

import (
	"path/filepath"
	"testing"
)

// tinyValidation is three fixed tasks of their own patterns, one per
// head size and one more.
func tinyValidation() Validation {
	return Validation{Tasks: 3, Seed: 5, Task: func(j int) (*Task, error) {
		size := 8 << (j % 2)
		seed := uint64(77000 + j)
		return &Task{Size: size, Support: *patterns(20, size, seed), Query: *patterns(10, size, seed+500)}, nil
	}}
}

// TestValidateIsIndependentOfTraining: validating between meta-iterations
// changes neither Θ nor the iterations that follow (its random state is
// ValRand's, never the training streams'), and the same Θ validated at
// one and at two workers, or twice, gives the same accuracies bit for bit.
func TestValidateIsIndependentOfTraining(t *testing.T) {
	s := tinySettings()
	plain, err := NewTrainer(tinyNet(t), s, 3, tinyTasks)
	if err != nil {
		t.Fatal(err)
	}
	checked, _ := NewTrainer(tinyNet(t), s, 3, tinyTasks)
	v := tinyValidation()
	var first []float64
	for it := 0; it < 3; it++ {
		if _, err := plain.Step(it); err != nil {
			t.Fatal(err)
		}
		if _, err := checked.Step(it); err != nil {
			t.Fatal(err)
		}
		accs, err := checked.Validate(it, v)
		if err != nil {
			t.Fatal(err)
		}
		if len(accs) != v.Tasks {
			t.Fatalf("%d accuracies for %d tasks", len(accs), v.Tasks)
		}
		if it == 0 {
			first = accs
		}
	}
	equalTheta(t, "validated run", plain.Theta, checked.Theta)

	one, _ := NewTrainer(tinyNet(t), s, 3, tinyTasks)
	one.Settings.Workers = 1
	if _, err := one.Step(0); err != nil {
		t.Fatal(err)
	}
	a1, err := one.Validate(0, v)
	if err != nil {
		t.Fatal(err)
	}
	again, _ := one.Validate(0, v)
	for j := range first {
		if a1[j] != first[j] || again[j] != first[j] {
			t.Fatalf("task %d: accuracy %v at 1 worker (%v again), %v at 2", j, a1[j], again[j], first[j])
		}
	}
	if _, err := one.Validate(0, Validation{}); err == nil {
		t.Error("validation without tasks accepted")
	}
}

// TestValidateDependsOnTheAdaptation: the inner loop matters: a task
// adapted with no steps scores the prior itself, with steps the adapted
// copy.
func TestValidateDependsOnTheAdaptation(t *testing.T) {
	s := tinySettings()
	s.InnerSteps = 6
	tr, err := NewTrainer(tinyNet(t), s, 4, tinyTasks)
	if err != nil {
		t.Fatal(err)
	}
	v := tinyValidation()
	v.Tasks = 4
	adapted, err := tr.Validate(0, v)
	if err != nil {
		t.Fatal(err)
	}
	tr.Settings.InnerSteps = 0
	prior, err := tr.Validate(0, v)
	if err != nil {
		t.Fatal(err)
	}
	same := true
	for j := range adapted {
		same = same && adapted[j] == prior[j]
	}
	if same {
		t.Errorf("adapted %v and unadapted %v validation accuracies are the same", adapted, prior)
	}
}

// TestCheckpointKeepsValidationPoints: validation points survive a
// checkpoint apart from the training statistics and in the order a run
// added them.
func TestCheckpointKeepsValidationPoints(t *testing.T) {
	tr, err := NewTrainer(tinyNet(t), tinySettings(), 9, tinyTasks)
	if err != nil {
		t.Fatal(err)
	}
	ck := &Checkpoint{Iter: 4,
		Curve: []CurvePoint{{Iter: 2, QueryAcc: 0.5, Loss: 2, HeadAcc: map[int]float64{}}, {Iter: 4, QueryAcc: 0.6, Loss: 1.5, HeadAcc: map[int]float64{}}},
		Val:   []ValPoint{{Iter: 2, Acc: 0.3, CI95: 0.1, Tau: 0.7}, {Iter: 4, Acc: 0.35, CI95: 0.05, Tau: 0.1}}}
	ck.Capture(tr)
	_, st, err := ck.State()
	if err != nil {
		t.Fatal(err)
	}
	var order []bool
	for _, p := range st.Curve {
		order = append(order, p.Validation)
	}
	if len(order) != 4 || order[0] || !order[1] || order[2] || !order[3] {
		t.Fatalf("curve order (validation marks) %v, want training, validation per iteration", order)
	}
	path := filepath.Join(t.TempDir(), CheckpointFile)
	if err := SaveCheckpoint(path, ck); err != nil {
		t.Fatal(err)
	}
	back, err := LoadCheckpoint(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(back.Curve) != 2 || len(back.Val) != 2 || back.Val[1] != ck.Val[1] || back.Curve[1].QueryAcc != 0.6 {
		t.Fatalf("reloaded curve %+v, validation %+v", back.Curve, back.Val)
	}
}
