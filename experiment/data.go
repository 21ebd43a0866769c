package experiment

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"syscall"

	"github.com/metabench/metabench/config"
	"github.com/metabench/metabench/datasets"
	"github.com/metabench/metabench/episodes"
	"github.com/metabench/metabench/nn"
	"github.com/metabench/metabench/reports"
)

// expData is the data of an experiment: the training source and classes,
// and the validation and test sources and classes.
type expData struct {
	train                   episodes.Source
	trainClasses            []int
	val, test               episodes.Source
	valClasses, testClasses []int
	// curveOnTest: the validation curve runs on test classes
	// (data.train_on_val), recorded as such.
	curveOnTest bool
	ds          *datasets.Dataset // the training dataset
	testDS      *datasets.Dataset // nil when a tuning run leaves data.test_path unopened
	valDS       *datasets.Dataset // the validation classes' dataset (nil without validation)
	split       string            // description of the class split
	C, H        int
}

func openData(path, subset string, size int, field string) (*datasets.Dataset, error) {
	ds, err := datasets.Open(path, datasets.Options{Size: size, Subset: subset})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", field, err)
	}
	return ds, nil
}

// openExperimentData opens the sources of cfg and splits the classes.
func openExperimentData(cfg *config.Config) (*expData, error) {
	d := cfg.Data
	ds, err := openPooled(d)
	if err != nil {
		return nil, err
	}
	c, h, w := ds.ImageShape()
	if h != w {
		return nil, fmt.Errorf("data.path: %s has %dx%d images; conv4 needs square images (set data.image_size)", d.Path, h, w)
	}
	e := &expData{ds: ds, C: c, H: h}
	valFrac, testFrac := d.ValFraction, d.TestFraction
	if d.ValPath != "" {
		valFrac = 0
	}
	if d.TestPath != "" {
		testFrac = 0
	}
	sp, split, err := splitClasses(ds, d, valFrac, testFrac)
	e.split = split
	if err != nil {
		field := "data"
		if d.Fold > 0 {
			field = "data.fold"
		}
		return nil, fmt.Errorf("%s: splitting %s: %w", field, d.Path, err)
	}
	if d.TrainOnVal {
		sp.Train = append(slices.Clone(sp.Train), sp.Val...)
		slices.Sort(sp.Train)
		e.split += ",train+val"
	}
	e.train, e.trainClasses = ds, sp.Train
	if d.Rotations {
		rot, err := episodes.NewRotated(ds)
		if err != nil {
			return nil, fmt.Errorf("data.rotations: %w", err)
		}
		e.train, e.trainClasses = rot, episodes.RotatedClasses(sp.Train)
	}
	rotated, err := e.setTest(d, sp, cfg.Eval.Episodes > 0)
	if err != nil {
		return nil, err
	}
	if err := e.setVal(cfg, sp, rotated); err != nil {
		return nil, err
	}
	if e.testDS == nil {
		return e, nil
	}
	if _, tc, _ := e.testDS.ImageShape(); e.testDS != ds && tc != h {
		return nil, fmt.Errorf("data.test_path: images are %d pixels, training images %d", tc, h)
	}
	if tc, _, _ := e.testDS.ImageShape(); tc != c {
		return nil, fmt.Errorf("data.test_path: images have %d channels, training images %d", tc, c)
	}
	return e, nil
}

// openPooled opens data.path, with data.pool_path's classes added when set.
func openPooled(d config.Data) (*datasets.Dataset, error) {
	ds, err := openData(d.Path, d.Subset, d.ImageSize, "data.path")
	if err != nil || d.PoolPath == "" {
		return ds, err
	}
	_, ph, _ := ds.ImageShape()
	pds, err := openData(d.PoolPath, "", ph, "data.pool_path")
	if err != nil {
		return nil, err
	}
	if ds, err = datasets.Concat(ds, pds); err != nil {
		return nil, fmt.Errorf("data.pool_path: %w", err)
	}
	return ds, nil
}

// setTest sets the test source and classes: the split's test classes
// (rotated copies as classes of their own with data.eval_rotations, whose
// source it returns), or every class of data.test_path. A run that tests
// nothing (!testing: eval.episodes 0) leaves data.test_path unopened (its
// test source nil).
func (e *expData) setTest(d config.Data, sp episodes.Split, testing bool) (rotated episodes.Source, err error) {
	e.test, e.testClasses, e.testDS = e.ds, sp.Test, e.ds
	if d.EvalRotations {
		if rotated, err = episodes.NewRotated(e.ds); err != nil {
			return nil, fmt.Errorf("data.eval_rotations: %w", err)
		}
		e.test, e.testClasses = rotated, episodes.RotatedClasses(sp.Test)
		e.split += ",eval-rotations"
	}
	if d.TestPath != "" && !testing {
		e.test, e.testClasses, e.testDS = nil, nil, nil
		e.split += ";test=" + d.TestPath + " (not opened)"
		return rotated, nil
	}
	if d.TestPath != "" {
		tds, err := openData(d.TestPath, d.TestSubset, e.H, "data.test_path")
		if err != nil {
			return nil, err
		}
		e.test, e.testClasses, e.testDS = tds, nil, tds
		e.split += ";test=" + d.TestPath
	}
	return rotated, nil
}

