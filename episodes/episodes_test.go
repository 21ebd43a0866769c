package episodes

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"sync"
	"testing"
)

// fakeSource has classes of sizes[c] images, listed class after class;
// image i has every pixel equal to i (plus the pixel position / 1000).
type fakeSource struct {
	byClass [][]int
	c, h, w int
}

func newFake(sizes []int, c, h, w int) *fakeSource {
	f := &fakeSource{c: c, h: h, w: w}
	i := 0
	for _, n := range sizes {
		var l []int
		for k := 0; k < n; k++ {
			l = append(l, i)
			i++
		}
		f.byClass = append(f.byClass, l)
	}
	return f
}

func uniform(classes, per int) []int {
	s := make([]int, classes)
	for i := range s {
		s[i] = per
	}
	return s
}

func (f *fakeSource) NumClasses() int           { return len(f.byClass) }
func (f *fakeSource) ClassIndices(c int) []int  { return f.byClass[c] }
func (f *fakeSource) ImageShape() (c, h, w int) { return f.c, f.h, f.w }
func (f *fakeSource) Image(dst []float32, i int) {
	for j := range dst[:f.c*f.h*f.w] {
		dst[j] = float32(i) + float32(j)/1000
	}
}

func (f *fakeSource) classOf(i int) int {
	for c, l := range f.byClass {
		if len(l) > 0 && i >= l[0] && i <= l[len(l)-1] {
			return c
		}
	}
	return -1
}

func checkEpisode(t *testing.T, src *fakeSource, classes []int, spec Spec, e Episode) {
	t.Helper()
	allowed := map[int]bool{}
	for _, c := range classes {
		allowed[c] = true
	}
	if len(e.Classes) != spec.Ways || len(e.Support) != spec.Ways*spec.Shots || len(e.Query) != spec.Ways*spec.Queries {
		t.Fatalf("sizes: %d classes %d support %d query for %+v", len(e.Classes), len(e.Support), len(e.Query), spec)
	}
	seenC := map[int]bool{}
	for _, c := range e.Classes {
		if seenC[c] || (classes != nil && !allowed[c]) {
			t.Fatalf("class %d repeated or outside the split: %v", c, e.Classes)
		}
		seenC[c] = true
	}
	seenI := map[int]bool{}
	for j, i := range e.Support {
		if src.classOf(i) != e.Classes[j/spec.Shots] || seenI[i] {
			t.Fatalf("support[%d]=%d: class %d, want %d (or repeated)", j, i, src.classOf(i), e.Classes[j/spec.Shots])
		}
		seenI[i] = true
	}
	for j, i := range e.Query {
		if src.classOf(i) != e.Classes[j/spec.Queries] || seenI[i] {
			t.Fatalf("query[%d]=%d: class %d, want %d (or in support)", j, i, src.classOf(i), e.Classes[j/spec.Queries])
		}
		seenI[i] = true
	}
}

func TestSamplerInvariants(t *testing.T) {
	src := newFake([]int{20, 25, 30, 20, 21, 40, 20, 22, 20, 33, 20, 20}, 1, 2, 2)
	for _, spec := range []Spec{{5, 1, 15}, {12, 5, 15}, {3, 20, 0}, {1, 1, 1}, {4, 10, 10}} {
		perm := []int{0, 2, 4, 6, 8, 10, 11, 1, 3, 5, 7, 9}
		for _, classes := range [][]int{nil, perm[:max(spec.Ways, 6)]} {
			if spec.Ways > len(classes) && classes != nil {
				continue
			}
			for seed := uint64(0); seed < 40; seed++ {
				s, err := NewSampler(src, classes, spec, seed)
				if err != nil {
					t.Fatal(err)
				}
				for i := 0; i < 10; i++ {
					e := s.Episode(i)
					if e.Index != i {
						t.Fatal("index")
					}
					checkEpisode(t, src, classes, spec, e)
					if !reflect.DeepEqual(e, s.Episode(i)) {
						t.Fatal("episode not deterministic")
					}
				}
			}
		}
	}
}

func TestSamplerSeedsDiffer(t *testing.T) {
	src := newFake(uniform(100, 20), 1, 1, 1)
	a, _ := NewSampler(src, nil, Spec{5, 1, 1}, 1)
	b, _ := NewSampler(src, nil, Spec{5, 1, 1}, 2)
	same := 0
	for i := 0; i < 50; i++ {
		if reflect.DeepEqual(a.Episode(i), b.Episode(i)) {
			same++
		}
		if i > 0 && reflect.DeepEqual(a.Episode(i).Classes, a.Episode(i-1).Classes) {
			t.Fatal("consecutive episodes equal")
		}
	}
	if same > 0 {
		t.Fatalf("%d equal episodes across seeds", same)
	}
}

