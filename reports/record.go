package reports

import "time"

// SchemaVersion is the version of the Record layout. Bump it, and extend
// Upgrade (upgrade.go), whenever a field changes meaning: every reader
// (UnmarshalRecord, the store) upgrades older records as it loads them, and
// every writer writes this version.
//
// Version 2 (docs/DECISIONS.md R25) typed what version 1 kept in Extra: the
// suite identity (Suite), the training seconds (TrainSec), the adapt target
// and architecture (Target), and the code's identity (Env.Module,
// Env.Commit, Env.Modified).
const SchemaVersion = 2

// Record is everything one run leaves behind. Tables, comparisons and plots
// are computed from records, never from logs.
type Record struct {
	Schema int    `json:"schema"`
	RunID  string `json:"run_id"` // unique: kind-method-timestamp-random
	// Kind is the command that left the record: "train" (meta-training and
	// its test), "eval" (a checkpoint on fixed test episodes), "search" (an
	// architecture search), "metatrain" (multi-task meta-training of a
	// search network) or "adapt" (one adaptation, or one final network, of
	// metabench adapt).
	Kind    string    `json:"kind"`
	Label   string    `json:"label,omitempty"` // user label (--label)
	Suite   *SuiteID  `json:"suite,omitempty"` // the suite step that ran it; nil outside suites
	Method  string    `json:"method"`          // "maml", "fomaml", "reptile", "base-gumbel", ...
	Model   string    `json:"model"`           // "conv4", "genotype:darts-v2", ...
	Started time.Time `json:"started"`

	Config  map[string]any `json:"config"` // the experiment file after --set overrides
	Seed    int64          `json:"seed"`   // the run's master seed
	Dataset Dataset        `json:"dataset"`
	Proto   Protocol       `json:"protocol"`
	Target  *Target        `json:"target,omitempty"` // adapt records: what was trained on which target

	// Episodes are the outcomes the summary is computed from, in index
	// order: per test episode, its query accuracy (train and eval records);
	// per test image, 1 when classified correctly after the last epoch, else
	// 0 (adaptations: the runs of one seed score the same images, so they
	// pair image by image); none for search, metatrain and final-network
	// records.
	Episodes []float64 `json:"episodes,omitempty"`
	Summary  Summary   `json:"summary"`
	Curve    []Point   `json:"curve,omitempty"`      // accuracy versus iteration and wall-clock time
	Adapt    []Point   `json:"adaptation,omitempty"` // accuracy versus inner steps or epochs (Step field)

	Params  int     `json:"params"`   // learnable parameter count
	WallSec float64 `json:"wall_sec"` // wall-clock seconds of the whole run
	// TrainSec is the training wall clock: the training, search or
	// adaptation loop alone, without validation, checkpoints, derivation or
	// the test (0: not measured apart; TrainSeconds then falls back to
	// WallSec). Schema 1 kept it as extra train_sec, search_sec or adapt_sec.
	TrainSec float64 `json:"train_sec,omitempty"`
	CPUSec   float64 `json:"cpu_sec"`    // user+system CPU seconds of the run
	Iters    int     `json:"iterations"` // meta-iterations done

	Extra map[string]any `json:"extra,omitempty"` // method-specific outputs (genotype, convergence, choices...)
	Env   Env            `json:"env"`
}

// ExtraCPUPartial is the Extra key of a record whose CPUSec covers only the
// sittings since its run resumed from a checkpoint that kept no CPU time
// (written before checkpoints kept it; docs/DECISIONS.md R33).
const ExtraCPUPartial = "cpu_sec_partial"

// CPUPartial says whether r's CPU time misses earlier sittings
// (ExtraCPUPartial).
func (r *Record) CPUPartial() bool {
	_, ok := r.Extra[ExtraCPUPartial]
	return ok
}

// ExtraNoTest is the Extra key of a train record that ran no test
// evaluation: a tuning run (eval.episodes 0), whose settings are chosen on
// validation episodes only, so that no test accuracy exists to peek at
// (docs/DECISIONS.md R36). Such a record has no Episodes, its
// Proto.EvalEpisode is 0, its Dataset is the validation data, and its
// Summary is its last validation point (mean and 95% CI over the
// validation episodes, N their count); the value is NoTestNote. Reports
// that rank or compare test accuracies leave it out (NoTest).
const ExtraNoTest = "test"

// NoTestNote is the value of ExtraNoTest.
const NoTestNote = "none (eval.episodes 0: a tuning run; the summary is the last validation point, on validation episodes)"

// NoTest says whether r ran no test evaluation (ExtraNoTest): its summary
// is a validation accuracy, never to be read as a test accuracy.
func (r *Record) NoTest() bool {
	_, ok := r.Extra[ExtraNoTest]
	return ok
}

// TrainSeconds is the record's training wall clock: TrainSec, or WallSec
// when the run did not measure its training apart.
func (r *Record) TrainSeconds() float64 {
	if r.TrainSec > 0 {
		return r.TrainSec
	}
	return r.WallSec
}

