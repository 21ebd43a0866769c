//go:build goexperiment.simd && amd64

package vec

import (
	"simd/archsimd"
	"testing"
)

// Each instruction-set body against the definition, on whatever this CPU
// can run (an AVX-512 machine checks both).
func TestTapsBodies(t *testing.T) {
	if archsimd.X86.AVX512() {
		checkTaps(t, "tapsAVX512", tapsAVX512)
		checkLaneDots(t, "laneDotsAVX512", laneDotsAVX512)
		checkMaxTaps(t, "maxTapsAVX512", maxTapsAVX512)
	}
	if archsimd.X86.AVX2() {
		checkTaps(t, "tapsAVX2", tapsAVX2)
		checkLaneDots(t, "laneDotsAVX2", laneDotsAVX2)
		checkMaxTaps(t, "maxTapsAVX2", maxTapsAVX2)
	} else {
		t.Skip("no AVX2 on this CPU")
	}
}