// TestSamplerUniform checks that classes and images are drawn roughly
// uniformly (each class in 5/20 of the episodes, each label position alike).
func TestSamplerUniform(t *testing.T) {
	src := newFake(uniform(20, 10), 1, 1, 1)
	s, _ := NewSampler(src, nil, Spec{5, 2, 3}, 7)
	const n = 8000
	var classCount [20]int
	var firstPos [20]int
	var imgCount [200]int
	for i := 0; i < n; i++ {
		e := s.Episode(i)
		for _, c := range e.Classes {
			classCount[c]++
		}
		firstPos[e.Classes[0]]++
		for _, j := range e.Support {
			imgCount[j]++
		}
	}
	for c, k := range classCount {
		if k < n*5/20*9/10 || k > n*5/20*11/10 {
			t.Fatalf("class %d drawn %d times, want about %d", c, k, n*5/20)
		}
		if firstPos[c] < n/20*8/10 || firstPos[c] > n/20*12/10 {
			t.Fatalf("class %d is label 0 %d times, want about %d", c, firstPos[c], n/20)
		}
	}
}

// Golden episode: episode i of a fixed set must never change. Update only
// with a deliberate, documented change of the sampling algorithm.
func TestEvalSetGolden(t *testing.T) {
	src := newFake(uniform(10, 6), 1, 1, 1)
	eps, err := EvalSet{Seed: 42, Count: 3}.Episodes(src, nil, Spec{3, 1, 2})
	if err != nil {
		t.Fatal(err)
	}
	got := fmt.Sprint(eps[0], eps[2])
	const want = "{0 [7 0 9] [42 0 59] [46 47 4 2 55 54]} {2 [0 4 2] [3 25 13] [5 0 29 27 17 16]}"
	if got != want {
		t.Fatalf("eval set changed:\n got %s\nwant %s", got, want)
	}
	s, _ := NewSampler(src, nil, Spec{3, 1, 2}, 42)
	if !reflect.DeepEqual(s.Episode(2), eps[2]) {
		t.Fatal("EvalSet episode differs from the sampler's")
	}
}

func TestGOMAXPROCSIndependent(t *testing.T) {
	src := newFake(uniform(200, 20), 1, 1, 1)
	s, _ := NewSampler(src, nil, Spec{20, 5, 5}, 9)
	run := func(procs int) []Episode {
		old := runtime.GOMAXPROCS(procs)
		defer runtime.GOMAXPROCS(old)
		out := make([]Episode, 64)
		var wg sync.WaitGroup
		for w := 0; w < 4; w++ {
			wg.Add(1)
			go func(w int) {
				defer wg.Done()
				for i := len(out) - 1 - w; i >= 0; i -= 4 { // reverse, interleaved order
					s.EpisodeInto(&out[i], i)
				}
			}(w)
		}
		wg.Wait()
		return out
	}
	a, b := run(1), run(2)
	if !reflect.DeepEqual(a, b) {
		t.Fatal("episodes differ between GOMAXPROCS 1 and 2")
	}
	for i := range a {
		if !reflect.DeepEqual(a[i], s.Episode(i)) {
			t.Fatal("concurrent sampling differs from sequential")
		}
	}
}

func TestValidateMessages(t *testing.T) {
	src := newFake(append(uniform(10, 30), 20), 1, 1, 1)
	_, err := NewSampler(src, nil, Spec{20, 1, 1}, 0)
	if err == nil || err.Error() != "20 ways asked of 11 classes" {
		t.Fatalf("got %v", err)
	}
	_, err = NewSampler(src, nil, Spec{5, 5, 20}, 0)
	if err == nil || err.Error() != "shots+queries=25 but class 10 has 20 images" {
		t.Fatalf("got %v", err)
	}
	if _, err := NewSampler(src, []int{0, 1, 2}, Spec{5, 1, 1}, 0); err == nil || err.Error() != "5 ways asked of 3 classes" {
		t.Fatalf("got %v", err)
	}
	for _, sp := range []Spec{{0, 1, 1}, {2, 0, 1}, {2, 1, -1}} {
		if sp.Validate(src, nil) == nil {
			t.Fatalf("%+v accepted", sp)
		}
	}
	if _, err := NewSampler(src, []int{0, 99}, Spec{1, 1, 1}, 0); err == nil {
		t.Fatal("class 99 accepted")
	}
}

