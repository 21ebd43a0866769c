package episodes

// EvalSet is a fixed evaluation set: Count episodes of one seed. Episode i of
// the set is Sampler.Episode(i) for the sampler of (source, classes, spec,
// Seed); it never changes once the seed is fixed, and does not depend on how
// many episodes are drawn or in which order.
type EvalSet struct {
	Seed  uint64 `json:"seed" yaml:"seed"`
	Count int    `json:"count" yaml:"count"`
}

// Sampler returns the set's sampler over classes (nil = all) of src.
func (e EvalSet) Sampler(src Source, classes []int, spec Spec) (*Sampler, error) {
	return NewSampler(src, classes, spec, e.Seed)
}

// Episodes returns the Count episodes of the set.
func (e EvalSet) Episodes(src Source, classes []int, spec Spec) ([]Episode, error) {
	s, err := e.Sampler(src, classes, spec)
	if err != nil {
		return nil, err
	}
	out := make([]Episode, e.Count)
	for i := range out {
		s.EpisodeInto(&out[i], i)
	}
	return out, nil
}
