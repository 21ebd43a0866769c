package reports

import (
	"fmt"
	"math"
	"slices"
	"time"
)

// PerfSchemaVersion is the version of the PerfRun layout.
const PerfSchemaVersion = 1

// PerfRun is one `metabench perf` invocation saved to a results store: the
// timings of every workload it ran on one machine. Speed is compared only
// between runs on the same machine kind (PerfRun.Machine).
type PerfRun struct {
	Schema     int       `json:"schema"`
	RunID      string    `json:"run_id"`
	Label      string    `json:"label,omitempty"`
	Started    time.Time `json:"started"`
	GOMAXPROCS int       `json:"gomaxprocs"`
	// PeakGFLOPS is the attainable float32 rate of the cores in use,
	// measured before the workloads (0 for a build without SIMD kernels).
	PeakGFLOPS float64        `json:"peak_gflops,omitempty"`
	PeakRSSMB  float64        `json:"peak_rss_mb,omitempty"` // the process's peak over the whole run
	Workloads  []PerfWorkload `json:"workloads"`
	Env        Env            `json:"env"`
}

// PerfWorkload is one workload's timings in a PerfRun.
type PerfWorkload struct {
	Name     string  `json:"name"`
	MedianMS float64 `json:"median_ms"`
	MinMS    float64 `json:"min_ms"`
	MaxMS    float64 `json:"max_ms"`
	Reps     int     `json:"reps"`
	// TimesMS are the repetitions in the order they ran.
	TimesMS   []float64 `json:"times_ms,omitempty"`
	PeakRSSMB float64   `json:"peak_rss_mb,omitempty"`
	GFLOPS    float64   `json:"gflops,omitempty"`
}

// Machine names the machine kind a run's speed belongs to: the CPU model
// and the cores in use. Runs of one kind form a speed series; the matrix
// path is not part of it, so a build that changes the path shows as a
// change in speed rather than as a new series.
func (r *PerfRun) Machine() string {
	cpu := r.Env.CPUModel
	if cpu == "" {
		cpu = "unknown CPU"
	}
	return fmt.Sprintf("%s, %d cores", cpu, r.GOMAXPROCS)
}

// Workload returns the run's timings of the named workload.
func (r *PerfRun) Workload(name string) (PerfWorkload, bool) {
	i := slices.IndexFunc(r.Workloads, func(w PerfWorkload) bool { return w.Name == name })
	if i < 0 {
		return PerfWorkload{}, false
	}
	return r.Workloads[i], true
}

// SpeedRule is how a run's median is judged against the runs before it on
// the same machine kind.
type SpeedRule struct {
	// Window is the most earlier runs the baseline and the noise are
	// taken from (the newest ones); MinHistory the fewest that allow a
	// check at all.
	Window, MinHistory int
	// Sigmas is how many noise standard deviations a change must exceed,
	// and MinChange the smallest relative change ever flagged (a floor for
	// machines whose earlier medians happened to agree closely).
	Sigmas, MinChange float64
}

// DefaultSpeedRule: the last 10 runs, at least 3, 3 sigmas and at least 3%.
func DefaultSpeedRule() SpeedRule {
	return SpeedRule{Window: 10, MinHistory: 3, Sigmas: 3, MinChange: 0.03}
}

// SpeedCheck is one workload's median against the runs before it.
type SpeedCheck struct {
	History  int     // earlier runs used
	Baseline float64 // median of their medians, ms
	Ratio    float64 // this median / Baseline
	// Between is the run-to-run noise of the machine, the robust standard
	// deviation (1.4826 MAD) of the earlier runs' log medians; Within the
	// standard error of this run's log median from its repetitions
	// (1.2533 · 1.4826 MAD(log times) / sqrt(reps)); Noise their root sum
	// of squares, and Threshold = max(Sigmas · Noise, log(1 + MinChange)),
	// the log ratio a change must exceed.
	Between, Within, Noise, Threshold float64
	Slowdown, Speedup                 bool
	// Persists: the run is beyond the threshold like the flagged run
	// before it and within the threshold of that run's median: the same
	// shift, flagged once where it began (Slowdown and Speedup are then
	// false).
	Persists bool
	Problem  string // why there is no check ("" when there is one)
}

