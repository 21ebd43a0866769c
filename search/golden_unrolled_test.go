package search

import (
	"testing"

	ad "github.com/metabench/metabench/autodiff"
	"github.com/metabench/metabench/search/genotype"
	"github.com/metabench/metabench/tensor"
)

type unrolledWeights struct {
	Ops opWeights             `json:"ops"`
	Cls map[string]goldTensor `json:"cls"`
}

type goldUnrolledCase struct {
	Name  string `json:"name"`
	Hyper struct {
		Mode       string   `json:"mode"`
		Stride     int      `json:"stride"`
		InnerSteps int      `json:"inner_steps"`
		EtaW       float64  `json:"eta_w"`
		EtaAlpha   float64  `json:"eta_alpha"`
		Tau        float64  `json:"tau"`
		Classes    int      `json:"num_classes"`
		Ops        []string `json:"ops"`
	} `json:"hyper"`
	Inputs struct {
		XTrain      goldTensor      `json:"x_train"`
		YTrain      goldTensor      `json:"y_train"`
		XVal        goldTensor      `json:"x_val"`
		YVal        goldTensor      `json:"y_val"`
		Alpha       goldTensor      `json:"alpha"`
		GumbelTrain goldTensor      `json:"gumbel_train"`
		GumbelVal   goldTensor      `json:"gumbel_val"`
		Weights     unrolledWeights `json:"weights"`
	} `json:"inputs"`
	Expected struct {
		TrainLosses  goldTensor      `json:"train_losses"`
		ValLoss      goldTensor      `json:"val_loss"`
		AdaptedW     unrolledWeights `json:"adapted_weights"`
		AdaptedAlpha goldTensor      `json:"adapted_alpha"`
		ExactAlpha   goldTensor      `json:"exact_grad_alpha"`
		ExactW       unrolledWeights `json:"exact_grad_weights"`
		FirstAlpha   goldTensor      `json:"first_order_grad_alpha"`
		FirstW       unrolledWeights `json:"first_order_grad_weights"`
		FDAlpha      goldTensor      `json:"fd_grad_alpha"`
		FDW          unrolledWeights `json:"fd_grad_weights"`
		FDR          goldTensor      `json:"fd_r"`
	} `json:"expected"`
}

// mixedObjective is the family-8 model: GAP(MixedOp(x; softmax((α+g)/τ)))
// @ W + b with cross-entropy; ψ = (layout weights..., α).
type mixedObjective struct {
	ops        []op
	clsW, clsB int
	nW         int
	xs, xq     *tensor.Tensor[float64]
	ys, yq     []int
	gTrain     []*tensor.Tensor[float64]
	gVal       *tensor.Tensor[float64]
	tau        float64
}

func (m *mixedObjective) Loss(tp *ad.Tape[float64], psi []*ad.Var[float64], t int) *ad.Var[float64] {
	x, y, g := m.xs, m.ys, (*tensor.Tensor[float64])(nil)
	if t == QueryStep {
		x, y, g = m.xq, m.yq, m.gVal
	} else {
		g = m.gTrain[t]
	}
	f := &fwd[float64]{tp: tp, p: psi[:m.nW]}
	z := ad.GumbelSoftmax(psi[m.nW], g, m.tau, 0, false)
	h := f.mixed(m.ops, tp.Const(x), z)
	logits := f.globalPoolLinear(h, m.clsW, m.clsB)
	return ad.CrossEntropy(logits, y)
}

func goldenUnrolled(t *testing.T, c goldUnrolledCase) {
	checkOps(t, c.Hyper.Ops)
	h := c.Hyper
	C := c.Inputs.XTrain.Shape[1]
	l := &Layout{}
	ops, err := newMixedOp(builder{l: l}, "ops", genotype.OpNames(), C, h.Stride)
	if err != nil {
		t.Fatal(err)
	}
	obj := &mixedObjective{ops: ops, tau: h.Tau,
		clsW: l.add("cls.w", []int{C, h.Classes}, InitUniformFanIn, C),
		clsB: l.add("cls.b", []int{h.Classes}, InitUniformFanIn, C),
		xs:   c.Inputs.XTrain.Tensor(), ys: c.Inputs.YTrain.Labels(),
		xq: c.Inputs.XVal.Tensor(), yq: c.Inputs.YVal.Labels(),
		gVal: c.Inputs.GumbelVal.Tensor(),
	}
	obj.nW = len(l.Specs)
	gt := c.Inputs.GumbelTrain
	for s := 0; s < h.InnerSteps; s++ {
		J := gt.Shape[1]
		obj.gTrain = append(obj.gTrain, tensor.FromSlice(append([]float64(nil), gt.Data[s*J:(s+1)*J]...), J))
	}
	bind := func(w unrolledWeights) []*tensor.Tensor[float64] {
		vals := make([]*tensor.Tensor[float64], len(l.Specs))
		bindOpWeights(t, l, vals, "ops", w.Ops)
		i, _ := l.Index("cls.w")
		vals[i] = w.Cls["w"].Tensor()
		i, _ = l.Index("cls.b")
		vals[i] = w.Cls["b"].Tensor()
		return vals
	}
	theta := append(bind(c.Inputs.Weights), c.Inputs.Alpha.Tensor())
	eta := make([]float64, len(theta))
	for k := range eta {
		eta[k] = h.EtaW
	}
	eta[len(eta)-1] = h.EtaAlpha // 0 in bilevel cases: α is not adapted
	compare := func(label string, got []*tensor.Tensor[float64], w unrolledWeights, alpha goldTensor, tl tol) {
		t.Helper()
		checkT(t, label+" alpha", got[obj.nW], alpha, tl)
		for _, opName := range sortedKeys(w.Ops) {
			for _, wn := range sortedKeys(w.Ops[opName]) {
				i, _ := l.Index("ops." + opName + "." + wn)
				checkT(t, label+" "+opName+"."+wn, got[i], w.Ops[opName][wn], tl)
			}
		}
		for _, wn := range []string{"w", "b"} {
			i, _ := l.Index("cls." + wn)
			checkT(t, label+" cls."+wn, got[i], w.Cls[wn], tl)
		}
	}
	for _, mode := range []GradMode{Exact, FirstOrder, FiniteDiff} {
		t.Run(string(mode), func(t *testing.T) {
			res, err := MetaGrad[float64](obj, theta, Unroll{Steps: h.InnerSteps, Eta: eta, Mode: mode})
			if err != nil {
				t.Fatal(err)
			}
			check(t, "train_losses", res.InnerLosses, c.Expected.TrainLosses, tolValue)
			check(t, "val_loss", []float64{res.QueryLoss}, c.Expected.ValLoss, tolValue)
			compare("adapted", res.Adapted, c.Expected.AdaptedW, c.Expected.AdaptedAlpha, tolMeta)
			switch mode {
			case Exact:
				compare("exact grad", res.Grad, c.Expected.ExactW, c.Expected.ExactAlpha, tolMeta)
			case FirstOrder:
				compare("first-order grad", res.Grad, c.Expected.FirstW, c.Expected.FirstAlpha, tolMeta)
			case FiniteDiff:
				check(t, "fd_r", res.FDRadii, c.Expected.FDR, tolValue)
				compare("fd grad", res.Grad, c.Expected.FDW, c.Expected.FDAlpha, tolFD)
			}
		})
	}
}
