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

// isStructuredSplit reports whether a split file is JSON or YAML.
func cmdEpisodes(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("episodes", flag.ContinueOnError)
	data := fs.String("data", "default", "dataset PATH, FORMAT:PATH, or default (the embedded Omniglot)")
	ways := fs.Int("ways", 5, "classes per episode (N)")
	shots := fs.Int("shots", 1, "support images per class (K)")
	queries := fs.Int("queries", 15, "query images per class (Q)")
	seed := fs.Uint64("seed", 0, "sampling seed")
	count := fs.Int("count", 10, "number of episodes")
	start := fs.Int("start", 0, "index of the first episode")
	format := fs.String("format", "json", "output format: json or text")
	split := fs.String("split", "all", "class split: train, val, test or all")
	splitSeed := fs.Uint64("split-seed", 0, "seed of the class split")
	fold := fs.Int("fold", 0, "fold `K` of a k-fold split: the seeded order rotated by K test sets (0: the plain split)")
	splitFile := fs.String("split-file", "", "named split file: JSON/YAML {train,val,test} lists, or text with one class name per line")
	valFrac := fs.Float64("val-frac", 0.15, "fraction of groups (or classes) held back for val")
	testFrac := fs.Float64("test-frac", 0.15, "fraction of groups (or classes) held back for test")
	rotations := fs.Bool("rotations", false, "add 90/180/270-degree rotations as classes (default true for Omniglot)")
	size := fs.Int("size", 0, "resize images to SIZE x SIZE (0 = the format's default)")
	subset := fs.String("subset", "", "which files of the source: train/test (IDX, CIFAR), train/val/test (mini-ImageNet)")
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
	switch {
	case *format != "json" && *format != "text":
		return misuse(stderr, "episodes", usage(), fmt.Errorf("--format %q: want json or text", *format))
	case *count < 0:
		return misuse(stderr, "episodes", usage(), fmt.Errorf("--count %d: want >= 0", *count))
	case *start < 0:
		return misuse(stderr, "episodes", usage(), fmt.Errorf("--start %d: want >= 0", *start))
	case *size < 0:
		return misuse(stderr, "episodes", usage(), fmt.Errorf("--size %d: want >= 0", *size))
	case *fold != 0 && *splitFile != "":
		return misuse(stderr, "episodes", usage(), fmt.Errorf("--fold %d: a --split-file names its own classes; there is nothing to fold", *fold))
	}
	rotSet := false
	fs.Visit(func(f *flag.Flag) {
		if f.Name == "rotations" {
			rotSet = true
		}
	})

	ds, err := datasets.Open(*data, datasets.Options{Size: *size, Subset: *subset})
	if err != nil {
		return fail(stderr, "episodes", err)
	}
	rot := *rotations
	if !rotSet {
		rot = strings.HasPrefix(ds.Format, "omniglot")
	}

	sel := episodes.Selection{SplitFile: *splitFile, Split: *split, ValFrac: *valFrac, TestFrac: *testFrac, SplitSeed: *splitSeed, Fold: *fold}
	classes, err := sel.Classes(ds.ClassNames, ds.ClassGroups)
	if err != nil {
		return fail(stderr, "episodes", err)
	}

	var src episodes.Source = ds
	if rot {
		r, err := episodes.NewRotated(ds)
		if err != nil {
			return fail(stderr, "episodes", fmt.Errorf("--rotations on %s: %w", *data, err))
		}
		src, classes = r, episodes.RotatedClasses(classes)
	}
	spec := episodes.Spec{Ways: *ways, Shots: *shots, Queries: *queries}
	sampler, err := episodes.NewSampler(src, classes, spec, *seed)
	if err != nil {
		return fail(stderr, "episodes", fmt.Errorf("--ways/--shots/--queries on %s (split %s): %w", *data, *split, err))
	}

	w := bufio.NewWriter(stdout)
	var ep episodes.Episode
	for i := *start; i < *start+*count; i++ {
		sampler.EpisodeInto(&ep, i)
		if *format == "json" {
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
