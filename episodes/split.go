package episodes

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"
)

// Split partitions classes into train, validation and test subsets. Each
// list is sorted in increasing class order.
type Split struct {
	Train []int `json:"train" yaml:"train"`
	Val   []int `json:"val" yaml:"val"`
	Test  []int `json:"test" yaml:"test"`
}

// Subset returns the classes of "train", "val", "test" or "all" (the union,
// sorted). The result is never nil, so an empty subset is not mistaken for
// "all classes" by NewSampler.
func (s Split) Subset(name string) ([]int, error) {
	nonNil := func(l []int) []int {
		if l == nil {
			return []int{}
		}
		return l
	}
	switch name {
	case "train":
		return nonNil(s.Train), nil
	case "val", "validation":
		return nonNil(s.Val), nil
	case "test":
		return nonNil(s.Test), nil
	case "all", "":
		all := append(append(append([]int(nil), s.Train...), s.Val...), s.Test...)
		sort.Ints(all)
		return all, nil
	}
	return nil, fmt.Errorf("split %q unknown (want train, val, test or all)", name)
}

// permutation returns a seeded permutation of 0..n-1 (episode index
// math.MaxUint64 of the seed's stream, so it never coincides with an
// episode's stream).
func permutation(n int, seed uint64) []int {
	r := newRNG(seed, math.MaxUint64)
	p := make([]int, n)
	r.sample(p, n)
	return p
}

// counts converts fractions of n into counts (val and test rounded, the
// rest to train).
func counts(n int, valFrac, testFrac float64) (train, val, test int, err error) {
	if valFrac < 0 || testFrac < 0 || valFrac+testFrac > 1 || math.IsNaN(valFrac+testFrac) {
		return 0, 0, 0, fmt.Errorf("split fractions val=%g test=%g must be >= 0 and sum to at most 1", valFrac, testFrac)
	}
	val = int(math.Round(valFrac * float64(n)))
	test = int(math.Round(testFrac * float64(n)))
	if val+test > n {
		test = n - val
	}
	return n - val - test, val, test, nil
}

// SplitByCount shuffles the classes 0..numClasses-1 with seed and cuts them
// into train, val and test sets of the given sizes (train+val+test must not
// exceed numClasses; classes beyond are left out).
func SplitByCount(numClasses, train, val, test int, seed uint64) (Split, error) {
	return SplitByCountFold(numClasses, train, val, test, seed, 0)
}

// Folds is the number of folds of a k-fold split of n items (classes or
// groups) with test of them held back for test in each fold: ceil(n/test),
// so that the folds' test sets together cover every item. They are
// disjoint when test divides n; otherwise the last fold's test set
// overlaps the first ones'.
func Folds(n, test int) int {
	if test <= 0 || n <= 0 {
		return 0
	}
	return (n + test - 1) / test
}

// rotateFold rotates the permutation p left by fold*test places, so that
// fold k's validation and test windows (p[0:val] and p[val:val+test] of the
// rotated order) follow fold k-1's test window: the test windows of folds
// 0..Folds(n, test)-1 cover p (disjoint when test divides n). Fold 0 is p
// itself.
func rotateFold(p []int, test, fold int) ([]int, error) {
	n := len(p)
	if fold == 0 {
		return p, nil
	}
	if test <= 0 {
		return nil, fmt.Errorf("fold %d asked of a split with no test items", fold)
	}
	if k := Folds(n, test); fold < 0 || fold >= k {
		return nil, fmt.Errorf("fold %d out of range: %d items with %d held back for test make %d folds (0-%d)", fold, n, test, k, k-1)
	}
	r := (fold * test) % n
	return append(append([]int(nil), p[r:]...), p[:r]...), nil
}

