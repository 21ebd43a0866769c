package search

import (
	"encoding/json"
	"fmt"
	"github.com/metabench/metabench/internal/goldentest"
	"math"
	"os"
	"path/filepath"
	"sort"
	"testing"

	ad "github.com/metabench/metabench/autodiff"
	"github.com/metabench/metabench/search/genotype"
	"github.com/metabench/metabench/tensor"
)

// The helpers mirror the engine's golden tests (../shared/golden/README.md):
// tensors are {"shape", "data"}, float64, and compared with the suggested
// tolerances |a - b| <= abs + rel*|b|.

// goldTensor is a fixture tensor (shared decoding in internal/goldentest).
type goldTensor = goldentest.Tensor

func goldenDir(t *testing.T) string { return goldentest.Dir(t) }

type tol struct{ abs, rel float64 }

var (
	tolValue = tol{1e-9, 1e-7} // values, first-order gradients
	tolMeta  = tol{1e-8, 1e-6} // unrolled meta-gradients
	tolFD    = tol{1e-9, 1e-6} // finite-difference meta-gradients (digit cancellation)
	tolZero  = tol{1e-12, 0}   // quantities that are exactly 0
)

// check compares got with want and reports the worst element.
func check(t *testing.T, what string, got []float64, want goldTensor, tl tol) {
	t.Helper()
	if len(got) != len(want.Data) {
		t.Errorf("%s: %d values, want %d (shape %v)", what, len(got), len(want.Data), want.Shape)
		return
	}
	worst, wi := -1.0, -1
	for i := range got {
		d := math.Abs(got[i] - want.Data[i])
		if d > tl.abs+tl.rel*math.Abs(want.Data[i]) && d > worst {
			worst, wi = d, i
		}
	}
	if wi >= 0 {
		t.Errorf("%s: element %d = %.17g, want %.17g (|diff| %.3g)", what, wi, got[wi], want.Data[wi], worst)
	}
}

func checkT(t *testing.T, what string, got *tensor.Tensor[float64], want goldTensor, tl tol) {
	t.Helper()
	if !tensor.SameShape(got.Shape, want.Shape) && !(len(want.Shape) == 0 && got.Len() == 1) {
		t.Errorf("%s: shape %v, want %v", what, got.Shape, want.Shape)
		return
	}
	check(t, what, got.Data, want, tl)
}

// readGolden loads a family file; it skips when the file is absent unless
// CI=true.
func readGolden(t *testing.T, family string, v any) {
	t.Helper()
	path := filepath.Join(goldenDir(t), family+".json")
	b, err := os.ReadFile(path)
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("golden: %v (CI=true: the golden files must be present)", err)
		}
		t.Skipf("golden: %v; set GOLDEN_DIR to run the %s family", err, family)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("golden: %s: %v", path, err)
	}
}

// opWeights maps golden per-op weight dicts onto layout parameters named
// prefix.<op>.<weight>.
type opWeights map[string]map[string]goldTensor

func bindOpWeights(t *testing.T, l *Layout, vals []*tensor.Tensor[float64], prefix string, w opWeights) {
	t.Helper()
	for opName, ws := range w {
		for wn, g := range ws {
			name := prefix + "." + opName + "." + wn
			i, ok := l.Index(name)
			if !ok {
				t.Fatalf("golden weight %s has no parameter in the layout", name)
			}
			if !tensor.SameShape(l.Specs[i].Shape, g.Shape) {
				t.Fatalf("golden weight %s: shape %v, layout %v", name, g.Shape, l.Specs[i].Shape)
			}
			vals[i] = g.Tensor()
		}
	}
}

func sortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

type goldVariant struct {
	Relaxation string     `json:"relaxation"`
	Tau        float64    `json:"tau"`
	UsesGumbel bool       `json:"uses_gumbel"`
	Weights    goldTensor `json:"weights"`
	Out        goldTensor `json:"out"`
	GradAlpha  goldTensor `json:"grad_alpha"`
	GradX      goldTensor `json:"grad_x"`
	GradOpW    opWeights  `json:"grad_op_weights"`
}

type goldMixedCase struct {
	Name  string `json:"name"`
	Hyper struct {
		Stride int      `json:"stride"`
		Ops    []string `json:"ops"`
	} `json:"hyper"`
	Inputs struct {
		X      goldTensor `json:"x"`
		Alpha  goldTensor `json:"alpha"`
		Gumbel goldTensor `json:"gumbel_g"`
		Gy     goldTensor `json:"gy"`
		OpW    opWeights  `json:"op_weights"`
	} `json:"inputs"`
	Expected struct {
		OpOutputs map[string]goldTensor `json:"op_outputs"`
		Variants  []goldVariant         `json:"variants"`
	} `json:"expected"`
}

