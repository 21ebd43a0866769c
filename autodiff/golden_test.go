package autodiff

// Golden tests against PyTorch reference values (../shared/golden, format in
// its README). TestGolden is a dispatcher: every family file found in
// $GOLDEN_DIR is handed to the checker registered for its family. Test files
// of this package register checkers with
//
//	var _ = registerGolden("family", checker)
//
// (a package-level initialiser in _test code, no init function). Families
// that other packages check are listed in goldenClaimedElsewhere; a family
// that nobody claims fails the test.

import (
	"encoding/json"
	"fmt"
	"github.com/metabench/metabench/internal/goldentest"
	"math"
	"os"
	"path/filepath"
	"sort"
	"testing"

	"github.com/metabench/metabench/tensor"
)

// goldenChecker checks every case of one family file and returns the number
// of cases that passed.
type goldenChecker func(t *testing.T, f *goldenFile) int

type goldenRegistration struct {
	family string
	check  goldenChecker
}

// goldenRegistrations is filled by registerGolden from package-level
// initialisers of the test files (test code only).
var goldenRegistrations []goldenRegistration

// registerGolden adds a family checker; use as `var _ = registerGolden(...)`.
func registerGolden(family string, check goldenChecker) bool {
	goldenRegistrations = append(goldenRegistrations, goldenRegistration{family, check})
	return true
}

// goldenFamilies returns the families checked by this package.
func goldenFamilies() map[string]goldenChecker {
	m := make(map[string]goldenChecker, len(goldenRegistrations))
	for _, r := range goldenRegistrations {
		if _, dup := m[r.family]; dup {
			panic("golden: family registered twice: " + r.family)
		}
		m[r.family] = r.check
	}
	return m
}

// goldenClaimedElsewhere maps the families checked by other packages to the
// package that owns them.
var goldenClaimedElsewhere = map[string]string{
	"maml_conv4":     "maml",
	"darts_mixed_op": "search",
	"darts_cell":     "search",
	"darts_unrolled": "search",
}

// Tolerances of ../shared/golden/README.md.
const (
	goldenAbs = 1e-9 // values, first-order gradients, exact HVPs: |a-b| <= 1e-9 + 1e-7|b|
	goldenRel = 1e-7
	f32Rel    = 1e-4 // float32 against float64
)

// goldenTensor is the JSON form of a tensor.
type goldenTensor struct {
	Shape []int     `json:"shape"`
	Data  []float64 `json:"data"`
}

func (g goldenTensor) tensor() *tensor.Tensor[float64] {
	if tensor.Numel(g.Shape) != len(g.Data) {
		panic(fmt.Sprintf("golden: tensor shape %v with %d values", g.Shape, len(g.Data)))
	}
	return tensor.FromSlice(append([]float64(nil), g.Data...), g.Shape...)
}

// goldenFile is one family file.
type goldenFile struct {
	Path   string
	Family string        `json:"family"`
	DType  string        `json:"dtype"`
	Cases  []*goldenCase `json:"cases"`
}

// goldenCase is one case; fields not common to all families stay raw.
type goldenCase struct {
	Name     string                     `json:"name"`
	Op       string                     `json:"op"`
	Hyper    map[string]json.RawMessage `json:"hyper"`
	Inputs   map[string]json.RawMessage `json:"inputs"`
	Expected map[string]json.RawMessage `json:"expected"`
	Raw      map[string]json.RawMessage `json:"-"`
}

