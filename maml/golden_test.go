package maml

import (
	"encoding/json"
	"fmt"
	"github.com/metabench/metabench/internal/goldentest"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/metabench/metabench/nn"
	"github.com/metabench/metabench/tensor"
)

// goldTensor is a fixture tensor (shared decoding in internal/goldentest).
type goldTensor = goldentest.Tensor

func goldenDir(t *testing.T) string { return goldentest.Dir(t) }

type goldMAMLCase struct {
	Name  string `json:"name"`
	Hyper struct {
		InnerLR    float64  `json:"inner_lr"`
		InnerSteps int      `json:"inner_steps"`
		NWay       int      `json:"nway"`
		Filters    int      `json:"filters"`
		Image      []int    `json:"image"`
		ParamOrder []string `json:"param_order"`
		Beta       float64  `json:"reptile_beta"`
	} `json:"hyper"`
	Inputs struct {
		XS     goldTensor            `json:"x_support"`
		YS     goldTensor            `json:"y_support"`
		XQ     goldTensor            `json:"x_query"`
		YQ     goldTensor            `json:"y_query"`
		Params map[string]goldTensor `json:"params"`
	} `json:"inputs"`
	Expected struct {
		SupportLosses goldTensor            `json:"support_losses"`
		SupportGrad0  map[string]goldTensor `json:"support_grad_step0"`
		QueryLoss0    goldTensor            `json:"query_loss_at_theta0"`
		QueryLoss     goldTensor            `json:"query_loss"`
		QueryLogits   goldTensor            `json:"query_logits"`
		Adapted       map[string]goldTensor `json:"adapted_params"`
		MetaSO        map[string]goldTensor `json:"meta_grad_second_order"`
		MetaFO        map[string]goldTensor `json:"meta_grad_first_order"`
		Reptile       map[string]goldTensor `json:"reptile_params"`
	} `json:"expected"`
}

// Tolerances of ../shared/golden/README.md.
type tol struct{ abs, rel float64 }

var (
	tolValue = tol{1e-9, 1e-7}
	tolMeta  = tol{1e-8, 1e-6}
	tolZero  = tol{1e-12, 0}
)

func closeAll(got []float64, want []float64, tl tol) (int, float64, bool) {
	if len(got) != len(want) {
		return -1, 0, false
	}
	for i := range got {
		d := math.Abs(got[i] - want[i])
		if d > tl.abs+tl.rel*math.Abs(want[i]) {
			return i, d, false
		}
	}
	return 0, 0, true
}

// TestGolden checks Conv-4 MAML against the PyTorch reference values of
// maml_conv4.json: support losses, adapted parameters, query logits and
// loss, exact and first-order meta-gradients through 1 and 3 inner steps,
// and the Reptile update.
func TestGolden(t *testing.T) {
	path := filepath.Join(goldenDir(t), "maml_conv4.json")
	b, err := os.ReadFile(path)
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("golden: %v (CI=true: the golden files must be present)", err)
		}
		t.Skipf("golden: %v; set GOLDEN_DIR to run the maml_conv4 family", err)
	}
	var file struct {
		Family string         `json:"family"`
		Cases  []goldMAMLCase `json:"cases"`
	}
	if err := json.Unmarshal(b, &file); err != nil {
		t.Fatalf("golden: %s: %v", path, err)
	}
	if len(file.Cases) == 0 {
		t.Fatalf("golden: %s has no cases", path)
	}
	passed := 0
	for _, c := range file.Cases {
		ok := t.Run(c.Name, func(t *testing.T) { checkGoldenCase(t, c) })
		if ok {
			passed++
		}
	}
	t.Logf("golden: %d cases passed", passed)
}

