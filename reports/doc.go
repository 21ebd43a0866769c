// Package reports holds the records that runs leave behind and everything
// computed from them: summaries with confidence intervals, tables next to the
// paper's numbers, paired run-against-run comparisons and plots.
//
// A summary of n per-episode accuracies a_i is
//
//	mean = (1/n) sum_i a_i
//	ci95 = 1.96 * s / sqrt(n),  s^2 = 1/(n-1) sum_i (a_i - mean)^2
package reports