func readGoldenFile(path string) (*goldenFile, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var f goldenFile
	if err := json.Unmarshal(b, &f); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	var raw struct {
		Cases []map[string]json.RawMessage `json:"cases"`
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	for i, c := range f.Cases {
		c.Raw = raw.Cases[i]
	}
	f.Path = path
	return &f, nil
}

func decodeTensor(raw json.RawMessage) (*tensor.Tensor[float64], error) {
	var g goldenTensor
	if err := json.Unmarshal(raw, &g); err != nil {
		return nil, err
	}
	if g.Shape == nil && g.Data == nil {
		return nil, fmt.Errorf("not a tensor: %.60s", raw)
	}
	if g.Shape == nil {
		g.Shape = []int{}
	}
	if tensor.Numel(g.Shape) != len(g.Data) {
		return nil, fmt.Errorf("tensor shape %v with %d values", g.Shape, len(g.Data))
	}
	return tensor.FromSlice(g.Data, g.Shape...), nil
}

func decodeTensorMap(raw json.RawMessage) (map[string]*tensor.Tensor[float64], error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, err
	}
	out := make(map[string]*tensor.Tensor[float64], len(m))
	for k, v := range m {
		t, err := decodeTensor(v)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", k, err)
		}
		out[k] = t
	}
	return out, nil
}

// field returns a top-level field of the case (t.Fatal if absent).
func (c *goldenCase) field(t testing.TB, key string) json.RawMessage {
	t.Helper()
	r, ok := c.Raw[key]
	if !ok {
		t.Fatalf("golden case %s: no field %q", c.Name, key)
	}
	return r
}

// tensorField decodes a top-level tensor field such as "gy".
func (c *goldenCase) tensorField(t testing.TB, key string) *tensor.Tensor[float64] {
	t.Helper()
	x, err := decodeTensor(c.field(t, key))
	if err != nil {
		t.Fatalf("golden case %s: %s: %v", c.Name, key, err)
	}
	return x
}

// tensorMapField decodes a top-level dict of tensors such as "v".
func (c *goldenCase) tensorMapField(t testing.TB, key string) map[string]*tensor.Tensor[float64] {
	t.Helper()
	m, err := decodeTensorMap(c.field(t, key))
	if err != nil {
		t.Fatalf("golden case %s: %s: %v", c.Name, key, err)
	}
	return m
}

// input decodes inputs[key] as a tensor.
func (c *goldenCase) input(t testing.TB, key string) *tensor.Tensor[float64] {
	t.Helper()
	r, ok := c.Inputs[key]
	if !ok {
		t.Fatalf("golden case %s: no input %q", c.Name, key)
	}
	x, err := decodeTensor(r)
	if err != nil {
		t.Fatalf("golden case %s: input %s: %v", c.Name, key, err)
	}
	return x
}

// expectedTensor decodes expected[key] as a tensor.
func (c *goldenCase) expectedTensor(t testing.TB, key string) *tensor.Tensor[float64] {
	t.Helper()
	r, ok := c.Expected[key]
	if !ok {
		t.Fatalf("golden case %s: no expected %q", c.Name, key)
	}
	x, err := decodeTensor(r)
	if err != nil {
		t.Fatalf("golden case %s: expected %s: %v", c.Name, key, err)
	}
	return x
}

// expectedTensorMap decodes expected[key] as a dict of tensors.
func (c *goldenCase) expectedTensorMap(t testing.TB, key string) map[string]*tensor.Tensor[float64] {
	t.Helper()
	r, ok := c.Expected[key]
	if !ok {
		t.Fatalf("golden case %s: no expected %q", c.Name, key)
	}
	m, err := decodeTensorMap(r)
	if err != nil {
		t.Fatalf("golden case %s: expected %s: %v", c.Name, key, err)
	}
	return m
}

// labels decodes the integer tensor of a top-level field (default "labels").
func (c *goldenCase) labels(t testing.TB, key string) []int {
	t.Helper()
	x := c.tensorField(t, key)
	out := make([]int, len(x.Data))
	for i, v := range x.Data {
		out[i] = int(v)
		if float64(out[i]) != v {
			t.Fatalf("golden case %s: %s holds non-integer %v", c.Name, key, v)
		}
	}
	return out
}

func (c *goldenCase) hyperValue(t testing.TB, key string, dst any) {
	t.Helper()
	r, ok := c.Hyper[key]
	if !ok {
		t.Fatalf("golden case %s: no hyper %q", c.Name, key)
	}
	if err := json.Unmarshal(r, dst); err != nil {
		t.Fatalf("golden case %s: hyper %s: %v", c.Name, key, err)
	}
}

