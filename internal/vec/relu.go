package vec

import "math"

// The sign masks of ReLU and of its derivative, on the bits of float32s
// (the signs of activations are unpredictable, so no body branches on
// them):
//
//	ReLU(dst, src):          dst = src where src > 0 or src is NaN, else +0
//	StepMask(dst, g, ref):   dst = g where ref > 0 (ref not NaN), else +0

func reluScalar(dst, src []float32) {
	dst = dst[:len(src)]
	for i, v := range src {
		b := int32(math.Float32bits(v))
		keep := b > 0 || b&0x7fffffff > 0x7f800000
		if !keep {
			b = 0
		}
		dst[i] = math.Float32frombits(uint32(b))
	}
}

func stepMaskScalar(dst, g, ref []float32) {
	dst, ref = dst[:len(g)], ref[:len(g)]
	for i, v := range g {
		r := int32(math.Float32bits(ref[i]))
		if r > 0 && r <= 0x7f800000 {
			dst[i] = v
		} else {
			dst[i] = 0
		}
	}
}