type goldCellCase struct {
	Name  string `json:"name"`
	Hyper struct {
		Reduction     bool     `json:"reduction"`
		ReductionPrev bool     `json:"reduction_prev"`
		Cpp           int      `json:"C_pp"`
		Cp            int      `json:"C_p"`
		C             int      `json:"C"`
		Ops           []string `json:"ops"`
		Edges         []struct {
			Index, I, J, Stride int
		} `json:"edges"`
	} `json:"hyper"`
	Inputs struct {
		S0      goldTensor  `json:"s0"`
		S1      goldTensor  `json:"s1"`
		Alpha   goldTensor  `json:"alpha"`
		Gy      goldTensor  `json:"gy"`
		Weights cellWeights `json:"weights"`
	} `json:"inputs"`
	Expected struct {
		Z         goldTensor   `json:"Z"`
		States    []goldTensor `json:"states"`
		Out       goldTensor   `json:"out"`
		GradAlpha goldTensor   `json:"grad_alpha"`
		GradS0    goldTensor   `json:"grad_s0"`
		GradS1    goldTensor   `json:"grad_s1"`
		GradW     cellWeights  `json:"grad_weights"`
	} `json:"expected"`
}

type cellWeights struct {
	Pre0  map[string]goldTensor `json:"pre0"`
	Pre1  map[string]goldTensor `json:"pre1"`
	Edges []opWeights           `json:"edges"`
}

// TestGolden checks the DARTS families of ../shared/golden against PyTorch:
// darts_mixed_op (every op, softmax and Gumbel mixtures, gradients),
// darts_cell (search cells, incl. reduction and FactorizedReduce
// preprocessing) and darts_unrolled (exact, first-order and finite-difference
// meta-gradients of the bilevel DARTS and joint BASE inner loops).
func TestGolden(t *testing.T) {
	passed := 0
	var mixed struct{ Cases []goldMixedCase }
	readGolden(t, "darts_mixed_op", &mixed)
	for _, c := range mixed.Cases {
		if t.Run("darts_mixed_op/"+c.Name, func(t *testing.T) { goldenMixed(t, c) }) {
			passed++
		}
	}
	var cells struct{ Cases []goldCellCase }
	readGolden(t, "darts_cell", &cells)
	for _, c := range cells.Cases {
		if t.Run("darts_cell/"+c.Name, func(t *testing.T) { goldenCell(t, c) }) {
			passed++
		}
	}
	var unrolled struct{ Cases []goldUnrolledCase }
	readGolden(t, "darts_unrolled", &unrolled)
	for _, c := range unrolled.Cases {
		if t.Run("darts_unrolled/"+c.Name, func(t *testing.T) { goldenUnrolled(t, c) }) {
			passed++
		}
	}
	if n := len(mixed.Cases) + len(cells.Cases) + len(unrolled.Cases); n == 0 {
		t.Fatal("golden: no cases")
	}
	t.Logf("golden: %d cases passed", passed)
}

func checkOps(t *testing.T, ops []string) {
	t.Helper()
	want := genotype.OpNames()
	if fmt.Sprint(ops) != fmt.Sprint(want) {
		t.Fatalf("golden op order %v, want %v", ops, want)
	}
}

func goldenMixed(t *testing.T, c goldMixedCase) {
	checkOps(t, c.Hyper.Ops)
	C := c.Inputs.X.Shape[1]
	l := &Layout{}
	ops, err := newMixedOp(builder{l: l}, "ops", genotype.OpNames(), C, c.Hyper.Stride)
	if err != nil {
		t.Fatal(err)
	}
	vals := make([]*tensor.Tensor[float64], len(l.Specs))
	bindOpWeights(t, l, vals, "ops", c.Inputs.OpW)
	// op outputs on their own
	tp := ad.NewTape[float64]()
	f := &fwd[float64]{tp: tp, p: constVars(tp, vals)}
	x := tp.Const(c.Inputs.X.Tensor())
	for k, name := range genotype.OpNames() {
		checkT(t, "op "+name, f.op(ops[k], x).Value(), c.Expected.OpOutputs[name], tolValue)
	}
	for _, v := range c.Expected.Variants {
		tp := ad.NewTape[float64]()
		p := paramVars(tp, vals)
		f := &fwd[float64]{tp: tp, p: p}
		x := tp.Param(c.Inputs.X.Tensor())
		alpha := tp.Param(c.Inputs.Alpha.Tensor())
		var noise *tensor.Tensor[float64]
		if v.UsesGumbel {
			noise = c.Inputs.Gumbel.Tensor()
		}
		z := ad.GumbelSoftmax(alpha, noise, v.Tau, 0, false)
		checkT(t, v.Relaxation+" weights", z.Value(), v.Weights, tolValue)
		out := f.mixed(ops, x, z)
		checkT(t, v.Relaxation+" out", out.Value(), v.Out, tolValue)
		xs := append([]*ad.Var[float64]{alpha, x}, p...)
		g, err := ad.GradWith(out, tp.Const(c.Inputs.Gy.Tensor()), xs, false)
		if err != nil {
			t.Fatal(err)
		}
		checkT(t, v.Relaxation+" grad_alpha", g[0].Value(), v.GradAlpha, tolValue)
		checkT(t, v.Relaxation+" grad_x", g[1].Value(), v.GradX, tolValue)
		for _, opName := range sortedKeys(v.GradOpW) {
			for _, wn := range sortedKeys(v.GradOpW[opName]) {
				i, _ := l.Index("ops." + opName + "." + wn)
				checkT(t, v.Relaxation+" grad "+opName+"."+wn, g[2+i].Value(), v.GradOpW[opName][wn], tolValue)
			}
		}
	}
}

