package episodes

import (
	"errors"
	"fmt"
	"math"
)

// Component is one source of a task stream.
type Component struct {
	Name string
	// Support provides the support images (e.g. a training set).
	Support Source
	// Query provides the query images of the same classes (e.g. the test
	// set of the same labels); nil means Support, with query and support
	// images disjoint.
	Query Source
	// Classes restricts the classes drawn (nil = all classes of Support).
	Classes []int
	// Size is the side of the square images after resizing (0 = native).
	Size int
	// Weight is the component's relative share of the tasks in a mixture
	// (0 counts as 1).
	Weight float64
}

// StreamTask is task i of a stream: an episode of one component.
type StreamTask struct {
	Episode
	Component int
}

// Stream draws tasks (by default 10-way) from one or several components in
// fixed proportions. Task i is a pure function of (seed, i): the component is
// chosen by the first uniform draw u of task i's stream (component k when
// cum_{k-1} <= u < cum_k, cum the normalised cumulative weights), then an
// episode of the component as in Sampler.
type Stream struct {
	comps []Component
	cum   []float64
	spec  Spec
	seed  uint64
}

// NewStream validates the components against spec and returns the stream.
func NewStream(spec Spec, seed uint64, comps ...Component) (*Stream, error) {
	if len(comps) == 0 {
		return nil, errors.New("task stream with no components")
	}
	s := &Stream{spec: spec, seed: seed}
	total := 0.0
	for k, c := range comps {
		if c.Support == nil {
			return nil, fmt.Errorf("component %d (%s): no support source", k, c.Name)
		}
		w := c.Weight
		if w == 0 {
			w = 1
		}
		if w < 0 || math.IsNaN(w) || math.IsInf(w, 0) {
			return nil, fmt.Errorf("component %d (%s): weight %g", k, c.Name, c.Weight)
		}
		if c.Classes == nil {
			c.Classes = make([]int, c.Support.NumClasses())
			for j := range c.Classes {
				c.Classes[j] = j
			}
		}
		if c.Query == nil {
			if err := spec.Validate(c.Support, c.Classes); err != nil {
				return nil, fmt.Errorf("component %d (%s): %w", k, c.Name, err)
			}
		} else {
			if c.Query.NumClasses() != c.Support.NumClasses() {
				return nil, fmt.Errorf("component %d (%s): query source has %d classes, support %d", k, c.Name, c.Query.NumClasses(), c.Support.NumClasses())
			}
			if err := (Spec{spec.Ways, spec.Shots, 0}).Validate(c.Support, c.Classes); err != nil {
				return nil, fmt.Errorf("component %d (%s) support: %w", k, c.Name, err)
			}
			if spec.Queries > 0 {
				if err := (Spec{spec.Ways, spec.Queries, 0}).Validate(c.Query, c.Classes); err != nil {
					return nil, fmt.Errorf("component %d (%s) query: %w", k, c.Name, err)
				}
			}
		}
		total += w
		s.cum = append(s.cum, total)
		s.comps = append(s.comps, c)
	}
	for k := range s.cum {
		s.cum[k] /= total
	}
	return s, nil
}

// Components returns the stream's components (do not modify).
func (s *Stream) Components() []Component { return s.comps }

// Task returns task i.
func (s *Stream) Task(i int) StreamTask {
	var t StreamTask
	s.TaskInto(&t, i)
	return t
}

// TaskInto writes task i into dst, reusing its slices.
func (s *Stream) TaskInto(dst *StreamTask, i int) {
	r := newRNG(s.seed, uint64(i))
	u := r.float64()
	k := len(s.cum) - 1
	for j, c := range s.cum {
		if u < c {
			k = j
			break
		}
	}
	c := s.comps[k]
	sampleEpisode(&dst.Episode, &r, c.Support, c.Query, c.Classes, s.spec)
	dst.Index, dst.Component = i, k
}

// Materialize loads task t into support and query, resized to its
// component's Size, with labels 0..ways-1 in episode order.
func (s *Stream) Materialize(support, query *Task, t *StreamTask) {
	c := s.comps[t.Component]
	q := c.Query
	if q == nil {
		q = c.Support
	}
	support.load(c.Support, t.Support, c.Size)
	layoutLabels(support.Y, t.Shots())
	query.load(q, t.Query, c.Size)
	layoutLabels(query.Y, t.Queries())
}