// setVal sets the validation source and classes when eval.val_episodes asks
// for a curve: the test classes with data.train_on_val (the validation
// groups train), else the split's validation classes (rotated as the test
// classes are) or every class of data.val_path.
func (e *expData) setVal(cfg *config.Config, sp episodes.Split, rotated episodes.Source) error {
	d := cfg.Data
	switch {
	case cfg.Eval.ValEpisodes <= 0:
		return nil
	case d.TrainOnVal:
		// its own episode set; no selection is made on it
		e.val, e.valClasses, e.valDS, e.curveOnTest = e.test, e.testClasses, e.testDS, true
		return nil
	case d.ValPath != "":
		vds, err := openData(d.ValPath, d.ValSubset, e.H, "data.val_path")
		if err != nil {
			return err
		}
		e.val, e.valClasses, e.valDS = vds, nil, vds
		return nil
	case len(sp.Val) == 0: // nil classes would mean all of them, test classes included
		return errors.New("eval.val_episodes: validation needs held-out classes: set data.val_fraction above 0, data.val_path, or eval.val_episodes: 0")
	case rotated != nil:
		e.val, e.valClasses, e.valDS = rotated, episodes.RotatedClasses(sp.Val), e.ds
	default:
		e.val, e.valClasses, e.valDS = e.ds, sp.Val, e.ds
	}
	return nil
}

// splitClasses splits the classes of ds: data.val_classes and
// data.test_classes held back by class when set, else the fractions (by
// group where ds has groups, episodes.SplitAuto).
func splitClasses(ds *datasets.Dataset, d config.Data, valFrac, testFrac float64) (episodes.Split, string, error) {
	if d.ValClasses+d.TestClasses == 0 {
		return episodes.SplitAuto(ds.ClassGroups, ds.NumClasses(), valFrac, testFrac, uint64(d.SplitSeed), d.Fold)
	}
	n := ds.NumClasses()
	desc := fmt.Sprintf("classes:val=%d,test=%d,seed=%d", d.ValClasses, d.TestClasses, d.SplitSeed)
	if d.Fold > 0 {
		desc += fmt.Sprintf(",fold=%d", d.Fold)
	}
	if d.ValClasses+d.TestClasses >= n {
		return episodes.Split{}, desc, fmt.Errorf("data.val_classes + data.test_classes = %d leave no training classes of %d", d.ValClasses+d.TestClasses, n)
	}
	sp, err := episodes.SplitByCountFold(n, n-d.ValClasses-d.TestClasses, d.ValClasses, d.TestClasses, uint64(d.SplitSeed), d.Fold)
	return sp, desc, err
}

// samplers returns the training, validation (nil when off) and test
// samplers of an experiment; a tuning run (eval.episodes 0) has no test
// sampler (nil): its test classes are never sampled.
func (e *expData) samplers(cfg *config.Config) (train, val, test *episodes.Sampler, err error) {
	train, err = episodes.NewSampler(e.train, e.trainClasses, episodes.Spec{Ways: cfg.Ways, Shots: cfg.Shots, Queries: cfg.Queries}, uint64(cfg.Seed))
	if err != nil {
		return nil, nil, nil, fmt.Errorf("ways/shots/queries: training classes: %w", err)
	}
	evalSpec := episodes.Spec{Ways: cfg.EvalWays(), Shots: cfg.EvalShots(), Queries: cfg.Eval.Queries}
	if cfg.Eval.Episodes > 0 {
		test, err = episodes.EvalSet{Seed: uint64(cfg.Eval.Seed), Count: cfg.Eval.Episodes}.Sampler(e.test, e.testClasses, evalSpec)
		if err != nil {
			return nil, nil, nil, fmt.Errorf("ways/eval.shots (or shots)/eval.queries: test classes: %w", err)
		}
	}
	if e.val != nil {
		val, err = episodes.EvalSet{Seed: uint64(cfg.Eval.Seed) + 1, Count: cfg.Eval.ValEpisodes}.Sampler(e.val, e.valClasses, evalSpec)
		if err != nil {
			return nil, nil, nil, fmt.Errorf("ways/eval.shots (or shots)/eval.queries: validation classes: %w", err)
		}
	}
	return train, val, test, nil
}