func paramVars(tp *ad.Tape[float64], vals []*tensor.Tensor[float64]) []*ad.Var[float64] {
	out := make([]*ad.Var[float64], len(vals))
	for i, v := range vals {
		out[i] = tp.Param(v)
	}
	return out
}

func bindCell(t *testing.T, l *Layout, vals []*tensor.Tensor[float64], w cellWeights) {
	t.Helper()
	for pre, m := range map[string]map[string]goldTensor{"cell.pre0": w.Pre0, "cell.pre1": w.Pre1} {
		for wn, g := range m {
			i, ok := l.Index(pre + "." + wn)
			if !ok {
				t.Fatalf("golden weight %s.%s has no parameter", pre, wn)
			}
			vals[i] = g.Tensor()
		}
	}
	for e, ow := range w.Edges {
		bindOpWeights(t, l, vals, fmt.Sprintf("cell.edges.%d", e), ow)
	}
}

func goldenCell(t *testing.T, c goldCellCase) {
	checkOps(t, c.Hyper.Ops)
	h := c.Hyper
	for _, e := range h.Edges {
		if genotype.EdgeIndex(e.I, e.J) != e.Index {
			t.Fatalf("edge (%d<-%d): golden index %d, ours %d", e.I, e.J, e.Index, genotype.EdgeIndex(e.I, e.J))
		}
	}
	l := &Layout{}
	cell, err := newSearchCell(builder{l: l}, "cell", genotype.OpNames(), h.Cpp, h.Cp, h.C, h.Reduction, h.ReductionPrev)
	if err != nil {
		t.Fatal(err)
	}
	vals := make([]*tensor.Tensor[float64], len(l.Specs))
	bindCell(t, l, vals, c.Inputs.Weights)
	for i, v := range vals {
		if v == nil {
			t.Fatalf("parameter %s not in the golden weights", l.Specs[i].Name)
		}
	}
	tp := ad.NewTape[float64]()
	p := paramVars(tp, vals)
	f := &fwd[float64]{tp: tp, p: p}
	s0 := tp.Param(c.Inputs.S0.Tensor())
	s1 := tp.Param(c.Inputs.S1.Tensor())
	alpha := tp.Param(c.Inputs.Alpha.Tensor())
	z := Relax(alpha, Relaxation{Kind: RelaxSoftmax}, nil, 1)
	checkT(t, "Z", z.Value(), c.Expected.Z, tolValue)
	out, states := f.searchCell(&cell, s0, s1, z)
	for i, s := range states {
		checkT(t, fmt.Sprintf("state h%d", i), s.Value(), c.Expected.States[i], tolValue)
	}
	checkT(t, "out", out.Value(), c.Expected.Out, tolValue)
	g, err := ad.GradWith(out, tp.Const(c.Inputs.Gy.Tensor()), append([]*ad.Var[float64]{alpha, s0, s1}, p...), false)
	if err != nil {
		t.Fatal(err)
	}
	checkT(t, "grad_alpha", g[0].Value(), c.Expected.GradAlpha, tolValue)
	checkT(t, "grad_s0", g[1].Value(), c.Expected.GradS0, tolValue)
	checkT(t, "grad_s1", g[2].Value(), c.Expected.GradS1, tolValue)
	gw := c.Expected.GradW
	for pre, m := range map[string]map[string]goldTensor{"cell.pre0": gw.Pre0, "cell.pre1": gw.Pre1} {
		for _, wn := range sortedKeys(m) {
			i, _ := l.Index(pre + "." + wn)
			checkT(t, "grad "+pre+"."+wn, g[3+i].Value(), m[wn], tolValue)
		}
	}
	for e, ow := range gw.Edges {
		for _, opName := range sortedKeys(ow) {
			for _, wn := range sortedKeys(ow[opName]) {
				name := fmt.Sprintf("cell.edges.%d.%s.%s", e, opName, wn)
				i, _ := l.Index(name)
				checkT(t, "grad "+name, g[3+i].Value(), ow[opName][wn], tolValue)
			}
		}
	}
}
