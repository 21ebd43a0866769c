package episodes

import (
	"fmt"
	"reflect"
	"sort"
	"strings"
	"testing"
)

// TestFolds: fold 0 is the plain seeded split; the test groups of the
// folds are disjoint and together cover every group (also when the test
// count does not divide the groups evenly); each fold partitions the
// classes with no group on two sides; a fold out of range is an error.
func TestFolds(t *testing.T) {
	var groups []string
	for g := 0; g < 30; g++ { // 30 "alphabets" of 1..4 classes
		for c := 0; c <= g%4; c++ {
			groups = append(groups, fmt.Sprintf("alpha%02d", g))
		}
	}
	for _, tc := range []struct{ val, test, folds int }{{3, 6, 5}, {3, 7, 5}, {0, 10, 3}, {2, 1, 30}} {
		plain, err := SplitByGroup(groups, tc.val, tc.test, 7)
		if err != nil {
			t.Fatal(err)
		}
		f0, err := SplitByGroupFold(groups, tc.val, tc.test, 7, 0)
		if err != nil || !reflect.DeepEqual(plain, f0) {
			t.Fatalf("val %d test %d: fold 0 %+v differs from the plain split %+v (%v)", tc.val, tc.test, f0, plain, err)
		}
		if k := Folds(len(Groups(groups)), tc.test); k != tc.folds {
			t.Fatalf("Folds(30, %d) = %d, want %d", tc.test, k, tc.folds)
		}
		tested := map[string]int{}
		for k := 0; k < tc.folds; k++ {
			s, err := SplitByGroupFold(groups, tc.val, tc.test, 7, k)
			if err != nil {
				t.Fatal(err)
			}
			side := map[string]int{}
			n := 0
			for si, l := range [][]int{s.Train, s.Val, s.Test} {
				n += len(l)
				for _, c := range l {
					if prev, ok := side[groups[c]]; ok && prev != si {
						t.Fatalf("fold %d: group %s on two sides", k, groups[c])
					}
					side[groups[c]] = si
				}
			}
			if n != len(groups) || len(side) != 30 {
				t.Fatalf("fold %d covers %d classes of %d, %d groups", k, n, len(groups), len(side))
			}
			testGroups := map[string]bool{}
			for _, c := range s.Test {
				testGroups[groups[c]] = true
			}
			valGroups := map[string]bool{}
			for _, c := range s.Val {
				valGroups[groups[c]] = true
			}
			if len(valGroups) != tc.val || len(testGroups) != tc.test {
				t.Fatalf("fold %d holds back %d val and %d test groups, want %d and %d", k, len(valGroups), len(testGroups), tc.val, tc.test)
			}
			for g := range testGroups {
				if k < tc.folds-1 || 30%tc.test == 0 {
					if prev, ok := tested[g]; ok {
						t.Fatalf("group %s tested in folds %d and %d", g, prev, k)
					}
				}
				if _, ok := tested[g]; !ok {
					tested[g] = k
				}
			}
		}
		if len(tested) != 30 {
			t.Fatalf("val %d test %d: the folds test %d of 30 groups", tc.val, tc.test, len(tested))
		}
		_, err = SplitByGroupFold(groups, tc.val, tc.test, 7, tc.folds)
		if err == nil || !strings.Contains(err.Error(), fmt.Sprintf("make %d folds", tc.folds)) {
			t.Fatalf("fold %d of %d accepted or unclear: %v", tc.folds, tc.folds, err)
		}
		if _, err := SplitByGroupFold(groups, tc.val, tc.test, 7, -1); err == nil {
			t.Fatal("fold -1 accepted")
		}
	}

	// Classes without groups fold the same way.
	plain, _ := SplitByFraction(50, 0.1, 0.2, 3)
	f0, _ := SplitByFractionFold(50, 0.1, 0.2, 3, 0)
	if !reflect.DeepEqual(plain, f0) {
		t.Fatal("class fold 0 differs from the plain split")
	}
	var all []int
	for k := 0; k < Folds(50, 10); k++ {
		s, err := SplitByFractionFold(50, 0.1, 0.2, 3, k)
		if err != nil {
			t.Fatal(err)
		}
		if len(s.Train) != 35 || len(s.Val) != 5 || len(s.Test) != 10 {
			t.Fatalf("class fold %d sizes %d/%d/%d", k, len(s.Train), len(s.Val), len(s.Test))
		}
		all = append(all, s.Test...)
	}
	sort.Ints(all)
	for i, c := range all {
		if c != i {
			t.Fatalf("class folds' test sets do not partition 50 classes: %v", all)
		}
	}
}