// fewShot fills the parts of a record common to train and eval: the test
// data, the protocol, the test episodes' accuracies and their summary, and
// the parameter count.
func fewShot(rec *reports.Record, cfg *config.Config, model nn.Model[float32], data *expData, accs []float64) {
	testClasses := len(data.testClasses)
	if data.testClasses == nil {
		testClasses = data.testDS.NumClasses()
	}
	rec.Dataset = datasetOf(data.testDS, data.split+":test", testClasses)
	rec.Proto = protocolOf(cfg, len(accs))
	rec.Episodes, rec.Summary, rec.Params = accs, reports.Summarize(accs), model.ParamCount()
}

// protocolOf is the record's protocol of cfg with n test episodes.
func protocolOf(cfg *config.Config, n int) reports.Protocol {
	return reports.Protocol{
		Ways: cfg.EvalWays(), TrainWays: trainWays(cfg), Shots: cfg.EvalShots(), Queries: cfg.Eval.Queries,
		StepsTrain: cfg.InnerSteps, StepsTest: cfg.TestSteps, InnerLR: cfg.InnerLR,
		BNMode: "transductive", EvalEpisode: n, EvalSeed: cfg.Eval.Seed, Rotations: cfg.Data.Rotations,
		EvalRotations: cfg.Data.EvalRotations,
	}
}

// validationOnly fills the parts of a record of a tuning run that ran no
// test evaluation (eval.episodes 0, docs/DECISIONS.md R36), as fewShot
// does for a tested one: the validation data, the protocol with no test
// episodes, no episodes, and as summary last, the last validation point
// (mean and 95% CI over the eval.val_episodes validation episodes); the
// caller marks the record reports.ExtraNoTest.
func validationOnly(rec *reports.Record, cfg *config.Config, model nn.Model[float32], data *expData, last reports.Summary) {
	n := len(data.valClasses)
	if data.valClasses == nil {
		n = data.valDS.NumClasses()
	}
	rec.Dataset = datasetOf(data.valDS, data.split+":val", n)
	rec.Proto = protocolOf(cfg, 0)
	rec.Episodes, rec.Summary, rec.Params = nil, last, model.ParamCount()
}

// trainWays is the protocol's training ways when they differ from the test
// ways (0 otherwise, left out of the record).
func trainWays(cfg *config.Config) int {
	if cfg.Ways != cfg.EvalWays() {
		return cfg.Ways
	}
	return 0
}

// datasetOf describes a dataset for a record. Format is the dataset family
// ("omniglot", "miniimagenet", ...) so that published references match.
func datasetOf(ds *datasets.Dataset, split string, classes int) reports.Dataset {
	format := ds.Format
	for _, fam := range []string{"omniglot", "miniimagenet"} {
		if strings.HasPrefix(strings.ReplaceAll(strings.ToLower(format), "-", ""), fam) {
			format = fam
		}
	}
	if format == "" && strings.Contains(ds.Path, "embedded") {
		format = "omniglot"
	}
	c, h, w := ds.ImageShape()
	return reports.Dataset{Path: ds.Path, Format: format, SHA256: fileSHA256(ds.Path), Split: split,
		Classes: classes, Image: fmt.Sprintf("%dx%dx%d", c, h, w)}
}

// embeddedSHA256 is the checksum of the embedded Omniglot npz
// (datasets/defaultdata/PROVENANCE.md).
const embeddedSHA256 = "8bf84167413cd00beacdce3fe582f780ab538d8dbef043a6d688f2527bbce199"

// fileSHA256 returns the checksum of a regular file, of the embedded data,
// or "" for folders and unreadable paths.
func fileSHA256(path string) string {
	if a, b, ok := strings.Cut(path, "+"); ok && !exists(path) {
		return fileSHA256(a) + "+" + fileSHA256(b) // pooled sources (datasets.Concat)
	}
	if path == datasets.DefaultPath || strings.HasPrefix(path, "embedded") || path == "default" {
		return embeddedSHA256
	}
	if i := strings.Index(path, ":"); i > 0 {
		if _, err := os.Stat(path); err != nil {
			path = path[i+1:]
		}
	}
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	if st, err := f.Stat(); err != nil || st.IsDir() {
		return ""
	}
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return ""
	}
	return hex.EncodeToString(h.Sum(nil))
}

// cpuSeconds is the user+system CPU time of this process.
func cpuSeconds() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	tv := func(t syscall.Timeval) float64 { return float64(t.Sec) + float64(t.Usec)/1e6 }
	return tv(ru.Utime) + tv(ru.Stime)
}

// exists reports whether path names a file or folder.
func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}
