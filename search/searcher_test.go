package search

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/metabench/metabench/search/genotype"
	"github.com/metabench/metabench/tensor"
)

// synthTasks is a task stream of random 3-way images, pure in (iter, k).
func synthTasks(iter, k int) (Batch[float32], Batch[float32], error) {
	rng := rand.New(rand.NewPCG(uint64(iter), uint64(k)))
	mk := func(n int) Batch[float32] {
		x := tensor.New[float32](n, 1, 8, 8)
		y := make([]int, n)
		for i := range y {
			y[i] = i % 3
			for j := 0; j < 64; j++ {
				x.Data[i*64+j] = float32(rng.NormFloat64()) + float32(y[i])
			}
		}
		return Batch[float32]{X: x, Y: y}
	}
	return mk(3), mk(6), nil
}

func tinySearchNet(t *testing.T) *SearchNet {
	net, err := NewSearchNet(SearchNetConfig{Cells: 2, Channels: 4, Classes: 3, InChannels: 1, StemStride: 1, Reductions: []int{1}})
	if err != nil {
		t.Fatal(err)
	}
	return net
}

func TestSearcherVariants(t *testing.T) {
	net := tinySearchNet(t)
	for _, v := range []string{VariantExact, VariantFD, VariantFirstOrder, VariantReptile} {
		s := DefaultSettings()
		s.Variant, s.InnerSteps, s.MetaBatch, s.Iterations, s.EtaW, s.EtaA, s.Workers = v, 1, 2, 2, 0.1, 0.1, 2
		sr, err := NewSearcher(net, s, 1, synthTasks)
		if err != nil {
			t.Fatal(err)
		}
		before := cloneAll(sr.Theta)
		for it := 0; it < 2; it++ {
			st, err := sr.Step(it)
			if err != nil {
				t.Fatalf("%s: %v", v, err)
			}
			if st.QueryAcc < 0 || st.QueryAcc > 1 || st.QueryLoss <= 0 {
				t.Fatalf("%s: stats %+v", v, st)
			}
		}
		n := len(net.Layout().Specs)
		if equalAll(before[n:], sr.Theta[n:]) || equalAll(before[:n], sr.Theta[:n]) {
			t.Errorf("%s: Θ (weights or α) did not move", v)
		}
		if v != VariantFD {
			continue
		}
		// determinism: a second searcher with the same seed ends at the same Θ
		sr2, _ := NewSearcher(net, s, 1, synthTasks)
		for it := 0; it < 2; it++ {
			if _, err := sr2.Step(it); err != nil {
				t.Fatal(err)
			}
		}
		if !equalAll(sr.Theta, sr2.Theta) {
			t.Errorf("%s: two runs with one seed differ", v)
		}
		d, err := sr.Derive("x", genotype.RuleBASE, 2, 0.1, func(i int) (Batch[float32], error) {
			s, _, err := synthTasks(-1, i)
			return s, err
		})
		if err != nil || d.Genotype.Validate() != nil {
			t.Fatalf("%s: derive: %v", v, err)
		}
	}
	bad := DefaultSettings()
	bad.Variant = "magic"
	if _, err := NewSearcher(net, bad, 1, synthTasks); err == nil {
		t.Error("bad variant accepted")
	}
}

func cloneAll(ts []*tensor.Tensor[float32]) []*tensor.Tensor[float32] {
	out := make([]*tensor.Tensor[float32], len(ts))
	for i, t := range ts {
		out[i] = t.Clone()
	}
	return out
}

func equalAll(a, b []*tensor.Tensor[float32]) bool {
	for i := range a {
		for j := range a[i].Data {
			if a[i].Data[j] != b[i].Data[j] {
				return false
			}
		}
	}
	return true
}