func naiveRot90(img []float32, n int) []float32 { // numpy rot90, k=1
	out := make([]float32, n*n)
	for y := 0; y < n; y++ {
		for x := 0; x < n; x++ {
			out[y*n+x] = img[x*n+(n-1-y)]
		}
	}
	return out
}

func TestRotatePlane(t *testing.T) {
	for _, n := range []int{1, 2, 3, 4, 5, 28} {
		img := make([]float32, n*n)
		for j := range img {
			img[j] = float32(j*j%97) + float32(j)/100 // asymmetric
		}
		want := append([]float32(nil), img...)
		for r := 0; r < 4; r++ {
			got := append([]float32(nil), img...)
			rotatePlane(got, n, r)
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("n=%d r=%d: rotation differs from numpy rot90", n, r)
			}
			want = naiveRot90(want, n)
		}
	}
	// A known 3x3: rot90 of [[1 2 3] [4 5 6] [7 8 9]] is [[3 6 9] [2 5 8] [1 4 7]].
	p := []float32{1, 2, 3, 4, 5, 6, 7, 8, 9}
	rotatePlane(p, 3, 1)
	if !reflect.DeepEqual(p, []float32{3, 6, 9, 2, 5, 8, 1, 4, 7}) {
		t.Fatalf("rot90 3x3: %v", p)
	}
}

func TestRotated(t *testing.T) {
	base := newFake([]int{3, 2}, 2, 3, 3)
	r, err := NewRotated(base)
	if err != nil {
		t.Fatal(err)
	}
	if r.NumClasses() != 8 || !reflect.DeepEqual(r.ClassIndices(4*1+2), []int{4*3 + 2, 4*4 + 2}) {
		t.Fatalf("classes %d, indices %v", r.NumClasses(), r.ClassIndices(6))
	}
	img := make([]float32, 18)
	base.Image(img, 4)
	r1 := make([]float32, 18)
	r.Image(r1, 4*4+1)
	for ch := 0; ch < 2; ch++ {
		if !reflect.DeepEqual(r1[ch*9:(ch+1)*9], naiveRot90(img[ch*9:(ch+1)*9], 3)) {
			t.Fatalf("channel %d not rotated", ch)
		}
	}
	if _, err := NewRotated(newFake([]int{1}, 1, 2, 3)); err == nil {
		t.Fatal("non-square accepted")
	}
	if !reflect.DeepEqual(RotatedClasses([]int{2, 5}), []int{8, 9, 10, 11, 20, 21, 22, 23}) {
		t.Fatal("RotatedClasses")
	}
	s, err := NewSampler(r, RotatedClasses([]int{0, 1}), Spec{8, 1, 1}, 3)
	if err != nil {
		t.Fatal(err)
	}
	e := s.Episode(0)
	for j, v := range e.Support {
		if v%4 != e.Classes[j]%4 || base.classOf(v/4) != e.Classes[j]/4 {
			t.Fatalf("virtual image %d not in virtual class %d", v, e.Classes[j])
		}
	}
}

func TestSplits(t *testing.T) {
	a, err := SplitByFraction(100, 0.15, 0.2, 5)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := SplitByFraction(100, 0.15, 0.2, 5)
	c, _ := SplitByFraction(100, 0.15, 0.2, 6)
	if !reflect.DeepEqual(a, b) || reflect.DeepEqual(a, c) {
		t.Fatal("split not a function of the seed")
	}
	if len(a.Train) != 65 || len(a.Val) != 15 || len(a.Test) != 20 {
		t.Fatalf("sizes %d %d %d", len(a.Train), len(a.Val), len(a.Test))
	}
	all, _ := a.Subset("all")
	for i, c := range all {
		if c != i {
			t.Fatal("split does not partition the classes")
		}
	}
	if _, err := SplitByCount(10, 5, 5, 1, 0); err == nil {
		t.Fatal("over-full split accepted")
	}
	empty, _ := Split{Train: []int{0, 1}}.Subset("val")
	if empty == nil {
		t.Fatal("empty subset is nil (would mean all classes)")
	}
	if _, err := NewSampler(newFake(uniform(3, 5), 1, 1, 1), empty, Spec{1, 1, 1}, 0); err == nil || err.Error() != "1 ways asked of 0 classes" {
		t.Fatalf("empty split: %v", err)
	}
	if _, err := a.Subset("bogus"); err == nil {
		t.Fatal("bogus subset accepted")
	}

	groups := []string{"A", "A", "B", "C", "C", "C", "D", "E"}
	g, err := SplitByGroup(groups, 1, 2, 11)
	if err != nil {
		t.Fatal(err)
	}
	side := map[string]int{}
	for k, l := range [][]int{g.Train, g.Val, g.Test} {
		for _, c := range l {
			if s, ok := side[groups[c]]; ok && s != k {
				t.Fatalf("group %s split across sides", groups[c])
			}
			side[groups[c]] = k
		}
	}
	if len(side) != 5 || len(g.Train)+len(g.Val)+len(g.Test) != 8 {
		t.Fatalf("group split %+v", g)
	}
	g2, _ := SplitByGroup(groups, 1, 2, 11)
	if !reflect.DeepEqual(g, g2) {
		t.Fatal("group split not deterministic")
	}
	n, err := SplitByNamedGroups(groups, []string{"B"}, []string{"C"})
	if err != nil || !reflect.DeepEqual(n.Val, []int{2}) || !reflect.DeepEqual(n.Test, []int{3, 4, 5}) || len(n.Train) != 4 {
		t.Fatalf("named groups %+v %v", n, err)
	}
	if _, err := SplitByNamedGroups(groups, []string{"Z"}, nil); err == nil {
		t.Fatal("unknown group accepted")
	}
}

