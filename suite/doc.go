// Package suite runs suites of experiments: a suite file
// (benchmarks/suites/*.yaml) is a name, a version and a list of units, each
// an experiment file with overrides, its seeds and optional evaluation
// protocols. A job is one unit with one seed; each of its steps (the run,
// a search's final network, each evaluation) leaves one record labelled
// with the suite, its version, the unit, the seed and the step.
//
// Sharding: a job belongs to a group (an adapt unit's job joins its prior's
// group), and group g runs on shard g mod n, so shards 0..n-1 of one suite
// file run every job exactly once whatever machine runs them, and the
// records of n shards are exactly those of one shard (training is a pure
// function of the seeds when the budget is in iterations).
//
// Resumption: before running, a shard reads which of its records the store
// holds; a job whose records are all there is skipped, a run folder with a
// checkpoint is resumed, and a folder with a finished run whose record is
// missing from the store gives that record.
//
// Reports: Rows groups a suite's records by unit and step; the accuracy of
// a row is the mean over seeds with the Student-t 95% interval over seeds,
// t(0.975, s-1) * sd/sqrt(s). A nightly comparison (ComparePairs) pairs
// the per-episode accuracies of each seed both runs share, concatenated
// over seeds, and applies reports.ComparePaired: a paired t-test on the
// episode differences, a regression being a significant drop larger than
// the margin.
package suite
