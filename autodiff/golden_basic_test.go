package autodiff

import "testing"

// Family "basic": relu, log_softmax, cross_entropy, linear and a small MLP
// (README family 4).
var _ = registerGolden("basic", opRecordChecker(buildBasic[float64], buildBasic[float32]))

func basicInput[T Float](t testing.TB, c *goldenCase, in map[string]*Var[T], k string) *Var[T] {
	t.Helper()
	v, ok := in[k]
	if !ok {
		t.Fatalf("golden case %s: op %s needs input %q", c.Name, c.Op, k)
	}
	return v
}

func buildBasic[T Float](t testing.TB, c *goldenCase, in map[string]*Var[T]) *Var[T] {
	t.Helper()
	switch c.Op {
	case "relu":
		return ReLU(basicInput(t, c, in, "x"))
	case "log_softmax":
		return LogSoftmax(basicInput(t, c, in, "x"), c.hyperInt(t, "dim"))
	case "cross_entropy":
		if c.hasHyper("reduction") && c.hyperString(t, "reduction") != "mean" {
			t.Fatalf("golden case %s: reduction %q", c.Name, c.hyperString(t, "reduction"))
		}
		return CrossEntropy(basicInput(t, c, in, "logits"), c.labels(t, "labels"))
	case "linear":
		var b *Var[T]
		if v, ok := in["b"]; ok {
			b = v
		}
		return Linear(basicInput(t, c, in, "x"), basicInput(t, c, in, "w"), b)
	case "mlp":
		h := ReLU(Linear(basicInput(t, c, in, "x"), basicInput(t, c, in, "w1"), basicInput(t, c, in, "b1")))
		return CrossEntropy(Linear(h, basicInput(t, c, in, "w2"), basicInput(t, c, in, "b2")), c.labels(t, "labels"))
	}
	t.Fatalf("golden case %s: unknown basic op %q", c.Name, c.Op)
	return nil
}
