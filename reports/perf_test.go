package reports

import (
	"math"
	"math/rand/v2"
	"testing"
)

// noisyRun is a workload run whose repetitions are lognormal around
// median·exp(night) with spread within.
func noisyRun(r *rand.Rand, median, night, within float64, reps int) PerfWorkload {
	w := PerfWorkload{Name: "w", Reps: reps, TimesMS: make([]float64, reps)}
	for i := range w.TimesMS {
		w.TimesMS[i] = median * math.Exp(night+within*r.NormFloat64())
	}
	w.MedianMS = median * math.Exp(night) // the night's level
	return w
}

// TestCheckSpeedByHand: the baseline is the median of the earlier
// medians, the between-run noise 1.4826 MAD of their logs, the threshold
// the larger of 3 sigma and the 3% floor.
func TestCheckSpeedByHand(t *testing.T) {
	earlier := []PerfWorkload{{MedianMS: 100}, {MedianMS: 110}, {MedianMS: 90}, {MedianMS: 100}, {MedianMS: 105}}
	c := CheckSpeed(earlier, PerfWorkload{MedianMS: 140}, DefaultSpeedRule())
	// median log = log 100; |deviations| = 0, log 1.1, log(10/9), 0, log 1.05 -> MAD = log 1.05
	wantBetween := 1.4826 * math.Log(1.05)
	if math.Abs(c.Baseline-100) > 1e-9 || math.Abs(c.Between-wantBetween) > 1e-12 || c.Within != 0 {
		t.Fatalf("baseline %v between %v (want %v) within %v", c.Baseline, c.Between, wantBetween, c.Within)
	}
	if math.Abs(c.Threshold-3*wantBetween) > 1e-12 || !c.Slowdown || c.Speedup {
		t.Fatalf("threshold %v, slowdown %v: %s", c.Threshold, c.Slowdown, c)
	}
	// identical history: the 3% floor decides
	same := []PerfWorkload{{MedianMS: 50}, {MedianMS: 50}, {MedianMS: 50}}
	if c := CheckSpeed(same, PerfWorkload{MedianMS: 51}, DefaultSpeedRule()); c.Slowdown || math.Abs(c.Threshold-math.Log(1.03)) > 1e-15 {
		t.Fatalf("2%% over an identical history flagged: %s", c)
	}
	if c := CheckSpeed(same, PerfWorkload{MedianMS: 46}, DefaultSpeedRule()); !c.Speedup {
		t.Fatalf("8%% faster not seen: %s", c)
	}
	if c := CheckSpeed(same[:2], PerfWorkload{MedianMS: 500}, DefaultSpeedRule()); c.Problem == "" || c.Slowdown {
		t.Fatalf("two earlier runs checked: %s", c)
	}
}

// TestCheckSpeedNoiseAndPlanted: on a machine whose nights vary by 3%
// and whose repetitions by 5%, nights of the same build are flagged in
// under 2% of checks, and a planted 20% slowdown is found in over 95%.
func TestCheckSpeedNoiseAndPlanted(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	const trials = 2000
	falseFlags, found := 0, 0
	for range trials {
		var hist []PerfWorkload
		for range 10 {
			hist = append(hist, noisyRun(r, 80, 0.03*r.NormFloat64(), 0.05, 9))
		}
		if c := CheckSpeed(hist, noisyRun(r, 80, 0.03*r.NormFloat64(), 0.05, 9), DefaultSpeedRule()); c.Slowdown || c.Speedup {
			falseFlags++
		}
		if c := CheckSpeed(hist, noisyRun(r, 80*1.2, 0.03*r.NormFloat64(), 0.05, 9), DefaultSpeedRule()); c.Slowdown {
			found++
		}
	}
	if falseFlags > trials/50 {
		t.Errorf("%d of %d noise-only nights flagged", falseFlags, trials)
	}
	if found < trials*95/100 {
		t.Errorf("planted 20%% slowdown found in %d of %d nights", found, trials)
	}
	t.Logf("false flags %d/%d, planted found %d/%d", falseFlags, trials, found, trials)
}

// TestSpeedContinue: a run at the level of a flagged run before it
// persists (not flagged again); one that moves on beyond the threshold
// from there is flagged anew; an unflagged predecessor changes nothing.
func TestSpeedContinue(t *testing.T) {
	hist := []PerfWorkload{{MedianMS: 100}, {MedianMS: 101}, {MedianMS: 99}, {MedianMS: 100}}
	rule := DefaultSpeedRule()
	first := CheckSpeed(hist, PerfWorkload{MedianMS: 125}, rule)
	if !first.Slowdown {
		t.Fatalf("25%% slower not flagged: %s", first)
	}
	next := CheckSpeed(append(hist, PerfWorkload{MedianMS: 125}), PerfWorkload{MedianMS: 126}, rule).Continue(first, 125, 126)
	if next.Slowdown || !next.Persists {
		t.Fatalf("the same level flagged again: %s", next)
	}
	worse := CheckSpeed(append(hist, PerfWorkload{MedianMS: 125}), PerfWorkload{MedianMS: 160}, rule).Continue(first, 125, 160)
	if !worse.Slowdown || worse.Persists {
		t.Fatalf("a further 28%% not flagged: %s", worse)
	}
	calm := CheckSpeed(hist, PerfWorkload{MedianMS: 100.5}, rule)
	if c := CheckSpeed(hist, PerfWorkload{MedianMS: 125}, rule).Continue(calm, 100.5, 125); !c.Slowdown {
		t.Fatalf("a first shift after a calm run not flagged: %s", c)
	}
}
