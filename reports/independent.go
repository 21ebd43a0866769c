package reports

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/stat/distuv"
)

// MethodWelch names the interval of ContrastIndependent.
const MethodWelch = "Welch t over independent seeds, with the shared episodes' variance"

// IndependentContrast compares a candidate B with a reference A whose
// training runs are independent draws, such as two implementations of one
// method: seed s of one has nothing in common with seed s of the other, so
// the runs are not paired and the two sides may have different numbers of
// seeds. Differences are fractions (B minus A).
type IndependentContrast struct {
	KA, KB int     // seeds of A and of B
	Mean   float64 // mean over B's seeds minus mean over A's seeds
	// Interval is the 95% Welch interval of Mean (DF degrees of freedom),
	// clipped to [-1, 1]; none (Level 0) with fewer than two seeds a side.
	Interval Interval
	DF       float64
	T, P     float64 // Welch t statistic and its two-sided p-value (NaN without an interval)
	Episodes int     // shared test episodes per run
}

// ContrastIndependent is the difference between the mean accuracies of
// independent runs b and a on the same n test episodes, with the two-level
// variance of SummarizeSeeds for each side's seeds and the shared episodes
// counted once, for the difference:
//
//	m^A_s = mean_i a_si,  m^B_s = mean_i b_si,  d_i = mean_s b_si - mean_s a_si
//	diff = mean_s m^B_s - mean_s m^A_s
//	v_A = var_s(m^A_s)/k_A,  v_B = var_s(m^B_s)/k_B,  v_E = var_i(d_i)/n
//	se^2 = v_A + v_B + v_E
//	df = se^4 / (v_A^2/(k_A-1) + v_B^2/(k_B-1) + v_E^2/(n-1))   (Welch-Satterthwaite)
//	diff ± t_{0.975, df} se
//
// Pairing the runs by seed number instead (ContrastSeeds) is valid but
// arbitrary here, and its t has k-1 degrees of freedom: with two seeds a
// side its quantile is 12.7, where Welch's is about 4.3 when the sides
// spread alike. Every run must score the same number of episodes; fewer
// than two seeds on a side gives the difference with no interval.
func ContrastIndependent(a, b []Run) (*IndependentContrast, error) {
	if len(a) == 0 || len(b) == 0 {
		return nil, fmt.Errorf("independent contrast: %d runs against %d", len(b), len(a))
	}
	n := len(a[0].Episodes)
	for _, r := range append(append([]Run{}, a...), b...) {
		if len(r.Episodes) != n {
			return nil, fmt.Errorf("seed %d: %d episodes, other runs %d", r.Seed, len(r.Episodes), n)
		}
		for i, x := range r.Episodes {
			if math.IsNaN(x) {
				return nil, fmt.Errorf("seed %d: episode %d has a NaN accuracy", r.Seed, i)
			}
		}
	}
	if n == 0 {
		return nil, fmt.Errorf("independent contrast: no per-episode results")
	}
	side := func(runs []Run) (mean, v float64, e []float64) {
		ms := make([]float64, len(runs))
		e = make([]float64, n)
		for s, r := range runs {
			ms[s] = r.Mean()
			for i, x := range r.Episodes {
				e[i] += x / float64(len(runs))
			}
		}
		mean, sd := meanStd(ms)
		return mean, sd * sd / float64(len(runs)), e
	}
	ma, va, ea := side(a)
	mb, vb, eb := side(b)
	c := &IndependentContrast{KA: len(a), KB: len(b), Mean: mb - ma, Episodes: n, T: math.NaN(), P: math.NaN(), DF: math.NaN()}
	if c.KA < 2 || c.KB < 2 {
		return c, nil
	}
	var ve float64
	if n >= 2 {
		d := make([]float64, n)
		for i := range d {
			d[i] = eb[i] - ea[i]
		}
		_, sd := meanStd(d)
		ve = sd * sd / float64(n)
	}
	v := va + vb + ve
	if v <= 1e-30 {
		// no spread anywhere: the difference is exact
		c.Interval = Interval{Lo: c.Mean, Hi: c.Mean, Level: 0.95, Method: MethodWelch}
		c.P, c.T = 0, math.Copysign(math.Inf(1), c.Mean)
		if math.Abs(c.Mean) <= 1e-15 {
			c.P, c.T = 1, 0
		}
		return c, nil
	}
	den := va*va/float64(c.KA-1) + vb*vb/float64(c.KB-1)
	if n >= 2 {
		den += ve * ve / float64(n-1)
	}
	c.DF = v * v / den
	td := distuv.StudentsT{Mu: 0, Sigma: 1, Nu: c.DF}
	se := math.Sqrt(v)
	c.T = c.Mean / se
	c.P = 2 * td.Survival(math.Abs(c.T))
	q := td.Quantile(0.975)
	lo, hi := c.Mean-q*se, c.Mean+q*se
	c.Interval = Interval{Lo: max(lo, -1), Hi: min(hi, 1), Level: 0.95, Method: MethodWelch, Clipped: lo < -1 || hi > 1}
	return c, nil
}