func (c *goldenCase) hyperInt(t testing.TB, key string) int {
	t.Helper()
	var v int
	c.hyperValue(t, key, &v)
	return v
}

func (c *goldenCase) hyperInts(t testing.TB, key string) []int {
	t.Helper()
	var v []int
	c.hyperValue(t, key, &v)
	return v
}

func (c *goldenCase) hyperFloat(t testing.TB, key string) float64 {
	t.Helper()
	var v float64
	c.hyperValue(t, key, &v)
	return v
}

func (c *goldenCase) hyperBool(t testing.TB, key string) bool {
	t.Helper()
	var v bool
	c.hyperValue(t, key, &v)
	return v
}

func (c *goldenCase) hyperString(t testing.TB, key string) string {
	t.Helper()
	var v string
	c.hyperValue(t, key, &v)
	return v
}

func (c *goldenCase) hasHyper(key string) bool { _, ok := c.Hyper[key]; return ok }

// closeTo reports the worst violation of |got-want| <= abs + rel|want|, or
// "" if there is none.
func closeTo(got, want *tensor.Tensor[float64], abs, rel float64) string {
	if !tensor.SameShape(got.Shape, want.Shape) {
		return fmt.Sprintf("shape %v, want %v", got.Shape, want.Shape)
	}
	worst, wi := 0.0, -1
	for i, w := range want.Data {
		d := math.Abs(got.Data[i] - w)
		lim := abs + rel*math.Abs(w)
		if math.IsNaN(got.Data[i]) || d > lim {
			r := d / lim
			if math.IsNaN(r) || wi < 0 || r > worst {
				worst, wi = r, i
			}
		}
	}
	if wi < 0 {
		return ""
	}
	return fmt.Sprintf("entry %d: got %.17g want %.17g (|diff| %.3g, limit %.3g)", wi, got.Data[wi], want.Data[wi],
		math.Abs(got.Data[wi]-want.Data[wi]), abs+rel*math.Abs(want.Data[wi]))
}

// checkClose fails t (without stopping) when got and want differ by more
// than abs + rel|want| anywhere.
func checkClose(t testing.TB, what string, got, want *tensor.Tensor[float64], abs, rel float64) {
	t.Helper()
	if msg := closeTo(got, want, abs, rel); msg != "" {
		t.Errorf("%s: %s", what, msg)
	}
}

// checkF32 compares a float32 result with the float64 one: each entry
// within f32Rel relative, with a floor of f32Rel·max|want|·1e-1 for entries
// near zero (the float32 round-off of a sum scales with its largest terms).
func checkF32(t testing.TB, what string, got *tensor.Tensor[float32], want *tensor.Tensor[float64]) {
	t.Helper()
	var mx float64
	for _, v := range want.Data {
		mx = max(mx, math.Abs(v))
	}
	checkClose(t, what+" (float32 vs float64)", tensor.Convert[float64](got), want, 0.1*f32Rel*mx+1e-30, f32Rel)
}

// opBuilder builds an op of a golden op record (families 1-4) from the
// case's hyper-parameters and its inputs (one parameter per inputs key).
type opBuilder[T Float] func(t testing.TB, c *goldenCase, in map[string]*Var[T]) *Var[T]

// opRecordResult is what runOpRecord computes: y, grad[k] and hvp[k]
// (hvp["gy"] included).
type opRecordResult[T Float] struct {
	y    *tensor.Tensor[T]
	grad map[string]*tensor.Tensor[T]
	hvp  map[string]*tensor.Tensor[T]
}

func sortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

