package gemm

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// OpenBLAS is used only where its kernel family is made for the CPU.
func TestOpenBLASFits(t *testing.T) {
	for _, c := range []struct {
		core string
		cpu  int
		ok   bool
	}{
		{"Prescott", isaAVX512, false}, // Debian's 0.3.21 on an Intel CPU newer than itself
		{"Nehalem", isaAVX2, false},
		{"Haswell", isaAVX512, false},
		{"Haswell", isaAVX2, true},
		{"Zen", isaAVX2, true},
		{"SkylakeX", isaAVX512, true},
		{"Cooperlake", isaAVX512, true},
		{"SapphireRapids", isaAVX512, true},
		{"Sandybridge", isaAVX, true},
		{"ARMV8", isaAVX512, true}, // unknown here: not judged
	} {
		ok, why := openblasFits(c.core, c.cpu)
		require.Equal(t, c.ok, ok, "%s on %s", c.core, isaNames[c.cpu])
		if !ok {
			require.Contains(t, why, "openblas/"+c.core+" skipped")
			require.Contains(t, why, isaNames[c.cpu])
		}
	}
	require.Positive(t, cpuISA(), "an amd64 CPU has SSE3 at least")
}

// The FLOP counter counts 2mnk per product; the peak loop reports a rate.
func TestFLOPsAndPeak(t *testing.T) {
	a, b, c := make([]float32, 6*4), make([]float32, 4*5), make([]float32, 6*5)
	before := FLOPs()
	F32(false, false, 6, 5, 4, 1, a, 4, b, 5, 0, c, 5)
	require.Equal(t, int64(2*6*5*4), FLOPs()-before)
	p := MeasurePeak(30 * time.Millisecond)
	if p.ISA == "" {
		require.Zero(t, p.GFLOPS, "no loop, no peak")
		t.Skip("no SIMD multiply-add loop in this build or on this CPU")
	}
	require.Positive(t, p.GFLOPS)
	t.Logf("peak %.1f GFLOP/s (%s, %d workers)", p.GFLOPS, p.ISA, p.Workers)
}
