// Package config reads metabench experiment files: strict, versioned YAML.
//
// An experiment file names the method, the data and its split, the episode
// protocol, the inner and outer optimisation settings, and when training
// stops. Decoding is strict: an unknown key, a value of the wrong type or a
// missing required field is an error that names the file, the line where
// there is one, and the field. Defaults (Default) are the standard MAML
// Omniglot 5-way protocol of docs/TARGETS.md; the files under benchmarks/
// spell every setting out.
//
// Training stops at whichever limit comes first:
//
//	stop = min( iterations meta-iterations , budget of training wall clock )
//
// (a zero limit is no limit; at least one must be set).
//
// A method with options of its own (maml.Def.Options) owns a block named
// after it, a top-level key like the others (reptile:, mamlpp:): decoded as
// strictly onto the method's defaults, set with "--set reptile.inner_batch=4",
// checked by the method's own Validate, and an error in a file of another
// method unless it keeps its defaults (Config.Blocks). The checks that
// depend on the method read the capabilities it declares (maml.Caps).
//
// Tuning runs: eval.episodes: 0 runs no test evaluation. Such a run
// chooses settings on validation episodes only, so that no test accuracy
// exists to peek at; it needs eval.val_episodes above 0, and its record's
// summary is its last validation point, marked as such
// (reports.ExtraNoTest, docs/DECISIONS.md R36).
//
// Overrides: Set applies "key=value" strings (the --set flag) to a decoded
// Config. The key is the dotted YAML path (for example "eval.episodes" or
// "data.path"), and the value is decoded as YAML into the field's type, so
// "--set budget=30m", "--set data.rotations=false" and "--set inner_lr=0.1"
// all work and a bad value is rejected with the key in the message.
package config
