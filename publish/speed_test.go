package publish

import (
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/metabench/metabench/publish/publishtest"
)

// TestSpeedPages: a site of perf runs alone has a speed section per
// machine kind and one page per workload and machine, with a point per run,
// a dot per repetition, and the planted slowdown marked on its run only
// (the run after it, at the same level, persists and is not flagged again);
// a machine with fewer than 3 earlier runs is not checked.
func TestSpeedPages(t *testing.T) {
	syn := publishtest.Nights()
	perf := publishtest.PerfNights(syn.Labels)
	runs := perf.Values()
	files, err := Site(nil, Options{Perf: runs})
	require.NoError(t, err)
	index := string(files[IndexFile])
	require.Equal(t, len(perf.Machines)*len(perf.Workloads), strings.Count(index, `data-kind="speed-row"`))
	var pages []string
	for name := range files {
		if strings.HasPrefix(name, "speed-") {
			pages = append(pages, name)
		}
	}
	require.Len(t, pages, len(perf.Machines)*len(perf.Workloads))
	slow := speedFile(perf.Slowdown.Machine, perf.Slowdown.Workload)
	for _, name := range pages {
		pg := string(files[name])
		machine := regexp.MustCompile(`<p class="sub">([^;]+);`).FindStringSubmatch(pg)
		require.NotNil(t, machine, name)
		n := perf.Machines[machine[1]]
		require.Equal(t, n, kinds(pg, "point"), name)
		require.Equal(t, perf.Reps*n, kinds(pg, "seed"), name)
		marks := regexp.MustCompile(`data-kind="regression" data-night="([^"]*)"`).FindAllStringSubmatch(pg, -1)
		if name == slow {
			require.Len(t, marks, 1, "%s: slowdown marks", name)
			require.Equal(t, perf.Slowdown.Label, marks[0][1])
			require.Contains(t, pg, "still slower, as the run before")
		} else {
			require.Empty(t, marks, "%s: no slowdown planted", name)
		}
		if n == 3 {
			require.Contains(t, pg, "not checked: 2 earlier runs on this machine, a check needs 3")
		}
	}
	shuffled := slices.Clone(runs)
	slices.Reverse(shuffled)
	again, err := Site(nil, Options{Perf: shuffled})
	require.NoError(t, err)
	require.Equal(t, files, again, "the same runs in any order give the same bytes")
	_, err = Site(nil, Options{})
	require.ErrorIs(t, err, ErrNoSuiteRecords)
	both, err := Site(syn.Values(), Options{Perf: runs})
	require.NoError(t, err)
	require.Len(t, both, len(files)+len(syn.Series), "suite pages and speed pages side by side")
}
