// Package experiment runs metabench's experiments as a library: a Go program,
// a job or a test calls one entry point and gets the run's reports.Record.
//
//	Train(ctx, *config.Config, Options)        meta-training (MAML, first-order MAML, Reptile, ...) and the test (none for a tuning run, eval.episodes 0)
//	Eval(ctx, EvalConfig, Options)             a trained run on fixed test episodes
//	Search(ctx, *config.SearchFile, Options)   a BASE / DARTS architecture search and its genotype
//	Metatrain(ctx, *config.MetatrainFile, ...) the multi-task meta-network over 10-class task streams
//	Adapt(ctx, *config.AdaptFile, Options)     its adaptation to unseen datasets and their final networks
//
// Each kind of run is one Kind value of one registry (Kinds, LookupKind):
// its name, its loader (Kind.Load), its run function (Kind.Run) and its
// checkpoint; suites and the command line read it instead of listing the
// kinds.
//
// Every kind with a checkpoint (train, search, metatrain) runs through one
// helper (resumable.go) and one loop (loop.go): it stops after the file's
// iterations or its training budget, whichever comes first; it writes a
// checkpoint (one envelope and one payload for every kind,
// internal/checkpoint: kind, version, iterations, training seconds, done,
// then the named tensors, the optimisers' state, the curve and the kind's
// few own fields) atomically every checkpoint_every of wall clock, at the
// end, and when the context is cancelled (then the entry point returns
// ErrInterrupted); Options.Resume continues the checkpoint in Options.Out.
// The helper also owns the curve and the record's common fields; each kind
// keeps its data, model, step, state, outputs and record fields
// (trainRun, searchRun, metatrainRun).
// Every random draw of an iteration is a function of (seed, iteration,
// task), and the optimiser state is saved with the parameters, so a resumed
// run ends bit for bit where an uninterrupted one does.
//
// Nothing here prints: progress goes to Options.Progress (the command line
// fills it with a progress bar) and records to Options.Save (the command
// line and suites store them). A panic of the engine is returned as an
// error naming it an internal error, so one failing unit does not stop a
// suite.
package experiment
