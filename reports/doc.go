// Package reports holds the records that runs leave behind and everything
// computed from them: summaries with confidence intervals, tables next to the
// paper's numbers, paired run-against-run comparisons and plots. It is a leaf:
// it never imports an algorithm package, so records can be read and compared
// without linking the engines that produced them.
//
// # Units
//
// Accuracies are fractions in [0, 1] everywhere in records, comparisons and
// margins (a margin of 0.01 is one percentage point). Tables and plots show
// percentages.
//
// # Summaries
//
// A summary of n per-episode accuracies a_i is
//
//	mean = (1/n) sum_i a_i
//	s^2  = 1/(n-1) sum_i (a_i - mean)^2
//	ci95 = 1.96 * s / sqrt(n)
//
// With n = 1 the spread is unknown and ci95 is reported as 0.
//
// # Paired comparison
//
// Evaluation episodes are fixed by their seed, so episode i of a baseline run
// and episode i of a candidate run hold the same support and query images.
// Comparing them episode by episode removes the (large) variance between
// episodes from the comparison. With d_i = c_i - b_i (candidate minus
// baseline) over n episodes:
//
//	dbar = (1/n) sum_i d_i
//	s_d^2 = 1/(n-1) sum_i (d_i - dbar)^2
//	se   = s_d / sqrt(n)
//	t    = dbar / se,                 df = n - 1
//	p    = 2 * (1 - T_df(|t|))        (two-sided)
//	CI   = dbar ± q * se,             q = T_df^{-1}(1 - alpha/2)
//
// where T_df is the Student t distribution function. The interval has level
// 1 - alpha (95% for the default alpha = 0.05), so "p < alpha" and "the
// interval excludes 0" always agree. When every d_i is equal (s_d = 0) the
// shift is exact: p = 0 if dbar != 0 and p = 1 otherwise.
//
// The verdict is "regression" only when the drop is statistically significant
// (p < alpha and dbar < 0) AND larger than the margin (-dbar > margin): a
// nightly job must not fail on noise, nor on a real but negligible drop.
// Comparing runs whose protocols differ (any Protocol field, the dataset
// checksum or split, or the number of episodes) is refused with an error that
// names the differing fields.
//
// # Tables and plots
//
// A Table is rows of strings with one header, rendered as text or Markdown
// (tablewriter), CSV or JSON; RunsTable builds the report table from records.
// WritePlots draws, with gonum/plot, PNG and SVG files of accuracy versus
// meta-iteration and versus wall-clock time (Record.Curve), accuracy versus
// inner steps (Record.Adapt, the paper's Figure 4) and the methods side by
// side, bars of the mean with 95% CI error bars next to the published number.
//
// ReadRecordSet reads a folder of record files (and saved cross-validation
// summaries), and WriteResultsPage renders it as one Markdown page that is a
// function of the records alone: docs/RESULTS.md is generated that way.
//
// # Reference numbers
//
// References holds the published accuracies of docs/TARGETS.md (Finn et al.
// 2017, Nichol et al. 2018, BASE, T-NAS) keyed by method, dataset, ways and
// shots, so every table row can show the paper's number beside the run's.
package reports
