// Package publish renders the nightly dashboard (`metabench publish`): a
// static site of every suite's accuracy over nights, built from records
// only, that a browser opens from disk.
//
// # What is computed
//
// A night is every record of one suite with one label, at the newest suite
// version that label holds (suite.Select); nights are ordered by the
// earliest Started of their records, ties by label. Each night's records
// are grouped into rows (unit, step, method) by suite.Rows, whose
// reports.SeedSummary gives the row's accuracy: each seed's mean over the
// shared test episodes, their mean, and the Student-t 95% interval over
// training runs with the episodes' variance (docs/STATISTICS.md). Rows that
// score nothing (a search step) are left out. A series is one row over the
// nights of its suite: one page.
//
// Every night after a suite's first is checked against the night before it
// by suite.Nightly with that night as the only baseline, as
// `metabench suite --baseline PREVIOUS` would check it: per seed, whether
// the per-episode results are the previous night's bit for bit
// (reports.Reproduction), and per row the one-sided pooled-variance t test
// of a drop larger than the margin, Holm-adjusted across the night's rows
// (reports.Regression). A night of another suite version than the one
// before is not checked (suite versions are not comparable), nor is a
// row the previous night lacks (Check.Problem). From a row's check:
//
//   - regression: Regression.Regressed;
//   - determinism break: a seed whose results are not identical to the
//     previous night's run of that seed while its configuration (every
//     top-level key, compared as JSON) and build (commit, Go version, OS,
//     architecture, CPU model, matrix-product path; not the host name) are
//     the same: nothing that should move numerics moved, yet they moved;
//   - changed: results not identical with one of those different (a new
//     commit, another runner): expected movement, named, not a break;
//   - reproduced: every run is one of the previous night's.
//
// # What the site shows
//
// index.html: per suite (sorted by name), its nights and, per series, the
// latest night's accuracy with its interval (reports.AccuracyCell), the
// per-seed values, the verdict of the latest night's check and a sparkline
// over the suite's nights with regressions (red) and breaks (orange); a
// table of the nights with commits and counts of regressions and breaks.
//
// One page per series: an inline SVG chart with one slot per night of the
// suite (x: date and label), the interval as a band, each record as a small
// dot (data-kind="seed"), each night's mean as a point (data-kind="point",
// a <title> with date, label, commit, accuracy, interval and verdict, and a
// link to the night's row), a red ring on a regression
// (data-kind="regression"), an orange triangle on a determinism break
// (data-kind="break") and a grey diamond on a change with the build
// (data-kind="changed"); a table of the nights, newest first, with the
// check in full and the run ids and commits of the records; and the
// protocol, dataset, build and configuration of the latest run. Charts are
// drawn from plain chart data (chartSpec), and a page is a list of panels.
//
// # Speed
//
// Options.Perf are the saved `metabench perf --save` runs. They are grouped
// by machine kind (reports.PerfRun.Machine: CPU model and cores in use;
// speed is never compared across machines), one series per workload: the
// index gets a Speed section per machine kind (each workload's latest
// median, its check and a sparkline) and each series a page (speedpage):
// each run's median with the range of its repetitions as the band and
// every repetition as a dot, a red ring on a slowdown and a grey diamond
// on a speedup. Each run is checked against the earlier runs of its series
// by reports.CheckSpeed (a change beyond 3 noise SDs and 3%, the noise
// measured on that machine: the robust spread of the earlier runs' log
// medians with the standard error of this run's own), and a run at the
// level of a flagged run just before it persists rather than being
// flagged again (SpeedCheck.Continue). A site may hold speed alone.
//
// # Properties
//
// Site is a pure function of its records and options: iteration is sorted
// everywhere, the input is put in a fixed order first (Started, then run
// id), coordinates are printed with one decimal and nothing records when
// the site was generated, so the same store gives the same bytes. Pages
// hold no script and load nothing: the style sheet and the charts are
// inline, and every link is to a page of the site or an anchor. Every
// text from a record (labels, ids, commits, configuration) is escaped.
// Write puts the files into a temporary folder beside the destination and
// renames it into place; it replaces an existing folder only when that is
// empty or holds MarkerFile, the mark of a site written before.
package publish
