package maml

import (
	"fmt"

	"github.com/metabench/metabench/tensor"
)

// Describe returns the options of meth under s for a run's record ("extra"
// entries): "method_variant", a sentence naming what the method did, and the
// method's own settings. nil for methods that are not Describers.
func Describe[T tensor.Float](meth Method[T], s *Settings) map[string]any {
	if d, ok := meth.(Describer); ok {
		return d.Describe(s)
	}
	return nil
}

// FirstOrderNote is the part of a second-order method's description that
// names its first-order iterations ("" when there are none).
func FirstOrderNote(s *Settings) string {
	if s.FirstOrderIterations > 0 {
		return fmt.Sprintf(" (first order for the first %d iterations)", s.FirstOrderIterations)
	}
	return ""
}
