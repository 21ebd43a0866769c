package store

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/metabench/metabench/reports"
)

func perfRun(id, label string, started time.Time, median float64) *reports.PerfRun {
	return &reports.PerfRun{Schema: reports.PerfSchemaVersion, RunID: id, Label: label, Started: started, GOMAXPROCS: 2, PeakGFLOPS: 493,
		Env: reports.Env{CPUModel: "Test CPU", GemmPath: "simd-avx512", Commit: "abc"},
		Workloads: []reports.PerfWorkload{{Name: "conv4_fwd_bwd", MedianMS: median, MinMS: median - 1, MaxMS: median + 2, Reps: 3,
			TimesMS: []float64{median, median - 1, median + 2}, GFLOPS: 40}}}
}

// TestPerfRunsRoundTrip: perf runs come back as saved, oldest first,
// selected by label; the same run twice is stored once, another run under
// the same id is refused; Copy carries them; a run without workloads or
// id is refused.
func TestPerfRunsRoundTrip(t *testing.T) {
	forBackends(t, func(t *testing.T, b backend) {
		ctx := context.Background()
		s := openT(t, b.fresh(t))
		t0 := time.Date(2026, 12, 1, 3, 0, 0, 0, time.UTC)
		late, early := perfRun("perf-b", "nightly-2", t0.Add(24*time.Hour), 31), perfRun("perf-a", "nightly-1", t0, 30)
		require.NoError(t, s.PutPerf(ctx, late))
		require.NoError(t, s.PutPerf(ctx, early))
		all, err := s.ListPerf(ctx, "")
		require.NoError(t, err)
		require.Len(t, all, 2)
		assert.Equal(t, *early, all[0])
		assert.Equal(t, *late, all[1])
		one, err := s.ListPerf(ctx, "nightly-2")
		require.NoError(t, err)
		require.Len(t, one, 1)
		assert.Equal(t, "perf-b", one[0].RunID)

		added, err := s.AddPerf(ctx, early)
		require.NoError(t, err)
		assert.False(t, added)
		changed := perfRun("perf-a", "nightly-1", t0, 99)
		require.ErrorIs(t, s.PutPerf(ctx, changed), ErrDuplicate)

		for _, bad := range []*reports.PerfRun{perfRun("", "x", t0, 1), {Schema: reports.PerfSchemaVersion, RunID: "empty", Started: t0}} {
			require.Error(t, s.PutPerf(ctx, bad))
		}

		dst := openT(t, b.fresh(t))
		st, err := Copy(ctx, dst, s)
		require.NoError(t, err)
		assert.Equal(t, 2, st.PerfRead)
		assert.Equal(t, 2, st.PerfAdded)
		st, err = Copy(ctx, dst, s)
		require.NoError(t, err)
		assert.Equal(t, 0, st.PerfAdded)
		copied, err := dst.ListPerf(ctx, "")
		require.NoError(t, err)
		assert.Equal(t, all, copied)
	})
}
