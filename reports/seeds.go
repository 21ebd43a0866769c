package reports

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"

	"gonum.org/v1/gonum/stat/distuv"
)

// Run is one training run's results on a fixed evaluation set: its seed and
// its per-episode accuracies (or per-image 0/1 outcomes), in the order of the
// shared episodes.
type Run struct {
	Seed     int64
	Episodes []float64
}

// Mean is the run's accuracy: the mean over its episodes.
func (r Run) Mean() float64 {
	m, _ := meanStd(r.Episodes)
	return m
}

// Interval is a two-sided confidence interval [Lo, Hi] at Level (0.95 for
// 95%), in the units of its estimate. Method names how it was computed; a
// zero Interval (Level 0) means there is none.
type Interval struct {
	Lo     float64 `json:"lo"`
	Hi     float64 `json:"hi"`
	Level  float64 `json:"level"`
	Method string  `json:"method"`
	// Clipped says the interval was cut at the range of its quantity
	// ([0, 1] for accuracies, [-1, 1] for differences).
	Clipped bool `json:"clipped,omitempty"`
}

// Ok reports whether there is an interval.
func (iv Interval) Ok() bool { return iv.Level > 0 }

// Interval methods.
const (
	MethodHierT    = "Student t over seeds, with the shared episodes' variance, clipped to [0, 1]"
	MethodEpisodes = "bootstrap over episodes, conditional on one trained model"
	MethodWilson   = "Wilson score"
	MethodT        = "Student t over seeds"
)

// BootstrapResamples is the number of resamples of the bootstrap over one
// model's episodes; BootstrapSeed seeds its generator, so an interval is a
// pure function of its input.
const (
	BootstrapResamples = 4000
	BootstrapSeed      = 20261206
)

// SeedSummary is a method's accuracy over training runs: the per-seed means,
// their mean, and an interval over seeds (none with one seed, where
// Conditional holds the interval over that model's episodes instead).
type SeedSummary struct {
	Seeds       []int64   `json:"seeds"`
	PerSeed     []float64 `json:"per_seed"`
	Mean        float64   `json:"mean"`
	Interval    Interval  `json:"interval"`              // over seeds (k >= 2)
	Conditional Interval  `json:"conditional,omitempty"` // over episodes, one seed only
	Episodes    int       `json:"episodes"`              // per seed (the fewest)
}

// K is the number of seeds.
func (s SeedSummary) K() int { return len(s.PerSeed) }

// SummarizeSeeds is the accuracy of runs of one method on shared episodes:
// the mean of the seeds' means and, for k >= 2 seeds, the 95% interval over
// training runs of a two-level model (seeds, and the test episodes they
// share):
//
//	m_s = mean_i a_si,  mean = mean_s m_s,  e_i = mean_s a_si
//	se^2 = var_s(m_s)/k + var_i(e_i)/n
//	mean ± t_{0.975, k-1} se, clipped to [0, 1] (and marked when clipped)
//
// The t quantile with k-1 degrees of freedom keeps the coverage honest
// with the 3 to 5 seeds a table can afford (a percentile bootstrap over so
// few seeds is far too narrow). One seed gives no interval over training
// runs, only the interval over its episodes, conditional on that trained
// model: Wilson's for per-image 0/1 outcomes, else the percentile bootstrap
// over episodes. Runs without episodes (only a mean) take part through their
// mean, with the episode term left out; runs of unequal length are cut to
// the shortest.
func SummarizeSeeds(runs []Run) SeedSummary {
	s := SeedSummary{}
	if len(runs) == 0 {
		return s
	}
	s.Episodes = math.MaxInt
	for _, r := range runs {
		s.Seeds = append(s.Seeds, r.Seed)
		s.PerSeed = append(s.PerSeed, r.Mean())
		s.Episodes = min(s.Episodes, len(r.Episodes))
	}
	s.Mean, _ = meanStd(s.PerSeed)
	switch {
	case len(runs) >= 2:
		s.Interval = hierT(runs, s.PerSeed, s.Mean, s.Episodes, 0.95)
	case len(runs[0].Episodes) >= 2:
		if k, ok := Proportion(runs[0].Episodes); ok {
			s.Conditional = Wilson(k, len(runs[0].Episodes), 0.95) // per-image outcomes
			break
		}
		s.Conditional = episodeBootstrap(runs[0].Episodes, 0.95)
	}
	return s
}

