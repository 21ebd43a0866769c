package autodiff

// Golden families conv2d, pool and batchnorm (generic op records; see
// ../shared/golden/README.md), checked through the TestGolden dispatcher:
//
//	f = sum(gy*y), grad[k] = df/d inputs[k], h = sum_k sum(v[k]*grad[k]),
//	hvp[k] = dh/d inputs[k], hvp.gy = dh/d gy.
//
// On top of checkOpRecord (float64 values, gradients and HVPs against the
// recorded ones; float32 values and gradients against float64), these
// families also compare the float32 HVPs with float64 and, for batch norm,
// the recorded batch mean and biased variance.

import (
	"testing"

	"github.com/metabench/metabench/tensor"
)

var (
	_ = registerGolden("conv2d", convGoldenChecker)
	_ = registerGolden("pool", convGoldenChecker)
	_ = registerGolden("batchnorm", convGoldenChecker)
)

// convGoldenPair reads an [h, w] hyper-parameter (or a single int), with a
// default when absent.
func convGoldenPair(t testing.TB, c *goldenCase, key string, def int) (int, int) {
	t.Helper()
	if !c.hasHyper(key) {
		return def, def
	}
	var p []int
	if string(c.Hyper[key])[0] == '[' {
		p = c.hyperInts(t, key)
	} else {
		v := c.hyperInt(t, key)
		p = []int{v, v}
	}
	if len(p) != 2 {
		t.Fatalf("golden case %s: hyper %s = %v, want [h, w]", c.Name, key, p)
	}
	return p[0], p[1]
}

// buildConvGolden builds the op of a conv2d, pool or batchnorm case.
func buildConvGolden[T Float](t testing.TB, c *goldenCase, in map[string]*Var[T]) *Var[T] {
	t.Helper()
	need := func(k string) *Var[T] {
		v, ok := in[k]
		if !ok {
			t.Fatalf("golden case %s: op %s needs input %q", c.Name, c.Op, k)
		}
		return v
	}
	switch c.Op {
	case "conv2d":
		sh, sw := convGoldenPair(t, c, "stride", 1)
		ph, pw := convGoldenPair(t, c, "padding", 0)
		dh, dw := convGoldenPair(t, c, "dilation", 1)
		groups := 1
		if c.hasHyper("groups") {
			groups = c.hyperInt(t, "groups")
		}
		if c.hasHyper("bias") && c.hyperBool(t, "bias") != (in["b"] != nil) {
			t.Fatalf("golden case %s: hyper bias=%v but input b present=%v", c.Name, c.hyperBool(t, "bias"), in["b"] != nil)
		}
		return Conv2d(need("x"), need("w"), in["b"], Conv2dOpts{StrideH: sh, StrideW: sw, PadH: ph, PadW: pw, DilH: dh, DilW: dw, Groups: groups})
	case "max_pool2d", "avg_pool2d":
		if c.hasHyper("ceil_mode") && c.hyperBool(t, "ceil_mode") {
			t.Fatalf("golden case %s: ceil_mode=True is not supported", c.Name)
		}
		kh, kw := convGoldenPair(t, c, "kernel", 0)
		sh, sw := convGoldenPair(t, c, "stride", 0)
		if sh == 0 {
			sh, sw = kh, kw
		}
		ph, pw := convGoldenPair(t, c, "padding", 0)
		if c.Op == "max_pool2d" {
			if c.hasHyper("pad_value") && c.hyperString(t, "pad_value") != "-inf" {
				t.Fatalf("golden case %s: pad_value %q", c.Name, c.hyperString(t, "pad_value"))
			}
			return MaxPool2dHW(need("x"), kh, kw, sh, sw, ph, pw)
		}
		if c.hasHyper("count_include_pad") && c.hyperBool(t, "count_include_pad") {
			t.Fatalf("golden case %s: count_include_pad=True is not supported", c.Name)
		}
		return AvgPool2dHW(need("x"), kh, kw, sh, sw, ph, pw)
	case "batch_norm_train":
		eps := 1e-5
		if c.hasHyper("eps") {
			eps = c.hyperFloat(t, "eps")
		}
		if c.hasHyper("affine") && c.hyperBool(t, "affine") != (in["gamma"] != nil) {
			t.Fatalf("golden case %s: affine=%v but gamma present=%v", c.Name, c.hyperBool(t, "affine"), in["gamma"] != nil)
		}
		return BatchNorm(need("x"), in["gamma"], in["beta"], eps)
	}
	t.Fatalf("golden case %s: unknown op %q", c.Name, c.Op)
	return nil
}

func convGoldenChecker(t *testing.T, f *goldenFile) int {
	passed := 0
	for _, c := range f.Cases {
		ok := t.Run(c.Name, func(t *testing.T) {
			checkOpRecord(t, c, buildConvGolden[float64], buildConvGolden[float32])
			// float32 HVPs (hvp.gy included) against float64
			r64 := runOpRecord(t, c, buildConvGolden[float64])
			r32 := runOpRecord(t, c, buildConvGolden[float32])
			for k, h := range r64.hvp {
				checkF32(t, "hvp."+k, r32.hvp[k], h)
			}
			if c.Op == "batch_norm_train" {
				mean, variance := BatchNormStats(c.input(t, "x"))
				if _, ok := c.Expected["batch_mean"]; ok {
					checkClose(t, "batch_mean", tensor.FromSlice(mean, len(mean)), c.expectedTensor(t, "batch_mean"), goldenAbs, goldenRel)
				}
				if _, ok := c.Expected["batch_var_biased"]; ok {
					checkClose(t, "batch_var_biased", tensor.FromSlice(variance, len(variance)), c.expectedTensor(t, "batch_var_biased"), goldenAbs, goldenRel)
				}
			}
		})
		if ok {
			passed++
		}
	}
	return passed
}
