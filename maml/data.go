package maml

import (
	"fmt"

	"github.com/metabench/metabench/episodes"
	"github.com/metabench/metabench/tensor"
)

// EpisodeTask materialises an episode of src as a float32 task (fresh
// buffers, so it is safe to call from many goroutines).
func EpisodeTask(src episodes.Source, ep *episodes.Episode) *Task[float32] {
	var s, q episodes.Task
	episodes.MaterializeEpisode(&s, &q, src, ep)
	return &Task[float32]{
		XS: tensor.FromSlice(s.X, s.N, s.C, s.H, s.W), YS: s.Labels(),
		XQ: tensor.FromSlice(q.X, q.N, q.C, q.H, q.W), YQ: q.Labels(),
	}
}

// SamplerTasks is the training task stream of a sampler: task k of
// meta-iteration iter is episode iter·metaBatch + k.
func SamplerTasks(s *episodes.Sampler, metaBatch int) TaskSource[float32] {
	return ShiftedSamplerTasks(s, metaBatch, 0, 0)
}

// ShiftedSamplerTasks is SamplerTasks with every support and query image
// translated by up to shift pixels on each axis (episodes.ShiftImages): the
// support images of task e = iter·metaBatch + k draw their offsets from
// stream (seed, 2e), the query images from (seed, 2e+1), so the augmented
// stream is as deterministic and resumable as the plain one. shift 0 is
// SamplerTasks.
func ShiftedSamplerTasks(s *episodes.Sampler, metaBatch, shift int, seed uint64) TaskSource[float32] {
	return func(iter, k int) (*Task[float32], error) {
		e := iter*metaBatch + k
		ep := s.Episode(e)
		t := EpisodeTask(s.Source(), &ep)
		if shift == 0 {
			return t, nil
		}
		for j, x := range []*tensor.Tensor[float32]{t.XS, t.XQ} {
			sh := x.Shape
			if err := episodes.ShiftImages(x.Data, sh[0], sh[1], sh[2], sh[3], shift, seed, uint64(2*e+j)); err != nil {
				return nil, fmt.Errorf("task %d of iteration %d: %w", k, iter, err)
			}
		}
		return t, nil
	}
}

// SamplerEpisodes returns episode i of a sampler as a task (an EvalSet).
func SamplerEpisodes(s *episodes.Sampler) func(i int) (*Task[float32], error) {
	return func(i int) (*Task[float32], error) {
		ep := s.Episode(i)
		return EpisodeTask(s.Source(), &ep), nil
	}
}