func TestSplitFiles(t *testing.T) {
	names := []string{"a", "b", "c", "d", "e"}
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	s, err := ReadSplitFile(write("s.json", `{"train":["a","b"],"val":["c"],"test":["e"]}`), names)
	if err != nil || !reflect.DeepEqual(s, Split{Train: []int{0, 1}, Val: []int{2}, Test: []int{4}}) {
		t.Fatalf("json: %+v %v", s, err)
	}
	s, err = ReadSplitFile(write("s.yaml", "val: [b]\ntest: [d, a]\n"), names)
	if err != nil || !reflect.DeepEqual(s, Split{Train: []int{2, 4}, Val: []int{1}, Test: []int{0, 3}}) {
		t.Fatalf("yaml: %+v %v", s, err)
	}
	s, err = ReadSplitFile(write("test.txt", "# test classes\nc\n\ne  # last\n"), names)
	if err != nil || !reflect.DeepEqual(s, Split{Train: []int{0, 1, 3}, Test: []int{2, 4}}) {
		t.Fatalf("txt: %+v %v", s, err)
	}
	for _, bad := range []string{write("bad.json", `{"test":["zz"]}`), write("dup.yaml", "val: [a]\ntest: [a]\n"), write("unk.yaml", "tset: [a]\n"), filepath.Join(dir, "missing.txt")} {
		if _, err := ReadSplitFile(bad, names); err == nil || !strings.Contains(err.Error(), bad) {
			t.Fatalf("%s: %v", bad, err)
		}
	}
}

func TestMaterialize(t *testing.T) {
	src := newFake(uniform(30, 20), 1, 4, 4)
	s, _ := NewSampler(src, nil, Spec{5, 2, 3}, 1)
	e := s.Episode(3)
	var sup, qry Task
	MaterializeEpisode(&sup, &qry, src, &e)
	if sup.N != 10 || qry.N != 15 || sup.C != 1 || sup.H != 4 || len(sup.X) != 160 {
		t.Fatalf("shapes %d %d", sup.N, qry.N)
	}
	for j, i := range e.Query {
		if qry.Y[j] != int32(j/3) || qry.X[j*16] != float32(i) || qry.X[j*16+5] != float32(i)+0.005 {
			t.Fatalf("query %d: label %d value %v", j, qry.Y[j], qry.X[j*16])
		}
	}
	allocs := testing.AllocsPerRun(20, func() {
		s.EpisodeInto(&e, 7)
		MaterializeEpisode(&sup, &qry, src, &e)
	})
	if allocs != 0 {
		t.Fatalf("%v allocations per sample+materialise with warm buffers", allocs)
	}
	var tk Task
	Materialize(&tk, src, []int{40, 0, 41, 100}, []int{7, 3, 7, 9})
	if !reflect.DeepEqual(tk.Y, []int32{0, 1, 0, 2}) {
		t.Fatalf("remapped labels %v", tk.Y)
	}
	MaterializeResized(&tk, src, []int{40, 0}, []int{1, 1}, 2)
	if tk.H != 2 || tk.W != 2 || len(tk.X) != 8 {
		t.Fatalf("resized %dx%d", tk.H, tk.W)
	}
	// area average of a 4x4 plane whose pixel j is 40 + j/1000: top-left 2x2 block = 40 + (0+1+4+5)/4000
	if d := tk.X[0] - (40 + 0.0025); d > 1e-5 || d < -1e-5 {
		t.Fatalf("resized value %v", tk.X[0])
	}
	MaterializeResized(&tk, src, []int{0}, []int{0}, 8)
	if tk.H != 8 || tk.X[0] != 0 || tk.X[63] != float32(0.015) {
		t.Fatalf("enlarged %v %v", tk.X[0], tk.X[63])
	}
}

