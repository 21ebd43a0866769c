package cli

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/metabench/metabench/datasets"
	"github.com/metabench/metabench/episodes"
)

const episodesUsage = `usage: metabench episodes [flags]

Samples N-way K-shot episodes and prints one per line. With --format json
each line is {"index":i,"classes":[...],"support":[...],"query":[...]}:
classes[k] is the dataset class behind episode label k, and support/query
list dataset image indices class by class in label order (support[k*K+s] and
query[k*Q+q] have label k). Episode i depends only on (--seed, i).

Rotations (--rotations, default true for Omniglot, false otherwise) turn
each class c into 4 classes 4*c+r and each image i into 4 images 4*i+r,
r = 0..3 being a counter-clockwise rotation by r*90 degrees; classes and
indices printed are then these virtual numbers (base class = v/4, base
image = v/4, rotation = v%4).

Splits: --split train|val|test|all picks classes; Omniglot (or any source with
class groups) is split by whole groups (alphabets), other sources by class,
with --val-frac/--test-frac and --split-seed; --fold K picks fold K of a
k-fold split (the test sets of folds 0, 1, ... cover every group in turn,
as data.fold of an experiment file). --split-file reads a JSON/YAML
file {train: [...], val: [...], test: [...]} of class names (--split picks
one list; classes in no list go to train when train is not given), or a
plain-text file with one class name per line ('#' comments), which is then
the whole class set sampled from, whatever --split says. Class names are
those of "metabench datasets info" (Omniglot: Alphabet/characterNN).

flags:
`

func cmdEpisodes(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("episodes", flag.ContinueOnError)
	ef := addEpisodesFlags(fs)
	export := addExportFlags(fs)
	usage := func() string {
		var b strings.Builder
		b.WriteString(episodesUsage + exportUsage)
		fs.SetOutput(&b)
		fs.PrintDefaults()
		return b.String()
	}
	pos, err := parseArgs(fs, args)
	if err != nil {
		return misuse(stderr, "episodes", usage(), err)
	}
	if len(pos) > 0 {
		return misuse(stderr, "episodes", usage(), fmt.Errorf("unexpected argument %q", pos[0]))
	}
	if err := export.exportCheck(fs); err != nil {
		return misuse(stderr, "episodes", usage(), err)
	}
	if *export.experiment != "" {
		return export.runExport(stdout, stderr)
	}
	if err := ef.check(); err != nil {
		return misuse(stderr, "episodes", usage(), err)
	}
	fs.Visit(func(f *flag.Flag) { ef.rotationsSet = ef.rotationsSet || f.Name == "rotations" })
	sampler, err := ef.sampler()
	if err != nil {
		return fail(stderr, "episodes", err)
	}
	w := bufio.NewWriter(stdout)
	var ep episodes.Episode
	for i := ef.start; i < ef.start+ef.count; i++ {
		sampler.EpisodeInto(&ep, i)
		if ef.format == "json" {
			b, err := json.Marshal(&ep)
			if err != nil {
				return fail(stderr, "episodes", err)
			}
			w.Write(b)
			w.WriteByte('\n')
			continue
		}
		fmt.Fprintf(w, "episode %d: classes %v support %v query %v\n", ep.Index, ep.Classes, ep.Support, ep.Query)
	}
	if err := w.Flush(); err != nil {
		return fail(stderr, "episodes", fmt.Errorf("writing output: %w", err))
	}
	return 0
}

// episodesFlags are the sampling flags of episodes; rotationsSet says
// whether --rotations was given (else the source's convention holds).
type episodesFlags struct {
	data, format, split, splitFile, subset string
	ways, shots, queries, count, start     int
	fold, size                             int
	seed, splitSeed                        uint64
	valFrac, testFrac                      float64
	rotations, rotationsSet                bool
}

