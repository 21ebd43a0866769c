package genotype

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

func TestEdgeIndex(t *testing.T) {
	want := [][2]int{{2, 0}, {2, 1}, {3, 0}, {3, 1}, {3, 2}, {4, 0}, {4, 1}, {4, 2}, {4, 3}, {5, 0}, {5, 1}, {5, 2}, {5, 3}, {5, 4}}
	for e, ij := range want {
		if got := EdgeIndex(ij[0], ij[1]); got != e {
			t.Errorf("EdgeIndex(%d,%d) = %d, want %d", ij[0], ij[1], got, e)
		}
		if i, j := EdgeNodes(e); i != ij[0] || j != ij[1] {
			t.Errorf("EdgeNodes(%d) = (%d,%d)", e, i, j)
		}
	}
}

func TestBuiltinsValidAndRoundTrip(t *testing.T) {
	for _, n := range BuiltinNames() {
		g, ok := Builtin(n)
		if !ok {
			t.Fatalf("missing builtin %s", n)
		}
		if err := g.Validate(); err != nil {
			t.Fatal(err)
		}
		y, _ := g.YAML()
		g2, err := Parse(y)
		if err != nil {
			t.Fatalf("%s: parse own YAML: %v\n%s", n, err, y)
		}
		j, _ := g.JSON()
		g3, err := Parse(j)
		if err != nil {
			t.Fatalf("%s: parse own JSON: %v", n, err)
		}
		if !Equal(g, g2) || !Equal(g, g3) || g2.Name != n {
			t.Errorf("%s: round trip changed the genotype", n)
		}
	}
	// built-ins are fresh copies: mutating one does not affect the next
	g, _ := Builtin("darts-v2")
	g.Normal[0].Op = MaxPool3x3
	g2, _ := Builtin("darts-v2")
	if g2.Normal[0].Op != SepConv3x3 {
		t.Fatal("Builtin returned shared state")
	}
}

func TestLoadFileAndErrors(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "mine.yaml")
	g, _ := Builtin("base-cifar")
	y, _ := g.YAML()
	if err := os.WriteFile(p, y, 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := Load(p)
	if err != nil || !Equal(got, g) {
		t.Fatalf("Load file: %v", err)
	}
	if _, err := Load("genotype:darts-v2"); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(filepath.Join(dir, "nope.yaml")); err == nil {
		t.Fatal("missing file accepted")
	}
	bad := []string{
		"normal: [{op: sep_conv_3x3, input: 0}]\nreduce: []\n",
		"normal: [{op: warp, input: 0}]\n",
		"nonsense: 1\n",
	}
	for _, b := range bad {
		if _, err := Parse([]byte(b)); err == nil {
			t.Errorf("bad genotype accepted: %q", b)
		}
	}
	g.Normal[3].Input = 3 // node 3 cannot take input 3
	if g.Validate() == nil {
		t.Error("self-loop accepted")
	}
	g.Normal[3].Input = 0
	g.Normal[0].Op = None
	if g.Validate() == nil {
		t.Error("none accepted")
	}
}

// table builds a 14x8 probability table whose chosen entries carry weight.
func table(picks map[[2]int]float64) [][]float64 {
	p := make([][]float64, NumEdges)
	for e := range p {
		p[e] = make([]float64, 8)
		p[e][0] = 0.5 // none is strong everywhere and must never be chosen
		for o := 1; o < 8; o++ {
			p[e][o] = 0.01
		}
	}
	for k, v := range picks {
		p[k[0]][k[1]] = v
	}
	return p
}

func TestDecodeRules(t *testing.T) {
	ops := OpNames()
	// Reproduce the released BASE CIFAR normal cell by putting the largest
	// probabilities on its pairs: node 3 takes max and dil5 from node 0.
	g, _ := Builtin("base-cifar")
	picks := map[[2]int]float64{}
	col := map[string]int{}
	for o, n := range ops {
		col[n] = o
	}
	for k, e := range g.Normal {
		node := 2 + k/2
		picks[[2]int{EdgeIndex(node, e.Input), col[e.Op]}] = 0.3 - 0.01*float64(k%2)
	}
	p := table(picks)
	got, err := DecodeCell(p, ops, RuleBASE)
	if err != nil {
		t.Fatal(err)
	}
	for k := range got {
		if got[k] != g.Normal[k] {
			t.Fatalf("BASE rule edge %d = %v, want %v", k, got[k], g.Normal[k])
		}
	}
	// The DARTS rule cannot use node 0 twice for node 3.
	d, err := DecodeCell(p, ops, RuleDARTS)
	if err != nil {
		t.Fatal(err)
	}
	if d[2].Input == d[3].Input {
		t.Fatalf("DARTS rule picked one edge twice: %v %v", d[2], d[3])
	}
	if d[2] != (Edge{MaxPool3x3, 0}) {
		t.Fatalf("DARTS rule first edge of node 3 = %v", d[2])
	}
	// ties: lower predecessor, then lower op column
	flat := table(nil)
	got, _ = DecodeCell(flat, ops, RuleBASE)
	if got[0] != (Edge{MaxPool3x3, 0}) || got[1] != (Edge{AvgPool3x3, 0}) {
		t.Fatalf("BASE tie-break: %v %v", got[0], got[1])
	}
	got, _ = DecodeCell(flat, ops, RuleDARTS)
	if got[0] != (Edge{MaxPool3x3, 0}) || got[1] != (Edge{MaxPool3x3, 1}) {
		t.Fatalf("DARTS tie-break: %v %v", got[0], got[1])
	}
	if _, err := DecodeCell(flat[:3], ops, RuleBASE); err == nil {
		t.Fatal("short table accepted")
	}
	full, err := Decode("x", p, p, ops, RuleBASE)
	if err != nil || full.Validate() != nil {
		t.Fatal(err)
	}
}