// runOpRecord evaluates a generic op record in precision T: y = op(inputs),
// grad = d sum(gy*y)/d inputs (with createGraph), h = sum_k sum(v_k*grad_k)
// and hvp = dh/d(inputs, gy).
func runOpRecord[T Float](t testing.TB, c *goldenCase, build opBuilder[T]) opRecordResult[T] {
	t.Helper()
	tp := NewTape[T]()
	in := make(map[string]*Var[T])
	keys := sortedKeys(c.Inputs)
	xs := make([]*Var[T], len(keys))
	for i, k := range keys {
		xs[i] = tp.Param(tensor.Convert[T](c.input(t, k)))
		in[k] = xs[i]
	}
	y := build(t, c, in)
	gyT := c.tensorField(t, "gy")
	if !tensor.SameShape(gyT.Shape, y.Value().Shape) {
		t.Fatalf("golden case %s: gy shape %v, output %v", c.Name, gyT.Shape, y.Value().Shape)
	}
	gy := tp.Param(tensor.Convert[T](gyT))
	g, err := GradWith(y, gy, xs, true)
	if err != nil {
		t.Fatalf("golden case %s: %v", c.Name, err)
	}
	res := opRecordResult[T]{y: y.Value(), grad: map[string]*tensor.Tensor[T]{}, hvp: map[string]*tensor.Tensor[T]{}}
	var h *Var[T]
	v := c.tensorMapField(t, "v")
	for i, k := range keys {
		res.grad[k] = g[i].Value()
		vk, ok := v[k]
		if !ok {
			continue
		}
		term := SumAll(Mul(tp.Const(tensor.Convert[T](vk)), g[i]))
		if h == nil {
			h = term
		} else {
			h = Add(h, term)
		}
	}
	if h == nil {
		return res
	}
	hv, err := Grad(h, append(append([]*Var[T](nil), xs...), gy), false)
	if err != nil {
		t.Fatalf("golden case %s: %v", c.Name, err)
	}
	for i, k := range keys {
		res.hvp[k] = hv[i].Value()
	}
	res.hvp["gy"] = hv[len(keys)].Value()
	return res
}

// checkOpRecord checks one op-record case: float64 forward, gradients and
// HVPs against the golden values, and float32 forward and gradients against
// float64.
func checkOpRecord(t *testing.T, c *goldenCase, b64 opBuilder[float64], b32 opBuilder[float32]) {
	t.Helper()
	r := runOpRecord(t, c, b64)
	checkClose(t, "y", r.y, c.expectedTensor(t, "y"), goldenAbs, goldenRel)
	for k, want := range c.expectedTensorMap(t, "grad") {
		got, ok := r.grad[k]
		if !ok {
			t.Errorf("grad.%s: no such input", k)
			continue
		}
		checkClose(t, "grad."+k, got, want, goldenAbs, goldenRel)
	}
	for k, want := range c.expectedTensorMap(t, "hvp") {
		got, ok := r.hvp[k]
		if !ok {
			t.Errorf("hvp.%s: not computed", k)
			continue
		}
		checkClose(t, "hvp."+k, got, want, goldenAbs, goldenRel)
	}
	if b32 == nil {
		return
	}
	r32 := runOpRecord(t, c, b32)
	checkF32(t, "y", r32.y, r.y)
	for k, g := range r.grad {
		checkF32(t, "grad."+k, r32.grad[k], g)
	}
}

// opRecordChecker returns the checker of a generic op-record family
// (families 1-4 of the README): b64 and b32 build the same op in float64
// and float32 (b32 may be nil to skip the float32 comparison).
func opRecordChecker(b64 opBuilder[float64], b32 opBuilder[float32]) goldenChecker {
	return func(t *testing.T, f *goldenFile) int {
		passed := 0
		for _, c := range f.Cases {
			ok := t.Run(c.Name, func(t *testing.T) { checkOpRecord(t, c, b64, b32) })
			if ok {
				passed++
			}
		}
		return passed
	}
}

// goldenDir is $GOLDEN_DIR or ../shared/golden relative to the module root;
// it skips when the directory is absent and fails instead when CI=true.
func goldenDir(t *testing.T) string { return goldentest.Dir(t) }

