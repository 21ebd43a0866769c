package reports

import (
	"fmt"
	"math"
	"strings"
)

// FormatP prints a p-value for a table: "-" when there is none, "<0.0001"
// below that (never a subnormal number), else three significant digits.
func FormatP(p float64) string {
	switch {
	case math.IsNaN(p):
		return "-"
	case p < 1e-4:
		return "<0.0001"
	}
	return fmt.Sprintf("%.3g", p)
}

// PerSeedCell is a row's per-seed accuracies in percent, in seed order.
func PerSeedCell(s SeedSummary) string {
	if s.K() == 0 {
		return "-"
	}
	parts := make([]string, len(s.PerSeed))
	for i, x := range s.PerSeed {
		parts[i] = fmt.Sprintf("%.1f", 100*x)
	}
	return strings.Join(parts, ", ")
}

// AccuracyCell is a row's accuracy in percent: with two or more seeds the
// mean and its interval over seeds, "86.23 [85.41, 87.02]"; with one seed
// the mean, "1 seed" and the interval over that model's episodes, labelled
// as such; "-" for a row that scores nothing.
func AccuracyCell(s SeedSummary) string {
	switch {
	case s.K() == 0:
		return "-"
	case s.Interval.Ok():
		c := fmt.Sprintf("%.2f [%.2f, %.2f]", 100*s.Mean, 100*s.Interval.Lo, 100*s.Interval.Hi)
		if s.Interval.Clipped {
			c += " (clipped)"
		}
		return c
	case s.Conditional.Ok():
		return fmt.Sprintf("%.2f (1 seed; episodes [%.2f, %.2f])", 100*s.Mean, 100*s.Conditional.Lo, 100*s.Conditional.Hi)
	}
	return fmt.Sprintf("%.2f (1 seed)", 100*s.Mean)
}

// PointCell is a point of a curve in percent with one decimal: the mean
// and, when it has one, its interval over seeds, "92.5 [90.1, 94.8]",
// marked * when clipped.
func PointCell(s SeedSummary) string {
	c := fmt.Sprintf("%.1f", 100*s.Mean)
	if s.Interval.Ok() {
		c += fmt.Sprintf(" [%.1f, %.1f]", 100*s.Interval.Lo, 100*s.Interval.Hi)
		if s.Interval.Clipped {
			c += "*"
		}
	}
	return c
}

// ContrastHeader names the columns of ContrastCells against ref.
func ContrastHeader(ref string) []string {
	return []string{"vs " + ref + " (points, 95% CI)", "p (t over seeds; Holm)", "p (sign-flip; min)", "P(> " + ref + ")"}
}

// ContrastCells are the columns of a seed-level contrast: the mean
// difference in points with its interval over seeds, the paired t p-value
// with its Holm adjustment, the exact sign-flip p-value with the smallest
// value it can take at these seeds, and P(row > ref) over seed pairs. One
// seed: the difference, "1 seed" and no test.
func ContrastCells(c *SeedContrast) []string {
	diff := fmt.Sprintf("%+.2f", 100*c.Mean)
	if c.K() < 2 {
		return []string{diff + " (1 seed: no test)", "-", "-", fmt.Sprintf("%.2f", c.PBetter)}
	}
	if c.Interval.Ok() {
		diff += fmt.Sprintf(" [%+.2f, %+.2f]", 100*c.Interval.Lo, 100*c.Interval.Hi)
		if c.Interval.Clipped {
			diff += " (clipped)"
		}
	}
	return []string{
		diff,
		fmt.Sprintf("%s; %s", FormatP(c.P), FormatP(c.PHolm)),
		fmt.Sprintf("%s; min %s at %d seeds", FormatP(c.PFlip), FormatP(c.MinPFlip), c.K()),
		fmt.Sprintf("%.2f", c.PBetter),
	}
}

// ContrastSentence is a contrast in one line.
func ContrastSentence(c *SeedContrast) string {
	if c.K() < 2 {
		return fmt.Sprintf("%+.2f points on 1 seed (no test over training runs)", 100*c.Mean)
	}
	d := make([]string, len(c.D))
	for i, x := range c.D {
		d[i] = fmt.Sprintf("%+.2f", 100*x)
	}
	return fmt.Sprintf("%+.2f points [%+.2f, %+.2f] over %d seeds (per seed %s), paired t p=%s (Holm %s), sign-flip p=%s (min %s), P(better)=%.2f",
		100*c.Mean, 100*c.Interval.Lo, 100*c.Interval.Hi, c.K(), strings.Join(d, ", "), FormatP(c.P), FormatP(c.PHolm), FormatP(c.PFlip), FormatP(c.MinPFlip), c.PBetter)
}

// SymmetricCell prints mean ± half (fractions) as a percent interval
// "96.14 [94.79, 97.49]", clipped to [0, 100] and marked when it was.
func SymmetricCell(mean, half float64) string {
	lo, hi := mean-half, mean+half
	s := fmt.Sprintf("%.2f [%.2f, %.2f]", 100*mean, 100*max(lo, 0), 100*min(hi, 1))
	if lo < 0 || hi > 1 {
		s += " (clipped)"
	}
	return s
}