// TestNineOps: J is configurable (SPEC A1): a 9th column conv_7x1_1x7 runs
// through the search and decodes; an unknown op is refused.
func TestNineOps(t *testing.T) {
	ops := append(genotype.OpNames(), genotype.Conv7x1_1x7)
	net, err := NewSearchNet(SearchNetConfig{Cells: 1, Channels: 2, Classes: 3, InChannels: 1, StemStride: 1, Reductions: []int{}, Ops: ops})
	if err != nil {
		t.Fatal(err)
	}
	s := DefaultSettings()
	s.InnerSteps, s.MetaBatch, s.Workers = 1, 1, 1
	sr, err := NewSearcher(net, s, 3, synthTasks)
	if err != nil {
		t.Fatal(err)
	}
	if sr.Theta[len(sr.Theta)-1].Shape[1] != 9 {
		t.Fatalf("α has %v columns", sr.Theta[len(sr.Theta)-1].Shape)
	}
	if _, err := sr.Step(0); err != nil {
		t.Fatal(err)
	}
	if d, err := sr.Derive("nine", genotype.RuleDARTS, 0, 1, nil); err != nil || d.Genotype.Validate() != nil {
		t.Fatal(err)
	}
	if _, err := NewSearchNet(SearchNetConfig{Cells: 1, Channels: 2, Classes: 3, Ops: []string{"none", "warp_drive"}}); err == nil {
		t.Fatal("unknown op accepted")
	}
}

// TestArchLRCosine: the cosine schedule scales the outer Adam step on α by
// (1 + cos(π·iter/E))/2 and leaves the weights' step alone. Two searchers
// from one seed take the same step 0 (factor 1); at step 1 their Θ are
// equal, so their meta-gradients are, and α's displacement under cosine is
// the constant schedule's times the factor.
func TestArchLRCosine(t *testing.T) {
	s := DefaultSettings()
	s.InnerSteps, s.MetaBatch, s.Iterations, s.EtaW, s.EtaA, s.Workers, s.ArchLR = 1, 2, 4, 0.1, 0.1, 1, 0.05
	c := s
	c.ArchSchedule = ScheduleCosine
	require.Equal(t, 0.05, c.ArchLRAt(0))
	require.InDelta(t, 0.025, c.ArchLRAt(2), 1e-15)
	require.InDelta(t, 0.05*(1+math.Cos(3*math.Pi/4))/2, c.ArchLRAt(3), 1e-15)
	require.Equal(t, 0.05, s.ArchLRAt(3))

	net := tinySearchNet(t)
	a, err := NewSearcher(net, s, 1, synthTasks)
	require.NoError(t, err)
	b, err := NewSearcher(net, c, 1, synthTasks)
	require.NoError(t, err)
	_, err = a.Step(0)
	require.NoError(t, err)
	_, err = b.Step(0)
	require.NoError(t, err)
	require.True(t, equalAll(a.Theta, b.Theta), "step 0 has factor 1")
	before := cloneAll(a.Theta)
	_, err = a.Step(1)
	require.NoError(t, err)
	_, err = b.Step(1)
	require.NoError(t, err)
	n := len(net.Layout().Specs)
	require.True(t, equalAll(a.Theta[:n], b.Theta[:n]), "the weights' step does not depend on the α schedule")
	f := (1 + math.Cos(math.Pi/4)) / 2
	moved := 0
	for i := n; i < len(a.Theta); i++ {
		for j, x0 := range before[i].Data {
			da, db := float64(a.Theta[i].Data[j]-x0), float64(b.Theta[i].Data[j]-x0)
			if math.Abs(da) < 1e-4 {
				continue
			}
			moved++
			require.InDelta(t, f, db/da, 1e-3, "α[%d][%d]", i, j)
		}
	}
	require.Positive(t, moved)

	c.Iterations = 0
	_, err = NewSearcher(net, c, 1, synthTasks)
	require.ErrorContains(t, err, "cosine")
	c.ArchSchedule = "step"
	_, err = NewSearcher(net, c, 1, synthTasks)
	require.ErrorContains(t, err, "schedule")
}