func checkGoldenCase(t *testing.T, c goldMAMLCase) {
	h := c.Hyper
	m := nn.NewConv4[float64](h.Image[0], h.Image[1], h.Filters, h.NWay)
	names := m.ParamNames()
	if strings.Join(names, ",") != strings.Join(h.ParamOrder, ",") {
		t.Fatalf("parameter order %v, golden %v", names, h.ParamOrder)
	}
	params := make([]*tensor.Tensor[float64], len(names))
	for i, n := range names {
		params[i] = c.Inputs.Params[n].Tensor()
	}
	if err := nn.CheckShapes[float64](m, params); err != nil {
		t.Fatal(err)
	}
	task := &Task[float64]{XS: c.Inputs.XS.Tensor(), YS: c.Inputs.YS.Labels(), XQ: c.Inputs.XQ.Tensor(), YQ: c.Inputs.YQ.Labels()}
	isZero := func(name string) bool { return strings.HasPrefix(name, "conv") && strings.HasSuffix(name, ".b") }
	cmpParams := func(what string, got []*tensor.Tensor[float64], want map[string]goldTensor, tl tol, zeroAbs bool) {
		t.Helper()
		for i, n := range names {
			use := tl
			if zeroAbs && isZero(n) {
				use = tolZero
			}
			if j, d, ok := closeAll(got[i].Data, want[n].Data, use); !ok {
				if j < 0 {
					t.Errorf("%s %s: %d values, want %d", what, n, len(got[i].Data), len(want[n].Data))
					continue
				}
				t.Errorf("%s %s[%d] = %.17g, want %.17g (|diff| %.3g)", what, n, j, got[i].Data[j], want[n].Data[j], d)
			}
		}
	}

	so, err := TaskMetaGrad[float64](m, params, task, Hyper{InnerLR: h.InnerLR, InnerSteps: h.InnerSteps, SecondOrder: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, d, ok := closeAll(so.SupportLosses, c.Expected.SupportLosses.Data, tolValue); !ok {
		t.Errorf("support losses %v, want %v (%.3g)", so.SupportLosses, c.Expected.SupportLosses.Data, d)
	}
	if _, d, ok := closeAll([]float64{so.QueryLoss}, c.Expected.QueryLoss.Data, tolValue); !ok {
		t.Errorf("query loss %.17g, want %.17g (%.3g)", so.QueryLoss, c.Expected.QueryLoss.Data[0], d)
	}
	// Adapted parameters: conv biases equal θ0 up to round-off, so they are
	// compared with the value tolerance on their (non-zero) values.
	cmpParams("adapted", so.Adapted, c.Expected.Adapted, tolValue, false)
	cmpParams("meta_grad_second_order", so.Grads, c.Expected.MetaSO, tolMeta, true)

	fo, err := TaskMetaGrad[float64](m, params, task, Hyper{InnerLR: h.InnerLR, InnerSteps: h.InnerSteps})
	if err != nil {
		t.Fatal(err)
	}
	cmpParams("meta_grad_first_order", fo.Grads, c.Expected.MetaFO, tolMeta, true)
	if _, d, ok := closeAll([]float64{fo.QueryLoss}, c.Expected.QueryLoss.Data, tolValue); !ok {
		t.Errorf("first-order query loss %.17g, want %.17g (%.3g)", fo.QueryLoss, c.Expected.QueryLoss.Data[0], d)
	}

	// Query loss and logits at θ_T, and the support gradient at θ0.
	zero, err := TaskMetaGrad[float64](m, params, task, Hyper{InnerLR: h.InnerLR, InnerSteps: 0})
	if err != nil {
		t.Fatal(err)
	}
	if _, d, ok := closeAll([]float64{zero.QueryLoss}, c.Expected.QueryLoss0.Data, tolValue); !ok {
		t.Errorf("query loss at θ0 %.17g, want %.17g (%.3g)", zero.QueryLoss, c.Expected.QueryLoss0.Data[0], d)
	}
	sg := supportGrad(t, m, params, task)
	cmpParams("support_grad_step0", sg, c.Expected.SupportGrad0, tolValue, true)
	logits := forwardValues(m, so.Adapted, task.XQ)
	if j, d, ok := closeAll(logits.Data, c.Expected.QueryLogits.Data, tolValue); !ok {
		t.Errorf("query logits[%d] = %.17g, want %.17g (%.3g)", j, logits.Data[max(j, 0)], c.Expected.QueryLogits.Data[max(j, 0)], d)
	}

	// Reptile with plain full-batch SGD on the support set and β = 1.
	rp, err := ReptileTask[float64](m, params, task, ReptileHyper{LR: h.InnerLR, Steps: h.InnerSteps, Optimizer: "sgd"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]*tensor.Tensor[float64], len(params))
	for i, p := range params {
		out[i] = p.Clone()
		for j := range out[i].Data {
			out[i].Data[j] -= h.Beta * rp.Grads[i].Data[j]
		}
	}
	cmpParams("reptile_params", out, c.Expected.Reptile, tolValue, false)
	if t.Failed() {
		t.Log(fmt.Sprintf("case %s failed", c.Name))
	}
}