// hierT is SummarizeSeeds' interval over k >= 2 runs, centred on mean, the
// mean of the per-seed means perSeed; the episode term uses the first n
// episodes, those every run has.
func hierT(runs []Run, perSeed []float64, mean float64, n int, level float64) Interval {
	k := len(runs)
	_, sb := meanStd(perSeed)
	v := sb * sb / float64(k)
	if n >= 2 {
		e := make([]float64, n)
		for _, r := range runs {
			for i := range e {
				e[i] += r.Episodes[i] / float64(k)
			}
		}
		_, se := meanStd(e)
		v += se * se / float64(n)
	}
	q := distuv.StudentsT{Mu: 0, Sigma: 1, Nu: float64(k - 1)}.Quantile(1 - (1-level)/2)
	h := q * math.Sqrt(v)
	lo, hi := mean-h, mean+h
	return Interval{Lo: max(lo, 0), Hi: min(hi, 1), Level: level, Method: MethodHierT, Clipped: lo < 0 || hi > 1}
}

// episodeBootstrap is the percentile interval at level of the mean of eps
// over BootstrapResamples resamples of the episodes, drawn from
// BootstrapSeed. Its bounds are means of accuracies, so they lie in [0, 1].
func episodeBootstrap(eps []float64, level float64) Interval {
	rng := rand.New(rand.NewPCG(BootstrapSeed, uint64(len(eps))))
	n := len(eps)
	stats := make([]float64, BootstrapResamples)
	for b := range stats {
		var sum float64
		for range n {
			sum += eps[rng.IntN(n)]
		}
		stats[b] = sum / float64(n)
	}
	slices.Sort(stats)
	a := (1 - level) / 2
	return Interval{Lo: quantileSorted(stats, a), Hi: quantileSorted(stats, 1-a), Level: level, Method: MethodEpisodes}
}

// quantileSorted is the q-quantile of sorted xs by linear interpolation
// between order statistics (Hyndman and Fan's type 7).
func quantileSorted(xs []float64, q float64) float64 {
	h := q * float64(len(xs)-1)
	lo := math.Floor(h)
	i := int(lo)
	if i+1 >= len(xs) {
		return xs[len(xs)-1]
	}
	return xs[i] + (h-lo)*(xs[i+1]-xs[i])
}

// Wilson is the Wilson score interval at level for k successes in n trials.
// Unlike the normal (Wald) interval it has width at 0 and n successes and
// never leaves [0, 1].
func Wilson(k, n int, level float64) Interval {
	if n == 0 {
		return Interval{Lo: 0, Hi: 1, Level: level, Method: MethodWilson}
	}
	z := distuv.UnitNormal.Quantile(1 - (1-level)/2)
	p, nn := float64(k)/float64(n), float64(n)
	d := 1 + z*z/nn
	c := (p + z*z/(2*nn)) / d
	h := z / d * math.Sqrt(p*(1-p)/nn+z*z/(4*nn*nn))
	return Interval{Lo: max(c-h, 0), Hi: min(c+h, 1), Level: level, Method: MethodWilson}
}

// proportionWilson is the Wilson 95% interval of a proportion p of n
// trials (p*n rounded to the nearest count).
func proportionWilson(p float64, n int) Interval {
	return Wilson(int(math.Round(p*float64(n))), n, 0.95)
}

// WilsonHalf is half the width of the Wilson 95% interval of a proportion p
// of n images: adapt records keep it as their CI95 (the interval itself,
// which is not centred on p, is EpisodeInterval of the record).
func WilsonHalf(p float64, n int) float64 {
	iv := proportionWilson(p, n)
	return (iv.Hi - iv.Lo) / 2
}

// Proportion reports whether xs are all 0 or 1 (per-image outcomes), and
// how many are 1.
func Proportion(xs []float64) (k int, ok bool) {
	for _, x := range xs {
		switch x {
		case 1:
			k++
		case 0:
		default:
			return 0, false
		}
	}
	return k, len(xs) > 0
}

// SeedContrast compares a candidate B with a reference A over training runs:
// per seed s both ran, D_s = mean over the shared episodes of (B - A); the
// inference is on the k values D_s. Differences are fractions (B minus A).
type SeedContrast struct {
	Seeds []int64   `json:"seeds"`
	D     []float64 `json:"per_seed_diff"`
	Mean  float64   `json:"diff"`
	// Interval is the Student-t 95% interval of the mean D over seeds
	// (df = k-1), clipped to [-1, 1] (Interval.Clipped says when it was).
	Interval Interval `json:"interval"`
	T        float64  `json:"t"`
	DF       int      `json:"df"`
	// P is the two-sided paired t p-value over seeds; PHolm the same after
	// Holm's adjustment within its family (equal to P until AdjustHolm).
	P     float64 `json:"p"`
	PHolm float64 `json:"p_holm"`
	// PFlip is the exact two-sided sign-flip permutation p-value over the
	// 2^k sign patterns of the D_s; MinPFlip = 2^(1-k) is the smallest value
	// it can take with k seeds.
	PFlip    float64 `json:"p_signflip"`
	MinPFlip float64 `json:"min_p_signflip"`
	// PBetter is P(B > A) over seed pairs: the share of pairs (i of B, j of
	// A), over all seeds each ran, where B's seed mean exceeds A's (ties
	// count a half).
	PBetter  float64 `json:"p_better"`
	Episodes int     `json:"episodes"` // shared episodes per seed
}

