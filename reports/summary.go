package reports

import (
	"math"

	"gonum.org/v1/gonum/stat/distuv"
)

// z95 is the two-sided 95% quantile of the standard normal distribution used
// by the summaries of docs/TARGETS.md: ci95 = 1.96 * s / sqrt(n).
const z95 = 1.96

// Summarize returns the mean of xs and its 95% confidence half-width
// 1.96 * s / sqrt(n), s the sample standard deviation. An empty slice gives the
// zero Summary; a single value gives CI95 = 0.
func Summarize(xs []float64) Summary {
	n := len(xs)
	if n == 0 {
		return Summary{}
	}
	mean, sd := meanStd(xs)
	ci := 0.0
	if n > 1 {
		ci = z95 * sd / math.Sqrt(float64(n))
	}
	return Summary{Mean: mean, CI95: ci, N: n}
}

// meanStd returns the mean and the sample standard deviation (n-1 in the
// denominator; 0 for fewer than two values). It uses two passes, which is
// exact enough for accuracies in [0, 1].
func meanStd(xs []float64) (mean, sd float64) {
	n := len(xs)
	if n == 0 {
		return 0, 0
	}
	for _, x := range xs {
		mean += x
	}
	mean /= float64(n)
	if n < 2 {
		return mean, 0
	}
	var ss float64
	for _, x := range xs {
		d := x - mean
		ss += d * d
	}
	return mean, math.Sqrt(ss / float64(n-1))
}

// Summarized returns r.Summary, computed from r.Episodes when the record
// carries episodes but no summary.
func (r *Record) Summarized() Summary {
	if r.Summary.N == 0 && len(r.Episodes) > 0 {
		return Summarize(r.Episodes)
	}
	return r.Summary
}

// SummarizeT is the mean of a few values (the means of seeds or folds) with
// the half-width of its Student-t 95% interval, t(0.975, n-1) * sd/sqrt(n);
// one value has no interval (CI95 0).
func SummarizeT(xs []float64) Summary {
	mean, sd := meanStd(xs)
	s := Summary{Mean: mean, N: len(xs)}
	if k := float64(len(xs)); k >= 2 {
		s.CI95 = distuv.StudentsT{Mu: 0, Sigma: 1, Nu: k - 1}.Quantile(0.975) * sd / math.Sqrt(k)
	}
	return s
}
