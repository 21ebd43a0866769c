package reports

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/stat/distuv"
)

// Reproduction says whether a candidate run reproduced a baseline run of the
// same seed bit for bit on the same episodes.
type Reproduction struct {
	Seed      int64 `json:"seed"`
	Identical bool  `json:"identical"`
	// FirstDiff is the index of the first episode whose accuracy differs (-1
	// when identical); Differ counts the differing episodes.
	FirstDiff int     `json:"first_diff"`
	Differ    int     `json:"differ"`
	Episodes  int     `json:"episodes"`
	Baseline  float64 `json:"baseline_at_first_diff,omitempty"`
	Candidate float64 `json:"candidate_at_first_diff,omitempty"`
}

// Reproduce compares two runs of one seed episode by episode, bit for bit.
func Reproduce(base, cand Run) Reproduction {
	r := Reproduction{Seed: cand.Seed, Identical: true, FirstDiff: -1, Episodes: len(cand.Episodes)}
	if len(base.Episodes) != len(cand.Episodes) {
		r.Identical, r.FirstDiff = false, min(len(base.Episodes), len(cand.Episodes))
		r.Differ = max(len(base.Episodes), len(cand.Episodes)) - r.FirstDiff
	}
	for i := range min(len(base.Episodes), len(cand.Episodes)) {
		if math.Float64bits(base.Episodes[i]) != math.Float64bits(cand.Episodes[i]) {
			if r.Identical || i < r.FirstDiff {
				r.FirstDiff, r.Baseline, r.Candidate = i, base.Episodes[i], cand.Episodes[i]
			}
			r.Identical = false
			r.Differ++
		}
	}
	return r
}

// String is a one-line account of the reproduction.
func (r Reproduction) String() string {
	if r.Identical {
		return fmt.Sprintf("identical (%d episodes, bit for bit)", r.Episodes)
	}
	if r.FirstDiff >= 0 && r.Baseline != r.Candidate {
		return fmt.Sprintf("differs from episode %d (%.4f, was %.4f); %d of %d episodes differ", r.FirstDiff, r.Candidate, r.Baseline, r.Differ, r.Episodes)
	}
	return fmt.Sprintf("differs from episode %d; %d of %d episodes differ", r.FirstDiff, r.Differ, r.Episodes)
}

// Regression is the seed-level regression test of a nightly check: the
// candidate's training runs against the baseline's, as two independent
// samples of seed means (a run whose numerics changed is a new training run,
// whatever its seed number). With pooled variance (both sides run the same
// configuration, so the spread between seeds is the same under H0),
//
//	diff = mean(cand) - mean(base)
//	se   = s_p sqrt(1/k_c + 1/k_b),  df = k_c + k_b - 2
//	H0: diff >= -margin   against   H1: diff < -margin
//	t    = (diff + margin) / se,     p = T_df(t)   (one-sided)
//	upper = diff + t_{1-alpha, df} se
//
// and a unit regressed when p < alpha (equivalently upper < -margin); across
// the units of one night, PHolm replaces p.
type Regression struct {
	KBase    int     `json:"baseline_seeds"`
	KCand    int     `json:"candidate_seeds"`
	BaseMean float64 `json:"baseline_mean"`
	CandMean float64 `json:"candidate_mean"`
	Diff     float64 `json:"diff"`
	SE       float64 `json:"se"`
	SD       float64 `json:"pooled_sd"`
	DF       int     `json:"df"`
	Upper    float64 `json:"upper"` // one-sided upper bound at level 1-alpha
	T        float64 `json:"t"`
	P        float64 `json:"p"`
	PHolm    float64 `json:"p_holm"`
	Margin   float64 `json:"margin"`
	Alpha    float64 `json:"alpha"`
	// Detectable is the drop (positive, a fraction) that this test flags
	// with probability 0.8 at level alpha: margin + (t_{1-alpha} +
	// t_{0.8}) se.
	Detectable float64 `json:"detectable_drop"`
	Regressed  bool    `json:"regressed"`
}