// K is the number of paired seeds.
func (c *SeedContrast) K() int { return len(c.D) }

// ErrNoCommonSeed is returned by ContrastSeeds when the two methods share no
// seed.
var ErrNoCommonSeed = errors.New("no seed in common")

// ContrastSeeds pairs B with A over the seeds both ran (the runs of a seed
// must score the same episodes, in the same order). One common seed gives the
// difference with no test (P, PFlip NaN).
func ContrastSeeds(a, b []Run) (*SeedContrast, error) {
	c := &SeedContrast{Episodes: math.MaxInt}
	for _, rb := range b {
		i := slices.IndexFunc(a, func(r Run) bool { return r.Seed == rb.Seed })
		if i < 0 {
			continue
		}
		ra := a[i]
		if len(ra.Episodes) != len(rb.Episodes) {
			return nil, fmt.Errorf("seed %d: %d episodes against %d", rb.Seed, len(rb.Episodes), len(ra.Episodes))
		}
		if len(ra.Episodes) == 0 {
			return nil, fmt.Errorf("seed %d: no per-episode results", rb.Seed)
		}
		var sum float64
		for e := range ra.Episodes {
			if math.IsNaN(ra.Episodes[e]) || math.IsNaN(rb.Episodes[e]) {
				return nil, fmt.Errorf("seed %d: episode %d has a NaN accuracy", rb.Seed, e)
			}
			sum += rb.Episodes[e] - ra.Episodes[e]
		}
		c.Seeds = append(c.Seeds, rb.Seed)
		c.D = append(c.D, sum/float64(len(ra.Episodes)))
		c.Episodes = min(c.Episodes, len(ra.Episodes))
	}
	if len(c.D) == 0 {
		return nil, ErrNoCommonSeed
	}
	k := len(c.D)
	c.DF = k - 1
	var sd float64
	c.Mean, sd = meanStd(c.D)
	c.MinPFlip = math.Pow(2, float64(1-k))
	c.PFlip = SignFlipP(c.D)
	c.P, c.T = math.NaN(), math.NaN()
	switch {
	case k < 2:
		c.PFlip = math.NaN()
	case sd <= 1e-15:
		// every seed moved by the same amount: the t statistic is infinite
		// (p 0) unless nothing moved (p 1); the sign-flip p stays honest
		c.Interval = Interval{Lo: c.Mean, Hi: c.Mean, Level: 0.95, Method: MethodT}
		c.P, c.T = 0, math.Copysign(math.Inf(1), c.Mean)
		if math.Abs(c.Mean) <= 1e-15 {
			c.P, c.T = 1, 0
		}
	default:
		td := distuv.StudentsT{Mu: 0, Sigma: 1, Nu: float64(k - 1)}
		se := sd / math.Sqrt(float64(k))
		c.T = c.Mean / se
		c.P = 2 * td.Survival(math.Abs(c.T))
		q := td.Quantile(0.975)
		lo, hi := c.Mean-q*se, c.Mean+q*se
		c.Interval = Interval{Lo: max(lo, -1), Hi: min(hi, 1), Level: 0.95, Method: MethodT, Clipped: lo < -1 || hi > 1}
	}
	c.PHolm = c.P
	var ma, mb []float64
	for _, r := range a {
		ma = append(ma, r.Mean())
	}
	for _, r := range b {
		mb = append(mb, r.Mean())
	}
	c.PBetter = ProbBetter(mb, ma)
	return c, nil
}

// SignFlipP is the exact two-sided sign-flip permutation p-value of the
// mean of d: under H0 (no difference) each d_s is as likely positive as
// negative, so p is the share of the 2^k sign patterns whose |mean| is at
// least the observed one (the observed pattern included: p >= 2^(1-k) when
// no d_s is 0). k must stay small (at most 24).
func SignFlipP(d []float64) float64 {
	k := len(d)
	if k == 0 || k > 24 {
		return math.NaN()
	}
	var obs float64
	for _, x := range d {
		obs += x
	}
	obs = math.Abs(obs)
	// sums within a relative 1e-12 of the observed one count as equal
	tol := 1e-12 * max(obs, 1e-300)
	count := 0
	for mask := range 1 << k {
		var s float64
		for i, x := range d {
			if mask&(1<<i) != 0 {
				s -= x
			} else {
				s += x
			}
		}
		if math.Abs(s) >= obs-tol {
			count++
		}
	}
	return float64(count) / float64(int(1)<<k)
}