// claimFamily returns the checker of a family owned by this package, or the
// owning package of a family checked elsewhere, or an error for a family
// that no package claims.
func claimFamily(families map[string]goldenChecker, family string) (goldenChecker, string, error) {
	if check, ok := families[family]; ok {
		return check, "autodiff", nil
	}
	if pkg, ok := goldenClaimedElsewhere[family]; ok {
		return nil, pkg, nil
	}
	return nil, "", fmt.Errorf("family %q is claimed by no package", family)
}

// TestGolden checks every case of the families this package owns in the
// golden directory, and fails on a family file that no package claims.
func TestGolden(t *testing.T) {
	dir := goldenDir(t)
	files, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatalf("golden: no *.json files in %s", dir)
	}
	families := goldenFamilies()
	passed := 0
	for _, path := range files {
		f, err := readGoldenFile(path)
		if err != nil {
			t.Errorf("golden: %v", err)
			continue
		}
		check, owner, err := claimFamily(families, f.Family)
		if err != nil {
			t.Errorf("golden: %s: %v", filepath.Base(path), err)
			continue
		}
		if check == nil {
			t.Logf("golden: %s (family %s) is checked by package %s", filepath.Base(path), f.Family, owner)
			continue
		}
		if f.DType != "" && f.DType != "float64" {
			t.Errorf("golden: %s: dtype %q, want float64", path, f.DType)
		}
		if len(f.Cases) == 0 {
			t.Errorf("golden: %s has no cases", path)
			continue
		}
		t.Run(f.Family, func(t *testing.T) { passed += check(t, f) })
	}
	t.Logf("golden: %d cases passed", passed)
}

// The golden utilities themselves: tensor decoding (scalars, integers),
// the tolerance check, and the family claims.
func TestGoldenHelpers(t *testing.T) {
	x, err := decodeTensor(json.RawMessage(`{"shape":[],"data":[1.9378191759588534]}`))
	if err != nil || len(x.Shape) != 0 || x.Data[0] != 1.9378191759588534 {
		t.Fatalf("scalar decode: %v %v", x, err)
	}
	y, err := decodeTensor(json.RawMessage(`{"shape":[2,2],"data":[4,3,0.5,-1e-300]}`))
	if err != nil || y.Data[3] != -1e-300 || y.Data[0] != 4 {
		t.Fatalf("decode: %v %v", y, err)
	}
	if _, err := decodeTensor(json.RawMessage(`{"shape":[3],"data":[1,2]}`)); err == nil {
		t.Fatal("shape/data mismatch accepted")
	}
	want := tensor.FromSlice([]float64{1, 0, -2}, 3)
	if msg := closeTo(tensor.FromSlice([]float64{1 + 5e-8, 5e-10, -2}, 3), want, goldenAbs, goldenRel); msg != "" {
		t.Fatalf("within tolerance rejected: %s", msg)
	}
	if msg := closeTo(tensor.FromSlice([]float64{1 + 2e-7, 0, -2}, 3), want, goldenAbs, goldenRel); msg == "" {
		t.Fatal("relative violation accepted")
	}
	if msg := closeTo(tensor.FromSlice([]float64{1, 2e-9, -2}, 3), want, goldenAbs, goldenRel); msg == "" {
		t.Fatal("absolute violation at zero accepted")
	}
	if msg := closeTo(tensor.FromSlice([]float64{1, 0}, 2), want, goldenAbs, goldenRel); msg == "" {
		t.Fatal("shape mismatch accepted")
	}
	fams := goldenFamilies()
	if c, _, err := claimFamily(fams, "basic"); c == nil || err != nil {
		t.Fatal("basic not claimed by autodiff")
	}
	if c, pkg, err := claimFamily(fams, "maml_conv4"); c != nil || pkg != "maml" || err != nil {
		t.Fatal("maml_conv4 not left to package maml")
	}
	if _, _, err := claimFamily(fams, "no_such_family"); err == nil {
		t.Fatal("unclaimed family accepted")
	}
}
