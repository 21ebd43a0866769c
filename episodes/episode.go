package episodes

import (
	"errors"
	"fmt"
)

// Source is a labelled image source seen through indices. ClassIndices(c)
// lists the images of class c (the slice is shared and must not be
// modified); Image writes image i into dst[:C*H*W] as float32, channel-major.
type Source interface {
	NumClasses() int
	ClassIndices(c int) []int
	ImageShape() (c, h, w int)
	Image(dst []float32, i int)
}

// Spec is an N-way K-shot episode protocol with Q query images per class.
type Spec struct {
	Ways    int `json:"ways" yaml:"ways"`
	Shots   int `json:"shots" yaml:"shots"`
	Queries int `json:"queries" yaml:"queries"`
}

// Validate checks the spec against src restricted to classes (nil = all
// classes of src): at least Ways classes, and at least Shots+Queries images
// in every class.
func (s Spec) Validate(src Source, classes []int) error {
	if s.Ways < 1 {
		return fmt.Errorf("ways=%d, want at least 1", s.Ways)
	}
	if s.Shots < 1 {
		return fmt.Errorf("shots=%d, want at least 1", s.Shots)
	}
	if s.Queries < 0 {
		return fmt.Errorf("queries=%d, want at least 0", s.Queries)
	}
	n := len(classes)
	if classes == nil {
		n = src.NumClasses()
	}
	if s.Ways > n {
		return fmt.Errorf("%d ways asked of %d classes", s.Ways, n)
	}
	need := s.Shots + s.Queries
	for k := 0; k < n; k++ {
		c := k
		if classes != nil {
			c = classes[k]
			if c < 0 || c >= src.NumClasses() {
				return fmt.Errorf("class %d outside 0..%d", c, src.NumClasses()-1)
			}
		}
		if m := len(src.ClassIndices(c)); m < need {
			return fmt.Errorf("shots+queries=%d but class %d has %d images", need, c, m)
		}
	}
	return nil
}

// Episode is one sampled task. Classes[k] is the source class behind episode
// label k; Support and Query list source image indices class by class in
// episode-label order: Support[k*shots+s] and Query[k*queries+q] have
// label k.
type Episode struct {
	Index   int   `json:"index"`
	Classes []int `json:"classes"`
	Support []int `json:"support"`
	Query   []int `json:"query"`
}

// Ways returns the number of classes of the episode.
func (e *Episode) Ways() int { return len(e.Classes) }

// Shots returns the number of support images per class.
func (e *Episode) Shots() int {
	if len(e.Classes) == 0 {
		return 0
	}
	return len(e.Support) / len(e.Classes)
}

// Queries returns the number of query images per class.
func (e *Episode) Queries() int {
	if len(e.Classes) == 0 {
		return 0
	}
	return len(e.Query) / len(e.Classes)
}

// Sampler draws episodes of a Spec from a class subset of a Source.
// Episode i is a pure function of (seed, i): Sampler holds no mutable
// state and is safe for concurrent use.
type Sampler struct {
	src     Source
	classes []int
	spec    Spec
	seed    uint64
}

// NewSampler returns a sampler over classes (nil = all classes of src),
// after validating spec against them.
func NewSampler(src Source, classes []int, spec Spec, seed uint64) (*Sampler, error) {
	if src == nil {
		return nil, errors.New("episodes: nil source")
	}
	if err := spec.Validate(src, classes); err != nil {
		return nil, err
	}
	if classes == nil {
		classes = make([]int, src.NumClasses())
		for c := range classes {
			classes[c] = c
		}
	} else {
		classes = append([]int(nil), classes...)
	}
	return &Sampler{src: src, classes: classes, spec: spec, seed: seed}, nil
}

// Spec returns the sampler's spec.
func (s *Sampler) Spec() Spec { return s.spec }

// Seed returns the sampler's seed.
func (s *Sampler) Seed() uint64 { return s.seed }

// Classes returns the class subset sampled from (do not modify).
func (s *Sampler) Classes() []int { return s.classes }

// Source returns the source sampled from.
func (s *Sampler) Source() Source { return s.src }

// Episode returns episode i.
func (s *Sampler) Episode(i int) Episode {
	var e Episode
	s.EpisodeInto(&e, i)
	return e
}

// EpisodeInto writes episode i into dst, reusing its slices: it does not
// allocate when their capacities suffice.
func (s *Sampler) EpisodeInto(dst *Episode, i int) {
	r := newRNG(s.seed, uint64(i))
	sampleEpisode(dst, &r, s.src, nil, s.classes, s.spec)
	dst.Index = i
}

// sampleEpisode draws Ways classes from classes, then for each class
// Shots support images from sup and Queries query images from qry. When qry
// is nil, the query images come from sup too, drawn together with the
// support images so that the two are disjoint.
func sampleEpisode(dst *Episode, r *rng, sup, qry Source, classes []int, spec Spec) {
	w, k, q := spec.Ways, spec.Shots, spec.Queries
	dst.Classes = resize(dst.Classes, w)
	dst.Support = resize(dst.Support, w*k)
	dst.Query = resize(dst.Query, w*q)
	// positions within classes, then mapped to class ids
	r.sample(dst.Classes, len(classes))
	for j, p := range dst.Classes {
		dst.Classes[j] = classes[p]
	}
	same := qry == nil
	var buf [64]int
	for j, c := range dst.Classes {
		si := sup.ClassIndices(c)
		if same {
			n := k + q
			var pick []int
			if n <= len(buf) {
				pick = buf[:n]
			} else {
				pick = make([]int, n)
			}
			r.sample(pick, len(si))
			for t := 0; t < k; t++ {
				dst.Support[j*k+t] = si[pick[t]]
			}
			for t := 0; t < q; t++ {
				dst.Query[j*q+t] = si[pick[k+t]]
			}
			continue
		}
		sup := dst.Support[j*k : (j+1)*k]
		r.sample(sup, len(si))
		for t, p := range sup {
			sup[t] = si[p]
		}
		qi := qry.ClassIndices(c)
		qs := dst.Query[j*q : (j+1)*q]
		r.sample(qs, len(qi))
		for t, p := range qs {
			qs[t] = qi[p]
		}
	}
}

func resize(s []int, n int) []int {
	if cap(s) < n {
		return make([]int, n)
	}
	return s[:n]
}
