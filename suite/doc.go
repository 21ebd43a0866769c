// Package suite runs suites of experiments: a suite file
// (benchmarks/suites/*.yaml) is a name, a version and a list of units, each
// an experiment file with overrides, its seeds and optional evaluation
// protocols (a train unit `from` a search unit runs, instead of a file, the
// experiment that search wrote for the same seed: its derived network). A
// job is one unit with one seed; each of its steps (the run, a search's
// final network, each evaluation) leaves one record labelled with the
// suite, its version, the unit, the seed and the step.
//
// An adapt unit adapts its prior unit's run with the same seed, or, with
// prior_seed, the run of that one seed for all its seeds (one prior
// meta-trained once, to a plateau, adapted with several seeds; the seeds
// then measure the adaptation's variation, not the prior's).
//
// Sharding: a job belongs to a group (an adapt unit's job joins the group of
// the prior's run it adapts, a from-unit's its search's), and group g runs on shard g mod n, so shards 0..n-1 of one suite
// file run every job exactly once whatever machine runs them, and the
// records of n shards are exactly those of one shard (training is a pure
// function of the seeds when the budget is in iterations). A shard is
// written "i/n" (ParseShard), or comes from a Kubernetes Indexed Job's
// $JOB_COMPLETION_INDEX of $METABENCH_SHARDS (EnvShard).
//
// Resumption: before running, a shard reads which of its records the store
// holds; a job whose records are all there is skipped, a run folder with a
// checkpoint is resumed, and a folder with a finished run whose record is
// missing from the store gives that record.
//
// Plans: Plan says what an invocation would do, running nothing (metabench
// suite --plan): per step of the jobs Run would run with the same options
// (shard, units, seeds, in Run's order) whether it is done (its record,
// identified as Run identifies it, with the label, is in a Source: a
// store, StoreSource, or a records folder, RecordsSource), in progress
// (its run folder holds a checkpoint: the iterations done, read from the
// header, experiment.ReadCheckpointStatus, of the run's total) or to run,
// with what it still costs, estimated from the CPU and wall seconds of the
// records of the same suite version, unit and step (other seeds, any
// label); SuitePlan.Totals sums them and SuitePlan.Table prints them.
//
// Reports: Rows groups a suite's records by unit and step, with the training
// run (seed) as the unit of replication: a row's Accuracy is a
// reports.SeedSummary, each seed's mean over the shared test episodes, their
// mean and the Student-t 95% interval over seeds with the shared episodes'
// variance, clipped to [0, 1] (one seed: no
// interval over runs, only the interval over that model's episodes). Against
// contrasts every row with the reference unit's row on the same episodes over
// the seeds both ran (reports.ContrastSeeds: per-seed differences, paired t
// over seeds, exact sign-flip p, P(row > reference)), Holm-adjusted across
// the table's rows; with one seed in common it gives only the episode-level
// test of those two trained networks. Powers says what a row's seeds can
// detect. Contrasts does the same for the adaptation curves, one Holm family
// per figure, with per-seed McNemar tests as a diagnostic within each seed.
// A tuning unit (eval.episodes 0, docs/DECISIONS.md R36) runs no test: its
// seeds are left out of a row's Accuracy and contrasts, and its table row
// shows each seed's last validation point as such (ValidationCell); Load
// refuses it evals, a reproduction suite and the reference's role.
// Records reads one run (a label) of a suite from a store, SelectLatest
// picks the latest run among records, and Baselines reads the rows of the
// baseline labels of a nightly check, refusing (BaselineError) a label
// with no run of the suite or one of another version.
// Nightly checks each row of a run against one or more baseline labels: (a)
// reproduction, whether each seed gave the first label's per-episode results
// bit for bit; (b) regression, a one-sided pooled-variance t test of the
// candidate's seed means against the baselines' (pooled over the labels, a
// run held twice counted once), Holm-adjusted across the night's rows, a
// regression being a drop significantly larger than the margin.
// reports.NightlyVerdict turns the checks into the exit status 0, 1 or 2
// and reports.NightlyMarkdown prints them. The statistics are in
// docs/STATISTICS.md. The tables and figures of this package's results are
// reports.Table values and reports' plots.
package suite
