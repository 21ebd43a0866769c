package suite

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/metabench/metabench/reports"
)

// TestMeanCPUSecSkipsPartial: a record whose CPU time covers only its last
// sittings is left out of the row's mean, unless all are such.
func TestMeanCPUSecSkipsPartial(t *testing.T) {
	partial := &reports.Record{CPUSec: 100, Extra: map[string]any{reports.ExtraCPUPartial: "resumed"}}
	whole := []*reports.Record{{CPUSec: 5000}, {CPUSec: 5200}}
	require.InDelta(t, 5100, meanCPUSec(append(whole, partial)), 1e-9)
	require.InDelta(t, 100, meanCPUSec([]*reports.Record{partial}), 1e-9)
}

// TestRecordCostOfResumedRuns: a resumed run's CPU time is whole unless
// marked partial, when it is scaled by training over wall seconds; its wall
// clock is its training seconds.
func TestRecordCostOfResumedRuns(t *testing.T) {
	whole := &reports.Record{CPUSec: 6000, WallSec: 1000, TrainSec: 3000}
	cpu, wall := recordCost(whole)
	require.Equal(t, 6000.0, cpu)
	require.Equal(t, 3000.0, wall)
	partial := &reports.Record{CPUSec: 2000, WallSec: 1000, TrainSec: 3000, Extra: map[string]any{reports.ExtraCPUPartial: "resumed"}}
	cpu, wall = recordCost(partial)
	require.Equal(t, 6000.0, cpu)
	require.Equal(t, 3000.0, wall)
}
