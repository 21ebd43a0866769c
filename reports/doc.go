// Package reports holds the records that runs leave behind and everything
// computed from them: summaries with confidence intervals, statistics over
// training runs (seeds), tables next to the paper's numbers, episode-level
// comparisons of two trained networks and plots. It is a leaf:
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
// With n = 1 the spread is unknown and ci95 is reported as 0. This interval
// is over one run's episodes: it is conditional on that trained model.
//
// # Training runs as the unit of replication
//
// A method's accuracy varies from training run to training run, so tables and
// the nightly check treat the run (seed) as the unit and the shared, fixed
// test episodes as a second level (seeds.go, regression.go; the protocol and
// its limits are in docs/STATISTICS.md). With a_{s,i} the accuracy of seed s
// on episode i of n, SummarizeSeeds gives
//
//	acc_s = (1/n) sum_i a_{s,i},   mean = (1/k) sum_s acc_s
//
// and, for k >= 2 seeds, the 95% interval of a two-level model (seeds, and
// the episodes they share), e_i the mean of episode i over seeds:
//
//	se^2 = var_s(acc_s)/k + var_i(e_i)/n,   mean ± t_{0.975,k-1} se
//
// clipped to [0, 1] and marked when clipped. One seed gives no interval over
// runs, only the interval over that model's episodes
// (SeedSummary.Conditional: Wilson for 0/1 outcomes, else a percentile
// bootstrap of BootstrapResamples draws from BootstrapSeed).
//
// ContrastSeeds compares B with A over the seeds both ran, on the per-seed
// differences D_s = (1/n) sum_i (b_{s,i} - a_{s,i}):
//
//	t = mean(D) / (sd(D)/sqrt(k)),   df = k - 1     (paired t over seeds)
//	p_flip = #{e in {-1,1}^k : |sum e_s D_s| >= |sum D_s|} / 2^k >= 2^(1-k)
//	P(B > A) = share of seed pairs (i of B, j of A) with acc_i > acc_j
//
// The sign-flip floor is 0.25 at 3 seeds and 0.0625 at 5: a two-sided test
// at 0.05 needs 6 seeds. Holm adjusts the t p-values of one family (the rows
// of a table against its reference, the contrasts of a figure, the rows of a
// night). TestRegression is the nightly test: the seed means of candidate
// and baseline as independent samples, pooled-variance t with
// df = k_c + k_b - 2, one-sided H0 diff >= -margin, p = T_df((diff +
// margin)/se). Power
// gives the difference k seeds detect, (t_{1-alpha/2} + t_{0.8}) se. Wilson
// is the score interval of a proportion (per-image outcomes; a final
// network's error rate p̂ = e/n in a final-network table),
//
//	(p̂ + z²/2n ± z sqrt(p̂(1−p̂)/n + z²/4n²)) / (1 + z²/n),   z = 1.96 at 95%,
//
// McNemar the exact test of two trained classifiers on the same images, a
// diagnostic within one seed.
//
// # Episode-level comparison of two trained networks
//
// Compare and ComparePaired test two records episode by episode; metabench
// compare uses them, and suite tables show them for a contrast with one seed
// in common. The test is conditional on the two trained networks: it says
// whether they differ on these episodes (an evaluation change on one
// checkpoint, two checkpoints of one run), not whether two methods or two
// versions of the code train better networks, which needs several seeds per
// side (above). Evaluation episodes are fixed by their seed, so episode i of
// a baseline run and episode i of a candidate run hold the same support and
// query images, and pairing them removes the variance between episodes. With
// d_i = c_i - b_i (candidate minus baseline) over n episodes:
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
// check must not fail on noise, nor on a real but negligible drop.
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
// An adaptation run (experiment.Adapt) is shown by AdaptTables: its Markdown
// tables and WriteAdaptFigures' Figure 4 (EpochCurvesPlot, which suites
// draw too) and Figure 3, the PCA of the adapted shared weights (or the two
// α matrices) after each epoch of every dataset: those are the rows of X,
// and PCA2 centres them and projects on the two leading right singular
// vectors of the centred matrix (gonum/stat PC):
//
//	X̃ = X − 1μᵀ = U S Vᵀ,   scores = X̃ V[:, :2],   explained_k = s_k² / Σ_j s_j².
//
// ReadRecordSet reads a folder of record files (and saved cross-validation
// summaries), and WriteResultsPage renders it as one Markdown page that is a
// function of the records alone: docs/RESULTS.md is generated that way.
//
// # Reference numbers
//
// References holds the published accuracies (Finn et al. 2017, Nichol et
// al. 2018, BASE, T-NAS and the baselines' papers) keyed by method, dataset,
// ways and shots, so every table row can show the paper's number beside the
// run's; docs/TARGETS.md gives the protocols behind them.
package reports