func TestStreamMixture(t *testing.T) {
	a := newFake(uniform(10, 30), 3, 8, 8)
	aTest := newFake(uniform(10, 6), 3, 8, 8)
	b := newFake(uniform(12, 20), 1, 4, 4)
	spec := Spec{Ways: 10, Shots: 5, Queries: 5}
	st, err := NewStream(spec, 3,
		Component{Name: "a32", Support: a, Query: aTest, Size: 32, Weight: 3},
		Component{Name: "b64", Support: b, Size: 6, Weight: 1})
	if err != nil {
		t.Fatal(err)
	}
	var cnt [2]int
	var sup, qry Task
	for i := 0; i < 2000; i++ {
		tk := st.Task(i)
		if !reflect.DeepEqual(tk, st.Task(i)) {
			t.Fatal("stream task not deterministic")
		}
		cnt[tk.Component]++
		if tk.Component == 0 {
			for j, q := range tk.Query {
				if aTest.classOf(q) != tk.Classes[j/5] {
					t.Fatal("query not from the query source's class")
				}
			}
		} else {
			checkEpisode(t, b, nil, spec, tk.Episode)
		}
		if i < 20 {
			st.Materialize(&sup, &qry, &tk)
			size := []int{32, 6}[tk.Component]
			if sup.H != size || qry.W != size || sup.N != 50 || qry.Y[49] != 9 {
				t.Fatalf("task %d: %dx%d", i, sup.H, sup.W)
			}
		}
	}
	if cnt[0] < 1400 || cnt[0] > 1600 {
		t.Fatalf("component shares %v, want about 3:1", cnt)
	}
	if _, err := NewStream(spec, 0, Component{Support: b, Query: aTest}); err == nil {
		t.Fatal("mismatched query source accepted")
	}
	if _, err := NewStream(Spec{10, 5, 10}, 0, Component{Support: a, Query: aTest}); err == nil || !strings.Contains(err.Error(), "query") {
		t.Fatalf("too few query images: %v", err)
	}
}

func BenchmarkSampleEpisode20w5s(b *testing.B) {
	// Omniglot with rotations: 964*4 classes of 20 images.
	r, _ := NewRotated(newFake(uniform(964, 20), 1, 28, 28))
	s, err := NewSampler(r, nil, Spec{20, 5, 15}, 1)
	if err != nil {
		b.Fatal(err)
	}
	var e Episode
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		s.EpisodeInto(&e, i)
		i++
	}
}

func BenchmarkSampleEpisodeAlloc20w5s(b *testing.B) {
	s, _ := NewSampler(newFake(uniform(964, 20), 1, 28, 28), nil, Spec{20, 5, 15}, 1)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		_ = s.Episode(i)
		i++
	}
}

// TestSampleRegimes checks each method of rng.sample: distinct values in
// range, and every value about equally likely at the first and last
// positions.
func TestSampleRegimes(t *testing.T) {
	for _, c := range []struct{ k, n int }{{5, 20}, {20, 20}, {10, 100}, {40, 70}, {70, 100}, {100, 100}, {65, 300}} {
		first := make([]int, c.n)
		last := make([]int, c.n)
		const trials = 20000
		out := make([]int, c.k)
		for i := 0; i < trials; i++ {
			r := newRNG(uint64(c.k), uint64(i))
			r.sample(out, c.n)
			seen := map[int]bool{}
			for _, v := range out {
				if v < 0 || v >= c.n || seen[v] {
					t.Fatalf("k=%d n=%d: %v", c.k, c.n, out)
				}
				seen[v] = true
			}
			first[out[0]]++
			last[out[c.k-1]]++
		}
		want := float64(trials) / float64(c.n)
		for v := 0; v < c.n; v++ {
			for _, got := range []int{first[v], last[v]} {
				if d := float64(got) - want; d > 5*math.Sqrt(want)+1 || -d > 5*math.Sqrt(want)+1 {
					t.Fatalf("k=%d n=%d: value %d seen %d times at an end, want about %.0f", c.k, c.n, v, got, want)
				}
			}
		}
	}
}