// SplitByCountFold is SplitByCount for fold k of a k-fold split: the seeded
// permutation is rotated by fold*test places (rotateFold) before it is cut,
// so the test classes of the folds 0..Folds(numClasses, test)-1 together
// cover all classes and are disjoint when test divides numClasses (the last
// fold's test set otherwise wraps around onto the first folds'). Fold 0
// equals SplitByCount.
func SplitByCountFold(numClasses, train, val, test int, seed uint64, fold int) (Split, error) {
	if train < 0 || val < 0 || test < 0 || train+val+test > numClasses {
		return Split{}, fmt.Errorf("split of %d+%d+%d classes asked of %d", train, val, test, numClasses)
	}
	p, err := rotateFold(permutation(numClasses, seed), test, fold)
	if err != nil {
		return Split{}, err
	}
	s := Split{Train: sorted(p[:train]), Val: sorted(p[train : train+val]), Test: sorted(p[train+val : train+val+test])}
	return s, nil
}

// SplitByFraction is SplitByCount with val and test given as fractions of
// the classes (rounded to the nearest count); the rest is train.
func SplitByFraction(numClasses int, valFrac, testFrac float64, seed uint64) (Split, error) {
	return SplitByFractionFold(numClasses, valFrac, testFrac, seed, 0)
}

// SplitByFractionFold is SplitByCountFold with val and test given as
// fractions of the classes.
func SplitByFractionFold(numClasses int, valFrac, testFrac float64, seed uint64, fold int) (Split, error) {
	tr, va, te, err := counts(numClasses, valFrac, testFrac)
	if err != nil {
		return Split{}, err
	}
	return SplitByCountFold(numClasses, tr, va, te, seed, fold)
}

// Groups returns the distinct groups in order of first appearance.
func Groups(classGroups []string) []string {
	var out []string
	seen := map[string]bool{}
	for _, g := range classGroups {
		if !seen[g] {
			seen[g] = true
			out = append(out, g)
		}
	}
	return out
}

// SplitByGroup splits whole groups (classGroups[c] is the group of class c,
// e.g. the Omniglot alphabet): the distinct groups, in order of first
// appearance, are shuffled with seed; the first valGroups go to val, the next
// testGroups to test and the rest to train.
func SplitByGroup(classGroups []string, valGroups, testGroups int, seed uint64) (Split, error) {
	return SplitByGroupFold(classGroups, valGroups, testGroups, seed, 0)
}

// SplitByGroupFold is SplitByGroup for fold k of a k-fold split over the
// groups (see SplitByCountFold): the test groups of folds
// 0..Folds(groups, testGroups)-1 cover every group (disjoint when
// testGroups divides the groups: 6 of Omniglot's 30 alphabets make 5), so
// that a method can be measured on every Omniglot alphabet in turn. Fold 0
// equals SplitByGroup.
func SplitByGroupFold(classGroups []string, valGroups, testGroups int, seed uint64, fold int) (Split, error) {
	groups := Groups(classGroups)
	if valGroups < 0 || testGroups < 0 || valGroups+testGroups > len(groups) {
		return Split{}, fmt.Errorf("%d+%d groups held back of %d", valGroups, testGroups, len(groups))
	}
	p, err := rotateFold(permutation(len(groups), seed), testGroups, fold)
	if err != nil {
		return Split{}, fmt.Errorf("groups: %w", err)
	}
	var val, test []string
	for j, gi := range p {
		switch {
		case j < valGroups:
			val = append(val, groups[gi])
		case j < valGroups+testGroups:
			test = append(test, groups[gi])
		}
	}
	return SplitByNamedGroups(classGroups, val, test)
}

// SplitByGroupFraction is SplitByGroup with fractions of the groups.
func SplitByGroupFraction(classGroups []string, valFrac, testFrac float64, seed uint64) (Split, error) {
	return SplitByGroupFractionFold(classGroups, valFrac, testFrac, seed, 0)
}