// SuiteID names the step of a suite run that left a record. With the
// record's Label (a suite's runs under another label are other runs) it is
// the key by which a resumed suite finds what it already ran and by which
// the suite's table groups records into rows.
type SuiteID struct {
	Name    string `json:"name"`    // the suite's name
	Version int    `json:"version"` // the suite file's version
	Unit    string `json:"unit"`    // the unit's id
	Seed    int64  `json:"seed"`    // the job's seed
	Step    string `json:"step"`    // "run", "final" or "eval:ID"
}

// Target is what an adapt record trained and scored on the target data.
type Target struct {
	Name string `json:"name"`           // the target dataset, e.g. "mnist"
	Arch string `json:"arch,omitempty"` // adaptations: ArchAdapted, ArchFrozen or ArchScratch; "" for final networks
	Row  string `json:"row,omitempty"`  // final networks: the row of the final-network table, e.g. "multi-task prior"
}

// How an adaptation trained the architecture (Target.Arch).
const (
	ArchAdapted = "adapted" // the prior's architecture weights adapted with its network weights
	ArchFrozen  = "frozen"  // the prior's architecture weights held fixed
	ArchScratch = "scratch" // the DARTS super-network trained from scratch, no prior
)

// Dataset identifies the data a run used.
type Dataset struct {
	Path    string `json:"path"`
	Format  string `json:"format"`
	SHA256  string `json:"sha256"` // checksum of the file (or of the sorted file list for a folder)
	Split   string `json:"split"`  // e.g. "omniglot-alphabets:seed=0:test"
	Classes int    `json:"classes"`
	Image   string `json:"image"` // channels x height x width, e.g. "1x28x28"
}

// Protocol is what makes two accuracies comparable.
type Protocol struct {
	Ways          int     `json:"ways"`                 // at validation and test
	TrainWays     int     `json:"train_ways,omitempty"` // at meta-training, when it differs from Ways (ProtoNets trains 60-way)
	Shots         int     `json:"shots"`
	Queries       int     `json:"queries"`
	StepsTrain    int     `json:"steps_train"`
	StepsTest     int     `json:"steps_test"`
	InnerLR       float64 `json:"inner_lr"`
	BNMode        string  `json:"bn_mode"` // "transductive" (batch statistics at train and test)
	EvalEpisode   int     `json:"eval_episodes"`
	EvalSeed      int64   `json:"eval_seed"`
	Rotations     bool    `json:"rotations"`                // rotated copies as extra classes at meta-training
	EvalRotations bool    `json:"eval_rotations,omitempty"` // ... and among the validation and test classes (Vinyals et al. 2016)
}

// Summary is a mean with its 95% confidence interval half-width,
// CI95 = 1.96 * std / sqrt(n) with the sample standard deviation.
type Summary struct {
	Mean float64 `json:"mean"`
	CI95 float64 `json:"ci95"`
	N    int     `json:"n"`
}

// Point is one point of a learning or adaptation curve.
type Point struct {
	Iter     int     `json:"iter,omitempty"`
	Step     int     `json:"step,omitempty"`
	WallSec  float64 `json:"wall_sec,omitempty"`
	Accuracy float64 `json:"accuracy"`
	CI95     float64 `json:"ci95,omitempty"`
	Loss     float64 `json:"loss,omitempty"`
	// Validation marks a validation point in a curve whose other points
	// are training statistics: a metatrain record's points from its
	// eval.val_tasks, among the query accuracies of its training tasks
	// (ValidationCurve).
	Validation bool `json:"validation,omitempty"`
}

// statsCurve says whether a kind's curve points are training statistics
// unless marked Validation: the query accuracy of the training tasks
// themselves (search, metatrain), never a validation.
func statsCurve(kind string) bool { return kind == "search" || kind == "metatrain" }

// ValidationCurve is the record's validation curve: the points marked
// Validation, and every point of a curve of another kind than search and
// metatrain (a train record's points are all validation points and carry
// no mark; the unmarked points of search and metatrain curves are
// training statistics, records written before the mark included).
func (r *Record) ValidationCurve() []Point {
	var out []Point
	for _, p := range r.Curve {
		if p.Validation || !statsCurve(r.Kind) {
			out = append(out, p)
		}
	}
	return out
}

// Env is the provenance of the code and the machine. Module, Commit and
// Modified are the binary's build information (NewEnv): `go build` in a git
// checkout stamps them, while `go run`, test binaries and builds with
// -buildvcs=false or without the .git folder leave them empty.
type Env struct {
	Module    string `json:"module,omitempty"`   // the main module's version: a tag, a pseudo-version "v0.0.0-TIME-COMMIT[+dirty]" or "(devel)"
	Commit    string `json:"commit"`             // vcs.revision: the commit the binary was built from
	Modified  bool   `json:"modified,omitempty"` // vcs.modified: the tree held uncommitted changes
	GoVersion string `json:"go_version"`
	GOOS      string `json:"goos"`
	GOARCH    string `json:"goarch"`
	CPUs      int    `json:"cpus"`
	Host      string `json:"host"`
	CPUModel  string `json:"cpu_model"`
	GemmPath  string `json:"gemm_path"`
}

// Revision is the commit with " (modified)" when the tree held uncommitted
// changes, or "" when the commit is unknown.
func (e Env) Revision() string {
	switch {
	case e.Commit == "":
		return ""
	case e.Modified:
		return e.Commit + " (modified)"
	}
	return e.Commit
}
