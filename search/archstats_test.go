package search

import (
	"math"
	"strings"
	"testing"

	"github.com/metabench/metabench/search/genotype"
	"github.com/metabench/metabench/tensor"
	"github.com/stretchr/testify/require"
)

// meanEntropy: uniform rows have normalised entropy 1, one-hot-like rows
// near 0; two ops with p = (0.8, 0.2) by hand: -(0.8 ln 0.8 + 0.2 ln 0.2)/ln 2.
func TestMeanEntropy(t *testing.T) {
	require.InDelta(t, 1, meanEntropy([][]float64{{0, 0, 0}, {2, 2, 2}}), 1e-12)
	require.Less(t, meanEntropy([][]float64{{50, 0, 0}}), 1e-12)
	l := math.Log(4) // softmax(ln 4, 0) = (0.8, 0.2)
	want := -(0.8*math.Log(0.8) + 0.2*math.Log(0.2)) / math.Log(2)
	require.InDelta(t, want, meanEntropy([][]float64{{l, 0}}), 1e-12)
}

// ArchStats on a search network: uniform α at initialisation has entropy
// near 1; a step on α shows as MaxDelta; the genotype string decodes.
func TestArchStats(t *testing.T) {
	cfg := DefaultSearchNetConfig()
	cfg.Cells, cfg.Channels, cfg.Classes, cfg.InChannels, cfg.Reductions = 2, 2, 3, 1, []int{1}
	net, err := NewSearchNet(cfg)
	require.NoError(t, err)
	theta := make([]*tensor.Tensor[float32], len(net.Layout().Specs)+2)
	for i, sp := range net.Layout().Specs {
		theta[i] = tensor.New[float32](sp.Shape...)
	}
	J := net.NumOps()
	theta[len(theta)-2] = tensor.New[float32](14, J)
	theta[len(theta)-1] = tensor.New[float32](14, J)
	p, prev, err := ArchStats(net, theta, genotype.RuleDARTS, [2][][]float64{})
	require.NoError(t, err)
	require.InDelta(t, 1, p.EntropyNormal, 1e-12)
	require.InDelta(t, 1, p.EntropyReduce, 1e-12)
	require.Zero(t, p.MaxDelta, "the first point")
	require.Contains(t, p.Genotype, "normal=[")
	theta[len(theta)-2].Data[3*J+2] = 0.75
	q, _, err := ArchStats(net, theta, genotype.RuleDARTS, prev)
	require.NoError(t, err)
	require.InDelta(t, 0.75, q.MaxDelta, 1e-7)
	require.Less(t, q.EntropyNormal, 1.0)
	require.InDelta(t, 1, q.EntropyReduce, 1e-12)
}

// Converged: the genotype must hold over the last quarter and the entropy
// be low.
func TestConverged(t *testing.T) {
	c := Convergence{StableShare: 0.25, MaxEntropy: 0.9}
	pt := func(g string, h float64) ArchPoint { return ArchPoint{Genotype: g, EntropyNormal: h, EntropyReduce: h} }
	iters := []int{25, 50, 75, 100}
	ok, from := c.Converged(iters, []ArchPoint{pt("a", 0.99), pt("b", 0.95), pt("c", 0.85), pt("c", 0.8)})
	require.True(t, ok)
	require.Equal(t, 75, from)
	ok, from = c.Converged(iters, []ArchPoint{pt("a", 0.99), pt("b", 0.95), pt("b", 0.85), pt("c", 0.8)})
	require.False(t, ok, "changed at the last point")
	require.Equal(t, 100, from)
	ok, _ = c.Converged(iters, []ArchPoint{pt("a", 0.99), pt("a", 0.95), pt("a", 0.95), pt("a", 0.95)})
	require.False(t, ok, "stable but flat")
	// A swap of which of a node's two edges is the stronger is no change.
	g := "normal=[sep_conv_3x3:0 sep_conv_3x3:1 sep_conv_3x3:0 sep_conv_3x3:1 sep_conv_3x3:1 skip_connect:0 skip_connect:0 dil_conv_3x3:2] reduce=[max_pool_3x3:0 max_pool_3x3:1 skip_connect:2 max_pool_3x3:1 max_pool_3x3:0 skip_connect:2 skip_connect:2 max_pool_3x3:1]"
	swapped := strings.Replace(g, "normal=[sep_conv_3x3:0 sep_conv_3x3:1", "normal=[sep_conv_3x3:1 sep_conv_3x3:0", 1)
	moved := strings.Replace(g, "normal=[sep_conv_3x3:0 sep_conv_3x3:1 sep_conv_3x3:0", "normal=[sep_conv_3x3:0 sep_conv_3x3:0 sep_conv_3x3:1", 1)
	ok, from = c.Converged(iters, []ArchPoint{pt(g, 0.99), pt(g, 0.95), pt(swapped, 0.85), pt(g, 0.8)})
	require.True(t, ok)
	require.Equal(t, 25, from)
	ok, from = c.Converged(iters, []ArchPoint{pt(g, 0.99), pt(g, 0.95), pt(g, 0.85), pt(moved, 0.8)})
	require.False(t, ok, "an edge moved to another node")
	require.Equal(t, 100, from)
	// The shipped rule (R42): entropy below 0.98, the softmax relaxation's
	// settled level (0.89-0.97) passes, a search that barely moved α not.
	d := DefaultConvergence()
	ok, _ = d.Converged(iters, []ArchPoint{pt(g, 0.99), pt(g, 0.97), pt(g, 0.97), pt(g, 0.97)})
	require.True(t, ok)
	ok, _ = d.Converged(iters, []ArchPoint{pt(g, 0.999), pt(g, 0.995), pt(g, 0.99), pt(g, 0.985)})
	require.False(t, ok, "near-uniform alpha")
	require.Contains(t, d.Rule(), "last 25%")
	ok, from = c.Converged(nil, nil)
	require.False(t, ok)
	require.Equal(t, -1, from)
}