func TestAverage(t *testing.T) {
	a := make([][]float64, NumEdges)
	b := make([][]float64, NumEdges)
	for e := range a {
		a[e] = []float64{0, 0}
		b[e] = []float64{1000, 0} // max-subtraction keeps this finite
	}
	p, err := Average([][][]float64{a, b})
	if err != nil {
		t.Fatal(err)
	}
	if d := p[0][0] - 0.75; d > 1e-12 || d < -1e-12 {
		t.Fatalf("average = %v, want 0.75", p[0][0])
	}
	if _, err := Average(nil); err == nil {
		t.Fatal("empty average accepted")
	}
}

// FuzzParse: no input makes Parse panic, and whatever it accepts validates
// and survives a YAML round trip.
func FuzzParse(f *testing.F) {
	g, _ := Builtin("base-cifar")
	y, _ := g.YAML()
	j, _ := g.JSON()
	f.Add(y)
	f.Add(j)
	f.Add([]byte("normal: []\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		g, err := Parse(b)
		if err != nil {
			return
		}
		if err := g.Validate(); err != nil {
			t.Fatalf("accepted an invalid genotype: %v", err)
		}
		y, err := g.YAML()
		if err != nil {
			t.Fatal(err)
		}
		g2, err := Parse(y)
		if err != nil || !Equal(g, g2) {
			t.Fatalf("round trip: %v\n%s", err, y)
		}
	})
}

func ExampleDecodeCell() {
	p := make([][]float64, NumEdges)
	for e := range p {
		p[e] = []float64{0.3, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1}
	}
	p[EdgeIndex(2, 0)][4] = 0.5 // sep_conv_3x3 on (2 <- 0)
	p[EdgeIndex(2, 0)][7] = 0.4 // dil_conv_5x5 on (2 <- 0)
	base, _ := DecodeCell(p, OpNames(), RuleBASE)
	darts, _ := DecodeCell(p, OpNames(), RuleDARTS)
	fmt.Println(base[0], base[1])
	fmt.Println(darts[0], darts[1])
	// Output:
	// {sep_conv_3x3 0} {dil_conv_5x5 0}
	// {sep_conv_3x3 0} {max_pool_3x3 1}
}

func TestParseStringRoundTrip(t *testing.T) {
	for _, name := range BuiltinNames() {
		g, _ := Builtin(name)
		h, err := ParseString(g.String())
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if !Equal(g, h) {
			t.Fatalf("%s: %v != %v", name, h, g)
		}
	}
	for _, bad := range []string{"", "normal=[sep_conv_3x3:0]", "normal=[x:0 y] reduce=[]", "normal=[] reduce=[] extra", "reduce=[] normal=[]"} {
		if _, err := ParseString(bad); err == nil {
			t.Errorf("ParseString(%q) accepted", bad)
		}
	}
}

// SameArchitecture: the order of a node's two edges and of the concat list
// is no change of network; moving an edge to another node, or changing an
// op or an input, is.
func TestSameArchitecture(t *testing.T) {
	g, ok := Builtin("darts-v2")
	if !ok {
		t.Fatal("darts-v2 missing")
	}
	swap := g.Canonical()
	swap.Normal[2], swap.Normal[3] = swap.Normal[3], swap.Normal[2]
	swap.Reduce[6], swap.Reduce[7] = swap.Reduce[7], swap.Reduce[6]
	swap.ReduceConcat = []int{5, 4, 3, 2}
	if Equal(g, swap) {
		t.Fatal("test genotype: the swap changed nothing")
	}
	if !SameArchitecture(g, swap) || !SameArchitecture(swap, g) {
		t.Errorf("a swap within a node changed the architecture:\n%s\n%s", g, swap)
	}
	moved := g.Canonical()
	moved.Normal[1], moved.Normal[2] = moved.Normal[2], moved.Normal[1] // across nodes 2 and 3
	other := g.Canonical()
	other.Reduce[0].Op = "dil_conv_5x5"
	input := g.Canonical()
	input.Normal[7].Input = (input.Normal[7].Input + 1) % 5
	for name, h := range map[string]*Genotype{"moved": moved, "op": other, "input": input} {
		if SameArchitecture(g, h) {
			t.Errorf("%s: %s reads as the same architecture as %s", name, h, g)
		}
	}
	if !Equal(g.Canonical().Canonical(), g.Canonical()) {
		t.Error("Canonical is not idempotent")
	}
}