// Continue turns a check that repeats the shift of the run before it
// (prev, flagged, at median prevMS) into a persisting one: a level shift
// is flagged on the run where it appears, not again on every run until the
// window's median catches up.
func (c SpeedCheck) Continue(prev SpeedCheck, prevMS, curMS float64) SpeedCheck {
	if c.Problem != "" || !(prev.Slowdown || prev.Speedup || prev.Persists) || !(c.Slowdown || c.Speedup) {
		return c
	}
	if math.Abs(math.Log(curMS/prevMS)) <= c.Threshold {
		c.Slowdown, c.Speedup, c.Persists = false, false, true
	}
	return c
}

// CheckSpeed judges cur against the earlier runs of its machine kind
// (oldest first; only the last rule.Window are read):
//
//	r = log(median / median of the earlier medians)
//	σ = sqrt(σ_between² + σ_within²)
//	slowdown when r > max(k σ, log(1 + m)), speedup when r < -max(k σ, log(1 + m))
//
// where σ_between is the robust spread of the earlier log medians (what
// the same build measures from run to run on that machine: load, turbo,
// placement) and σ_within the standard error of cur's log median from its
// own repetitions. Both are robust (MAD), so one disturbed run neither
// triggers a flag nor hides the next one.
func CheckSpeed(earlier []PerfWorkload, cur PerfWorkload, rule SpeedRule) SpeedCheck {
	if len(earlier) > rule.Window {
		earlier = earlier[len(earlier)-rule.Window:]
	}
	c := SpeedCheck{History: len(earlier)}
	if len(earlier) < rule.MinHistory {
		c.Problem = fmt.Sprintf("%d earlier runs on this machine, a check needs %d", len(earlier), rule.MinHistory)
		return c
	}
	logs := make([]float64, len(earlier))
	for i, w := range earlier {
		logs[i] = math.Log(w.MedianMS)
	}
	base := median(logs)
	c.Baseline = math.Exp(base)
	c.Ratio = cur.MedianMS / c.Baseline
	c.Between = 1.4826 * mad(logs)
	if n := len(cur.TimesMS); n > 1 {
		lt := make([]float64, n)
		for i, t := range cur.TimesMS {
			lt[i] = math.Log(t)
		}
		c.Within = 1.2533 * 1.4826 * mad(lt) / math.Sqrt(float64(n))
	}
	c.Noise = math.Hypot(c.Between, c.Within)
	c.Threshold = math.Max(rule.Sigmas*c.Noise, math.Log1p(rule.MinChange))
	r := math.Log(c.Ratio)
	c.Slowdown, c.Speedup = r > c.Threshold, r < -c.Threshold
	return c
}

// String is the check in one line: "1.12x the median of 5 earlier runs
// (threshold ±6.1%): slower".
func (c SpeedCheck) String() string {
	if c.Problem != "" {
		return "not checked: " + c.Problem
	}
	verdict := "within the noise"
	switch {
	case c.Persists && c.Ratio > 1:
		verdict = "still slower, as the run before (flagged there)"
	case c.Persists:
		verdict = "still faster, as the run before (flagged there)"
	case c.Slowdown:
		verdict = "slower"
	case c.Speedup:
		verdict = "faster"
	}
	return fmt.Sprintf("%.3fx the median of %d earlier runs (threshold ±%.1f%%, noise %.1f%% between runs, %.1f%% within): %s",
		c.Ratio, c.History, 100*math.Expm1(c.Threshold), 100*c.Between, 100*c.Within, verdict)
}

// median of xs (not modified); NaN for none.
func median(xs []float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	return quantileSorted(s, 0.5)
}

// mad is the median absolute deviation from the median.
func mad(xs []float64) float64 {
	m := median(xs)
	d := make([]float64, len(xs))
	for i, x := range xs {
		d[i] = math.Abs(x - m)
	}
	return median(d)
}
