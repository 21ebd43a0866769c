package maml

import (
	"fmt"

	"github.com/metabench/metabench/tensor"
)

// describer is a method that names the options it ran with (Describe).
type describer interface {
	describe(s *Settings) map[string]any
}

// Describe returns the options of meth under s for a run's record ("extra"
// entries): "method_variant", a sentence naming what the method did, and the
// method's own settings. nil for methods without options of their own.
func Describe[T tensor.Float](meth Method[T], s *Settings) map[string]any {
	if d, ok := meth.(describer); ok {
		return d.describe(s)
	}
	return nil
}

func (ProtoNets[T]) describe(*Settings) map[string]any {
	return map[string]any{"method_variant": "protonets: logits = -squared Euclidean distance to the support-mean prototypes of the Conv-4 body's features; " +
		"support and query embedded as one batch (transductive batch norm); no inner loop (inner_lr, inner_steps and test_steps unused)"}
}

func (ANIL[T]) describe(s *Settings) map[string]any {
	return map[string]any{"method_variant": fmt.Sprintf("anil: inner loop adapts the head (fc.w, fc.b) only, %d steps at %g (test: %d); exact second-order meta-gradient%s",
		s.InnerSteps, s.InnerLR, s.TestSteps, firstOrderNote(s))}
}

func (*MetaSGD[T]) describe(s *Settings) map[string]any {
	return map[string]any{"method_variant": fmt.Sprintf("metasgd: per-element inner learning rates meta-learned with the weights, from %g; exact second-order meta-gradient%s",
		s.InnerLR, firstOrderNote(s))}
}

func (*MAMLPP[T]) describe(s *Settings) map[string]any {
	msl := "final step's loss only"
	if s.MSLIterations > 0 {
		msl = fmt.Sprintf("multi-step loss annealed over %d iterations", s.MSLIterations)
	}
	sched := s.MetaLRSchedule
	if sched == "" {
		sched = "linear"
	}
	return map[string]any{
		"method_variant": fmt.Sprintf("mamlpp: %s; per-step BN weights %v (batch statistics of each step); learned per-layer per-step inner lr %v; meta lr schedule %s%s",
			msl, s.PerStepBN, s.LearnInnerLR, sched, firstOrderNote(s)),
		"mamlpp_multi_step_loss_iterations": s.MSLIterations, "mamlpp_per_step_bn": s.PerStepBN, "mamlpp_learn_inner_lr": s.LearnInnerLR,
		"meta_lr_schedule": sched,
	}
}

func firstOrderNote(s *Settings) string {
	if s.FirstOrderIterations > 0 {
		return fmt.Sprintf(" (first order for the first %d iterations)", s.FirstOrderIterations)
	}
	return ""
}