// SplitByGroupFractionFold is SplitByGroupFold with fractions of the groups.
func SplitByGroupFractionFold(classGroups []string, valFrac, testFrac float64, seed uint64, fold int) (Split, error) {
	_, va, te, err := counts(len(Groups(classGroups)), valFrac, testFrac)
	if err != nil {
		return Split{}, err
	}
	return SplitByGroupFold(classGroups, va, te, seed, fold)
}

// SplitByNamedGroups puts the classes of the named val and test groups in
// val and test, and every other class in train.
func SplitByNamedGroups(classGroups []string, val, test []string) (Split, error) {
	where := map[string]int{}
	known := map[string]bool{}
	for _, g := range classGroups {
		known[g] = true
	}
	for _, g := range val {
		if !known[g] {
			return Split{}, fmt.Errorf("group %q not in the source", g)
		}
		where[g] = 1
	}
	for _, g := range test {
		if !known[g] {
			return Split{}, fmt.Errorf("group %q not in the source", g)
		}
		if where[g] == 1 {
			return Split{}, fmt.Errorf("group %q in both val and test", g)
		}
		where[g] = 2
	}
	var s Split
	for c, g := range classGroups {
		switch where[g] {
		case 1:
			s.Val = append(s.Val, c)
		case 2:
			s.Test = append(s.Test, c)
		default:
			s.Train = append(s.Train, c)
		}
	}
	return s, nil
}

// splitFile is the YAML/JSON form of a named split file.
type splitFile struct {
	Train []string `json:"train" yaml:"train"`
	Val   []string `json:"val" yaml:"val"`
	Test  []string `json:"test" yaml:"test"`
}

// ReadSplitFile reads a split by class names. A .json, .yaml or .yml file
// holds {train: [...], val: [...], test: [...]}; any other file is plain text
// with one class name per line ('#' starts a comment), taken as the test
// classes, and every other class goes to train. Names must be known classes
// and may appear in one list only.
func ReadSplitFile(path string, classNames []string) (Split, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return Split{}, fmt.Errorf("%s: %w", path, err)
	}
	var f splitFile
	switch strings.ToLower(filepath.Ext(path)) {
	case ".json":
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&f); err != nil {
			return Split{}, fmt.Errorf("%s: %w", path, err)
		}
	case ".yaml", ".yml":
		dec := yaml.NewDecoder(bytes.NewReader(b))
		dec.KnownFields(true)
		if err := dec.Decode(&f); err != nil {
			return Split{}, fmt.Errorf("%s: %w", path, err)
		}
	default:
		f.Test = ReadClassList(b)
		s, err := splitByNames(classNames, nil, nil, f.Test, false)
		if err != nil {
			return Split{}, fmt.Errorf("%s: %w", path, err)
		}
		return s, nil
	}
	s, err := splitByNames(classNames, f.Train, f.Val, f.Test, len(f.Train) > 0)
	if err != nil {
		return Split{}, fmt.Errorf("%s: %w", path, err)
	}
	return s, nil
}

// ReadClassList parses plain text with one class name per line; blank lines
// and text after '#' are ignored.
func ReadClassList(b []byte) []string {
	var out []string
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 0, 64*1024), 1<<20)
	for sc.Scan() {
		l := sc.Text()
		if i := strings.IndexByte(l, '#'); i >= 0 {
			l = l[:i]
		}
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out
}

// ClassesByName maps class names to class ids (in the order given); every
// name must be a known class and appear once.
func ClassesByName(names, classNames []string) ([]int, error) {
	id := make(map[string]int, len(classNames))
	for c, n := range classNames {
		id[n] = c
	}
	out := make([]int, 0, len(names))
	seen := map[string]bool{}
	for _, n := range names {
		c, ok := id[n]
		if !ok {
			return nil, fmt.Errorf("class %q not in the source", n)
		}
		if seen[n] {
			return nil, fmt.Errorf("class %q listed twice", n)
		}
		seen[n] = true
		out = append(out, c)
	}
	return out, nil
}

