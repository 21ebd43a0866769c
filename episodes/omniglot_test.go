package episodes_test

import (
	"sync"
	"testing"

	"github.com/metabench/metabench/datasets"
	"github.com/metabench/metabench/episodes"
)

// *datasets.Dataset is an episodes.Source.
var _ episodes.Source = (*datasets.Dataset)(nil)

// omniglot loads the embedded Omniglot set once per test binary run.
func omniglot(tb testing.TB) *datasets.Dataset {
	tb.Helper()
	ds, err := loadOnce()
	if err != nil {
		tb.Fatal(err)
	}
	return ds
}

var loadOnce = sync.OnceValues(func() (*datasets.Dataset, error) { return datasets.OpenDefault(datasets.Options{}) })

func TestOmniglotEpisodes(t *testing.T) {
	ds := omniglot(t)
	rot, err := episodes.NewRotated(ds)
	if err != nil {
		t.Fatal(err)
	}
	sp, err := episodes.SplitByGroup(ds.ClassGroups, 5, 5, 1)
	if err != nil {
		t.Fatal(err)
	}
	s, err := episodes.NewSampler(rot, episodes.RotatedClasses(sp.Train), episodes.Spec{Ways: 20, Shots: 5, Queries: 15}, 1)
	if err != nil {
		t.Fatal(err)
	}
	var sup, qry episodes.Task
	e := s.Episode(0)
	episodes.MaterializeEpisode(&sup, &qry, rot, &e)
	if sup.N != 100 || qry.N != 300 || sup.H != 28 {
		t.Fatalf("task shapes %d %d %d", sup.N, qry.N, sup.H)
	}
	train := map[string]bool{}
	for _, c := range sp.Train {
		train[ds.ClassGroups[c]] = true
	}
	for _, c := range e.Classes {
		if !train[ds.ClassGroups[c/4]] {
			t.Fatalf("class %d outside the train alphabets", c)
		}
	}
	if _, err := episodes.NewSampler(ds, nil, episodes.Spec{Ways: 5, Shots: 10, Queries: 15}, 0); err == nil || err.Error() != "shots+queries=25 but class 0 has 20 images" {
		t.Fatalf("got %v", err)
	}
}

// BenchmarkMaterialize20w5s materialises the support set of a 20-way 5-shot
// 28x28 Omniglot task (100 images) from memory.
func BenchmarkMaterialize20w5s(b *testing.B) {
	ds := omniglot(b)
	s, err := episodes.NewSampler(ds, nil, episodes.Spec{Ways: 20, Shots: 5, Queries: 0}, 1)
	if err != nil {
		b.Fatal(err)
	}
	var sup, qry episodes.Task
	e := s.Episode(0)
	episodes.MaterializeEpisode(&sup, &qry, ds, &e)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		s.EpisodeInto(&e, i)
		episodes.MaterializeEpisode(&sup, &qry, ds, &e)
		i++
	}
}

// BenchmarkMaterialize20w5s15q also loads the 300 query images (400 in all).
func BenchmarkMaterialize20w5s15q(b *testing.B) {
	ds := omniglot(b)
	rot, _ := episodes.NewRotated(ds)
	s, err := episodes.NewSampler(rot, nil, episodes.Spec{Ways: 20, Shots: 5, Queries: 15}, 1)
	if err != nil {
		b.Fatal(err)
	}
	var sup, qry episodes.Task
	e := s.Episode(0)
	episodes.MaterializeEpisode(&sup, &qry, rot, &e)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		s.EpisodeInto(&e, i)
		episodes.MaterializeEpisode(&sup, &qry, rot, &e)
		i++
	}
}