// addEpisodesFlags registers the sampling flags on fs.
func addEpisodesFlags(fs *flag.FlagSet) *episodesFlags {
	ef := &episodesFlags{}
	fs.StringVar(&ef.data, "data", "default", "dataset PATH, FORMAT:PATH, or default (the embedded Omniglot)")
	fs.IntVar(&ef.ways, "ways", 5, "classes per episode (N)")
	fs.IntVar(&ef.shots, "shots", 1, "support images per class (K)")
	fs.IntVar(&ef.queries, "queries", 15, "query images per class (Q)")
	fs.Uint64Var(&ef.seed, "seed", 0, "sampling seed")
	fs.IntVar(&ef.count, "count", 10, "number of episodes")
	fs.IntVar(&ef.start, "start", 0, "index of the first episode")
	fs.StringVar(&ef.format, "format", "json", "output format: json or text")
	fs.StringVar(&ef.split, "split", "all", "class split: train, val, test or all")
	fs.Uint64Var(&ef.splitSeed, "split-seed", 0, "seed of the class split")
	fs.IntVar(&ef.fold, "fold", 0, "fold `K` of a k-fold split: the seeded order rotated by K test sets (0: the plain split)")
	fs.StringVar(&ef.splitFile, "split-file", "", "named split file: JSON/YAML {train,val,test} lists, or text with one class name per line")
	fs.Float64Var(&ef.valFrac, "val-frac", 0.15, "fraction of groups (or classes) held back for val")
	fs.Float64Var(&ef.testFrac, "test-frac", 0.15, "fraction of groups (or classes) held back for test")
	fs.BoolVar(&ef.rotations, "rotations", false, "add 90/180/270-degree rotations as classes (default true for Omniglot)")
	fs.IntVar(&ef.size, "size", 0, "resize images to SIZE x SIZE (0 = the format's default)")
	fs.StringVar(&ef.subset, "subset", "", "which files of the source: train/test (IDX, CIFAR), train/val/test (mini-ImageNet)")
	return ef
}

// check returns the usage error of flags out of range or not together.
func (ef *episodesFlags) check() error {
	switch {
	case ef.format != "json" && ef.format != "text":
		return fmt.Errorf("--format %q: want json or text", ef.format)
	case ef.count < 0:
		return fmt.Errorf("--count %d: want >= 0", ef.count)
	case ef.start < 0:
		return fmt.Errorf("--start %d: want >= 0", ef.start)
	case ef.size < 0:
		return fmt.Errorf("--size %d: want >= 0", ef.size)
	case ef.fold != 0 && ef.splitFile != "":
		return fmt.Errorf("--fold %d: a --split-file names its own classes; there is nothing to fold", ef.fold)
	}
	return nil
}

// sampler opens --data and returns the sampler of the selected classes,
// with rotations as classes when --rotations says so (by default when the
// source's convention has them, datasets.Dataset.RotatesByDefault).
func (ef *episodesFlags) sampler() (*episodes.Sampler, error) {
	ds, err := datasets.Open(ef.data, datasets.Options{Size: ef.size, Subset: ef.subset})
	if err != nil {
		return nil, err
	}
	rot := ef.rotations
	if !ef.rotationsSet {
		rot = ds.RotatesByDefault()
	}
	sel := episodes.Selection{SplitFile: ef.splitFile, Split: ef.split, ValFrac: ef.valFrac, TestFrac: ef.testFrac, SplitSeed: ef.splitSeed, Fold: ef.fold}
	classes, err := sel.Classes(ds.ClassNames, ds.ClassGroups)
	if err != nil {
		return nil, err
	}
	var src episodes.Source = ds
	if rot {
		r, err := episodes.NewRotated(ds)
		if err != nil {
			return nil, fmt.Errorf("--rotations on %s: %w", ef.data, err)
		}
		src, classes = r, episodes.RotatedClasses(classes)
	}
	spec := episodes.Spec{Ways: ef.ways, Shots: ef.shots, Queries: ef.queries}
	sampler, err := episodes.NewSampler(src, classes, spec, ef.seed)
	if err != nil {
		return nil, fmt.Errorf("--ways/--shots/--queries on %s (split %s): %w", ef.data, ef.split, err)
	}
	return sampler, nil
}
