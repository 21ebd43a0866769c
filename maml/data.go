package maml

import (
	"github.com/metabench/metabench/episodes"
	"github.com/metabench/metabench/tensor"
)

// EpisodeTask materialises an episode of src as a float32 task (fresh
// buffers, so it is safe to call from many goroutines).
func EpisodeTask(src episodes.Source, ep *episodes.Episode) *Task[float32] {
	var s, q episodes.Task
	episodes.MaterializeEpisode(&s, &q, src, ep)
	return &Task[float32]{
		XS: tensor.FromSlice(s.X, s.N, s.C, s.H, s.W), YS: labelsOf(s.Y),
		XQ: tensor.FromSlice(q.X, q.N, q.C, q.H, q.W), YQ: labelsOf(q.Y),
	}
}

func labelsOf(y []int32) []int {
	out := make([]int, len(y))
	for i, v := range y {
		out[i] = int(v)
	}
	return out
}

// SamplerTasks is the training task stream of a sampler: task k of
// meta-iteration iter is episode iter·metaBatch + k.
func SamplerTasks(s *episodes.Sampler, metaBatch int) TaskSource[float32] {
	return func(iter, k int) (*Task[float32], error) {
		ep := s.Episode(iter*metaBatch + k)
		return EpisodeTask(s.Source(), &ep), nil
	}
}

// SamplerEpisodes returns episode i of a sampler as a task (an EvalSet).
func SamplerEpisodes(s *episodes.Sampler) func(i int) (*Task[float32], error) {
	return func(i int) (*Task[float32], error) {
		ep := s.Episode(i)
		return EpisodeTask(s.Source(), &ep), nil
	}
}