// splitByNames maps names to class ids; when explicitTrain is false, every
// class not in val or test goes to train.
func splitByNames(classNames, train, val, test []string, explicitTrain bool) (Split, error) {
	id := make(map[string]int, len(classNames))
	for c, n := range classNames {
		id[n] = c
	}
	used := map[int]string{}
	conv := func(list []string, which string) ([]int, error) {
		var out []int
		for _, n := range list {
			c, ok := id[n]
			if !ok {
				return nil, fmt.Errorf("class %q (%s) not in the source", n, which)
			}
			if w, dup := used[c]; dup {
				return nil, fmt.Errorf("class %q listed in %s and %s", n, w, which)
			}
			used[c] = which
			out = append(out, c)
		}
		return sorted(out), nil
	}
	var s Split
	var err error
	if s.Train, err = conv(train, "train"); err != nil {
		return Split{}, err
	}
	if s.Val, err = conv(val, "val"); err != nil {
		return Split{}, err
	}
	if s.Test, err = conv(test, "test"); err != nil {
		return Split{}, err
	}
	if !explicitTrain {
		s.Train = nil
		for c := range classNames {
			if _, ok := used[c]; !ok {
				s.Train = append(s.Train, c)
			}
		}
	}
	return s, nil
}

func sorted(a []int) []int {
	out := append([]int(nil), a...)
	sort.Ints(out)
	return out
}

// SplitAuto splits a source's classes by whole groups (Omniglot's
// alphabets) when it has more than one group, else by class, holding back
// the given fractions for validation and test (fold as in
// SplitByGroupFold). It also returns the split's description for records,
// e.g. "groups:val=0.1,test=0.2,seed=0" (",fold=K" appended for K > 0).
func SplitAuto(classGroups []string, numClasses int, valFrac, testFrac float64, seed uint64, fold int) (Split, string, error) {
	var sp Split
	var err error
	desc := ""
	if classGroups != nil && len(Groups(classGroups)) > 1 {
		sp, err = SplitByGroupFractionFold(classGroups, valFrac, testFrac, seed, fold)
		desc = fmt.Sprintf("groups:val=%g,test=%g,seed=%d", valFrac, testFrac, seed)
	} else {
		sp, err = SplitByFractionFold(numClasses, valFrac, testFrac, seed, fold)
		desc = fmt.Sprintf("classes:val=%g,test=%g,seed=%d", valFrac, testFrac, seed)
	}
	if fold > 0 {
		desc += fmt.Sprintf(",fold=%d", fold)
	}
	return sp, desc, err
}

// Selection picks the classes to sample from: a split file (JSON/YAML
// {train, val, test} lists of class names, or plain text with one class
// name per line, which is then the whole class set), else SplitAuto; then
// the Split subset ("train", "val", "test" or "all").
type Selection struct {
	SplitFile         string
	Split             string
	ValFrac, TestFrac float64
	SplitSeed         uint64
	Fold              int
}

// Classes applies the selection to a source's class names and groups.
func (s Selection) Classes(classNames, classGroups []string) ([]int, error) {
	var sp Split
	var err error
	switch ext := strings.ToLower(filepath.Ext(s.SplitFile)); {
	case s.SplitFile != "" && ext != ".json" && ext != ".yaml" && ext != ".yml":
		b, err := os.ReadFile(s.SplitFile)
		if err != nil {
			return nil, err
		}
		listed, err := ClassesByName(ReadClassList(b), classNames)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", s.SplitFile, err)
		}
		return listed, nil
	case s.SplitFile != "":
		sp, err = ReadSplitFile(s.SplitFile, classNames)
	default:
		sp, _, err = SplitAuto(classGroups, len(classNames), s.ValFrac, s.TestFrac, s.SplitSeed, s.Fold)
		if err != nil {
			err = fmt.Errorf("split by fractions (val %g, test %g, fold %d): %w", s.ValFrac, s.TestFrac, s.Fold, err)
		}
	}
	if err != nil {
		return nil, err
	}
	return sp.Subset(s.Split)
}
