package reports

import "time"

// SchemaVersion is the version of the Record layout. Bump it, and add a
// migration in package store, whenever a field changes meaning.
const SchemaVersion = 1

// Record is everything one run (train, eval or search) leaves behind. Tables,
// comparisons and plots are computed from records, never from logs.
type Record struct {
	Schema  int       `json:"schema"`
	RunID   string    `json:"run_id"`          // unique: kind-method-timestamp-random
	Kind    string    `json:"kind"`            // "train", "eval" or "search"
	Label   string    `json:"label,omitempty"` // user label (--label)
	Method  string    `json:"method"`          // "maml", "fomaml", "reptile", "base-gumbel", ...
	Model   string    `json:"model"`           // "conv4", "genotype:darts-v2", ...
	Started time.Time `json:"started"`

	Config  map[string]any `json:"config"` // the experiment file after --set overrides
	Seed    int64          `json:"seed"`   // the run's master seed
	Dataset Dataset        `json:"dataset"`
	Proto   Protocol       `json:"protocol"`

	Episodes []float64 `json:"episodes,omitempty"` // per-episode query accuracy, in episode-index order
	Summary  Summary   `json:"summary"`
	Curve    []Point   `json:"curve,omitempty"`      // accuracy versus iteration and wall-clock time
	Adapt    []Point   `json:"adaptation,omitempty"` // accuracy versus inner steps (Step field)

	Params  int     `json:"params"`     // learnable parameter count
	WallSec float64 `json:"wall_sec"`   // wall-clock seconds of the run
	CPUSec  float64 `json:"cpu_sec"`    // user+system CPU seconds of the run
	Iters   int     `json:"iterations"` // meta-iterations done

	Extra map[string]any `json:"extra,omitempty"` // method-specific outputs (genotype, search cost...)
	Env   Env            `json:"env"`
}

// Dataset identifies the data a run used.
type Dataset struct {
	Path     string `json:"path"`
	Format   string `json:"format"`
	SHA256   string `json:"sha256"` // checksum of the file (or of the sorted file list for a folder)
	Split    string `json:"split"`  // e.g. "omniglot-alphabets:seed=0:test"
	Classes  int    `json:"classes"`
	ImageHxW string `json:"image"` // e.g. "1x28x28"
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
}

// Env is the provenance of the binary and the machine.
type Env struct {
	Commit    string `json:"commit"`
	GoVersion string `json:"go_version"`
	GOOS      string `json:"goos"`
	GOARCH    string `json:"goarch"`
	CPUs      int    `json:"cpus"`
	Host      string `json:"host"`
	CPUModel  string `json:"cpu_model"`
	GemmPath  string `json:"gemm_path"`
}
