package experiment

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/metabench/metabench/config"
	"github.com/metabench/metabench/maml"
	"github.com/metabench/metabench/nn"
	"github.com/metabench/metabench/tensor"
)

// finetune is the worked example of docs/BASELINES.md: a baseline added
// from outside package maml, in one file, with an option block of its own.
// It meta-trains θ on the query loss at θ itself (no inner loop) and, at
// test time, fine-tunes on the support set with test_steps SGD steps at its
// own rate finetune.test_lr.
func init() {
	maml.Register(maml.Def{Name: "finetune",
		Options: func() any { return &finetuneOptions{TestLR: 0.1} },
		New32:   func(o any) maml.Method[float32] { return finetune[float32]{*o.(*finetuneOptions)} },
		New64:   func(o any) maml.Method[float64] { return finetune[float64]{*o.(*finetuneOptions)} }})
}

// finetuneOptions are the finetune: block of an experiment file.
type finetuneOptions struct {
	TestLR float64 `yaml:"test_lr"` // rate of the test-time fine-tuning
}

// Validate checks the block (maml.OptionsValidator).
func (o *finetuneOptions) Validate() error {
	if o.TestLR <= 0 {
		return errors.New("test_lr: must be above 0")
	}
	return nil
}

type finetune[T tensor.Float] struct{ opts finetuneOptions }

func (finetune[T]) Name() string { return "finetune" }

// TaskGrad is the query-loss gradient at θ (MAML with no inner step).
func (finetune[T]) TaskGrad(m nn.Model[T], params []*tensor.Tensor[T], task *maml.Task[T], s *maml.Settings, _ *rand.Rand) (*maml.TaskResult[T], error) {
	return maml.TaskMetaGrad(m, params, task, maml.Hyper{Work: s.Work})
}

// NewOuter is the outer Adam of the settings.
func (finetune[T]) NewOuter(s *maml.Settings, params []*tensor.Tensor[T]) maml.Outer[T] {
	return maml.MetaAdam(s, params)
}

// EvalTask fine-tunes with s.TestSteps SGD steps at test_lr.
func (f finetune[T]) EvalTask(m nn.Model[T], params []*tensor.Tensor[T], task *maml.Task[T], s *maml.Settings) (float64, float64, error) {
	return maml.AdaptEval(m, params, task, f.opts.TestLR, s.TestSteps, s.Work)
}

// Describe names the variant in the run's record (maml.Describer).
func (f finetune[T]) Describe(s *maml.Settings) map[string]any {
	return map[string]any{"method_variant": fmt.Sprintf("finetune: no inner loop in training; %d test steps at %g", s.TestSteps, f.opts.TestLR)}
}

// TestMethodFromOutside: the example method, registered in this file, is
// checked, trained, evaluated and recorded like the built-in ones, its
// block read and checked by package config (TestResumeExact runs it too).
func TestMethodFromOutside(t *testing.T) {
	cfg := tinyConfig(t, "finetune", "finetune.test_lr=0.05", "iterations=2")
	rec, err := train(context.Background(), cfg, &Options{Out: t.TempDir()}, nil)
	require.NoError(t, err)
	require.Equal(t, "finetune", rec.Method)
	require.Equal(t, "finetune: no inner loop in training; 3 test steps at 0.05", rec.Extra["method_variant"])
	require.Equal(t, 0.05, rec.Config["finetune"].(map[string]any)["test_lr"])

	y := "version: 1\nmethod: finetune\nfinetune: {test_lr: 0}\n"
	c, err := config.Parse([]byte(y))
	require.NoError(t, err)
	require.EqualError(t, c.Validate(), "finetune.test_lr: must be above 0")
	c, err = config.Parse([]byte(strings.NewReplacer("method: finetune", "method: maml", "test_lr: 0", "test_lr: 0.3").Replace(y)))
	require.NoError(t, err)
	require.EqualError(t, c.Validate(), `finetune: options of method finetune, not of "maml": remove the block or use its defaults`)
}
