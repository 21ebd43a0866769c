package multitask

import (
	"errors"
	"fmt"
	"math/rand/v2"

	"github.com/metabench/metabench/internal/parallel"
)

// Validation is a fixed set of validation tasks: 10-class tasks of classes
// held out of meta-training, the same tasks at every validation of a run
// (docs/DECISIONS.md R35).
type Validation struct {
	Tasks int                        // number of validation tasks
	Task  func(j int) (*Task, error) // validation task j: a pure function of j, safe for concurrent use
	Seed  int64                      // seed of the tasks' random state (ValRand), not the run's
}

// ValRand is the generator of validation task j (minibatch order and Gumbel
// noise of its inner loop): a function of the validation seed and j only,
// never of the training streams (TaskRand), so that validating leaves
// training unchanged and every validation of a run adapts task j with the
// same draws.
func ValRand(seed int64, j int) *rand.Rand {
	return rand.New(rand.NewPCG(uint64(seed)^0x76616c6964617465, uint64(j)+0x76616c)) // "validate", "val"
}

// Validate adapts the current Θ to every validation task with the inner
// loop of meta-iteration iter (Settings.Inner, InnerSteps, the temperature
// Tau(iter)) and scores the adapted copy on the task's query images as Step
// does. It returns the accuracies in task order; Θ is not modified. Tasks
// run in parallel (Settings.Workers) and each one's result depends on j
// alone, so the accuracies are the same at any number of workers.
func (tr *Trainer) Validate(iter int, v Validation) ([]float64, error) {
	if v.Tasks < 1 || v.Task == nil {
		return nil, errors.New("validation: no validation tasks")
	}
	s := tr.Settings
	in := s.Inner
	in.Tau = s.Tau(iter)
	accs := make([]float64, v.Tasks)
	err := parallel.For(v.Tasks, s.Workers, func(j int) error {
		task, err := v.Task(j)
		if err != nil {
			return fmt.Errorf("validation task %d: %w", j, err)
		}
		if task.Query.N < 1 {
			return fmt.Errorf("validation task %d: no query images to score", j)
		}
		h, err := tr.Net.HeadFor(task.Size)
		if err != nil {
			return fmt.Errorf("validation task %d: %w", j, err)
		}
		a, err := tr.Net.Adapt(tr.Theta, h, &task.Support, in, s.InnerSteps, ValRand(v.Seed, j))
		if err != nil {
			return fmt.Errorf("validation task %d: %w", j, err)
		}
		ev := Eval{Relax: in.Relax, Tau: in.Tau, Batch: s.EvalBatch, Samples: s.EvalSamples, Seed: uint64(v.Seed) ^ 0x76616c<<32 ^ uint64(j)}
		if accs[j], err = tr.Net.Accuracy(a.Psi, h, &task.Query, ev); err != nil {
			return fmt.Errorf("validation task %d: %w", j, err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return accs, nil
}