// TestRegression runs the regression test of cand's seed means against
// base's. It needs at least one seed per side and three in all (one degree
// of freedom for the spread).
func TestRegression(base, cand []float64, margin, alpha float64) (*Regression, error) {
	kb, kc := len(base), len(cand)
	switch {
	case kb == 0 || kc == 0:
		return nil, fmt.Errorf("%d baseline and %d candidate seeds: need at least one on each side", kb, kc)
	case kb+kc < 3:
		return nil, fmt.Errorf("%d baseline and %d candidate seeds: need 3 in all to estimate the seed-to-seed spread", kb, kc)
	case !(alpha > 0 && alpha < 1):
		return nil, fmt.Errorf("alpha %v is not in (0, 1)", alpha)
	case margin < 0 || math.IsNaN(margin):
		return nil, fmt.Errorf("margin %v is negative", margin)
	}
	mb, sb := meanStd(base)
	mc, sc := meanStd(cand)
	df := kb + kc - 2
	ss := float64(kb-1)*sb*sb + float64(kc-1)*sc*sc
	r := &Regression{KBase: kb, KCand: kc, BaseMean: mb, CandMean: mc, Diff: mc - mb, DF: df, Margin: margin, Alpha: alpha}
	r.SD = math.Sqrt(ss / float64(df))
	r.SE = r.SD * math.Sqrt(1/float64(kb)+1/float64(kc))
	td := distuv.StudentsT{Mu: 0, Sigma: 1, Nu: float64(df)}
	q := td.Quantile(1 - alpha)
	r.Detectable = margin + (q+td.Quantile(0.8))*r.SE
	if r.SE <= 1e-15 {
		// no spread: the difference is exact
		r.Upper, r.T = r.Diff, math.Inf(1)
		r.P = 1
		if r.Diff < -margin {
			r.T, r.P = math.Inf(-1), 0
		}
	} else {
		r.Upper = r.Diff + q*r.SE
		r.T = (r.Diff + margin) / r.SE
		r.P = td.CDF(r.T)
	}
	r.PHolm = r.P
	r.Regressed = r.P < alpha
	return r, nil
}

// AdjustRegressions applies Holm's adjustment across the units of one night
// and sets Regressed from the adjusted p-values.
func AdjustRegressions(rs []*Regression) {
	holmFamily(rs, func(r *Regression) float64 { return r.P }, func(r *Regression, q float64) {
		r.PHolm, r.Regressed = q, q < r.Alpha
	})
}

// Power is what a comparison over seeds can detect, from the seed-to-seed
// spread SD (a fraction) at two-sided level Alpha with probability Power.
type Power struct {
	SD, Alpha, Power float64
}

// DefaultPower is alpha 0.05 and 80% power.
func DefaultPower(sd float64) Power { return Power{SD: sd, Alpha: 0.05, Power: 0.8} }

// Detectable is the smallest true difference of means that k seeds per side
// detect, by the usual approximation
//
//	delta = (t_{1-alpha/2, df} + t_{power, df}) * se
//
// with, for paired seeds (the SD of the per-seed differences D_s), se =
// SD/sqrt(k) and df = k-1, and for two independent groups of k seeds (the
// SD of the seed means), se = SD sqrt(2/k) and df = 2k-2. NaN below 2 seeds.
func (p Power) Detectable(k int, paired bool) float64 {
	if k < 2 || math.IsNaN(p.SD) {
		return math.NaN()
	}
	se, df := p.SD*math.Sqrt(2/float64(k)), 2*k-2
	if paired {
		se, df = p.SD/math.Sqrt(float64(k)), k-1
	}
	td := distuv.StudentsT{Mu: 0, Sigma: 1, Nu: float64(df)}
	return (td.Quantile(1-p.Alpha/2) + td.Quantile(p.Power)) * se
}

// SeedsFor is the smallest number of seeds (per side) whose Detectable
// difference is at most delta; 0 when none up to limit does.
func (p Power) SeedsFor(delta float64, paired bool, limit int) int {
	for k := 2; k <= limit; k++ {
		if p.Detectable(k, paired) <= delta {
			return k
		}
	}
	return 0
}