// ProbBetter is P(X > Y) estimated over all pairs (x of xs, y of ys), ties
// counting a half (the Mann-Whitney statistic over its maximum). NaN when
// either side is empty.
func ProbBetter(xs, ys []float64) float64 {
	if len(xs) == 0 || len(ys) == 0 {
		return math.NaN()
	}
	var w float64
	for _, x := range xs {
		for _, y := range ys {
			switch {
			case x > y:
				w++
			case x == y:
				w += 0.5
			}
		}
	}
	return w / float64(len(xs)*len(ys))
}

// Holm returns Holm's step-down adjusted p-values of a family of tests, in
// the order given: with p sorted ascending p_(1) <= ... <= p_(m),
// adj_(i) = max_{j <= i} min(1, (m - j + 1) p_(j)). Rejecting where adj <
// alpha controls the family-wise error rate at alpha. NaN entries are not
// tests: they stay NaN and do not count in m.
func Holm(p []float64) []float64 {
	out := make([]float64, len(p))
	var order []int
	for i, x := range p {
		out[i] = math.NaN()
		if !math.IsNaN(x) {
			order = append(order, i)
		}
	}
	slices.SortStableFunc(order, func(a, b int) int {
		switch {
		case p[a] < p[b]:
			return -1
		case p[a] > p[b]:
			return 1
		}
		return 0
	})
	m := len(order)
	running := 0.0
	for j, i := range order {
		running = max(running, min(1, float64(m-j)*p[i]))
		out[i] = running
	}
	return out
}

// AdjustHolm sets PHolm of each contrast of one family (the rows of one
// table against its reference, the contrasts of one figure).
func AdjustHolm(cs []*SeedContrast) {
	holmFamily(cs, func(c *SeedContrast) float64 { return c.P }, func(c *SeedContrast, q float64) { c.PHolm = q })
}

// holmFamily adjusts the p-values that p reads from a family of tests with
// Holm and hands each test its adjusted value.
func holmFamily[T any](family []T, p func(T) float64, set func(T, float64)) {
	ps := make([]float64, len(family))
	for i, x := range family {
		ps[i] = p(x)
	}
	for i, q := range Holm(ps) {
		set(family[i], q)
	}
}

// McNemar is the exact two-sided McNemar test of two classifiers scored on
// the same items (0/1 outcomes a and b): of the n01 items only b gets right
// and the n10 only a gets right, under H0 each discordant item is either with
// probability 1/2, so p = min(1, 2 P(Bin(n01+n10, 1/2) <= min(n01, n10))). It
// is a diagnostic within one trained pair of models, not a test over
// training runs.
func McNemar(a, b []float64) (n01, n10 int, p float64, err error) {
	if len(a) != len(b) {
		return 0, 0, 0, fmt.Errorf("%d items against %d", len(a), len(b))
	}
	for i := range a {
		switch {
		case a[i] == 0 && b[i] == 1:
			n01++
		case a[i] == 1 && b[i] == 0:
			n10++
		case (a[i] == 0 || a[i] == 1) && a[i] == b[i]:
		default:
			return 0, 0, 0, fmt.Errorf("item %d: outcomes %v and %v are not 0/1", i, a[i], b[i])
		}
	}
	n := n01 + n10
	if n == 0 {
		return 0, 0, 1, nil
	}
	bin := distuv.Binomial{N: float64(n), P: 0.5}
	return n01, n10, min(1, 2*bin.CDF(float64(min(n01, n10)))), nil
}

// EpisodeInterval is the 95% interval of one record's accuracy over its own
// test episodes, conditional on its trained model: the Wilson interval when
// the record holds per-image 0/1 outcomes (or, without them, when its
// accuracy is a proportion over Summary.N images: adapt records), else the
// normal interval of the mean clipped to [0, 1]. None for a record that
// scored nothing.
func EpisodeInterval(r *Record) Interval {
	s := r.Summarized()
	if s.N == 0 {
		return Interval{}
	}
	if k, ok := Proportion(r.Episodes); ok {
		return Wilson(k, len(r.Episodes), 0.95)
	}
	if r.Kind == "adapt" && len(r.Episodes) == 0 {
		return proportionWilson(s.Mean, s.N)
	}
	return Interval{Lo: max(s.Mean-s.CI95, 0), Hi: min(s.Mean+s.CI95, 1), Level: 0.95, Method: "normal over episodes, clipped"}
}
