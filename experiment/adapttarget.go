package experiment

import (
	"fmt"
	"hash/fnv"
	"math/rand/v2"

	"github.com/metabench/metabench/config"
	"github.com/metabench/metabench/datasets"
	"github.com/metabench/metabench/episodes"
	"github.com/metabench/metabench/multitask"
)

// targetData is one target's images.
type targetData struct {
	cfg                config.AdaptTarget
	ds                 *datasets.Dataset
	adaptTrain, test   *multitask.Images
	finalTrain         *multitask.Images
	trainTotal, testOf int
}

// seedOf mixes the run seed with a name.
func seedOf(seed int64, name string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(name))
	return uint64(seed) ^ h.Sum64()
}

// subsetImages loads n seeded images of ds (all when n is 0 or too large),
// resized to size and replicated to RGB, with the dataset's own labels.
func subsetImages(ds *datasets.Dataset, n, size int, seed uint64) *multitask.Images {
	return subsetRange(ds, 0, n, size, seed)
}

// subsetRange is subsetImages of the images from..from+n of the seeded
// permutation (n = 0: all after from).
func subsetRange(ds *datasets.Dataset, from, n, size int, seed uint64) *multitask.Images {
	idx := rand.New(rand.NewPCG(seed, 0x73756273)).Perm(ds.Len())[from:]
	if n > 0 && n < len(idx) {
		idx = idx[:n]
	}
	labels := make([]int, len(idx))
	for j, i := range idx {
		labels[j] = int(ds.Labels[i])
	}
	var t episodes.Task
	episodes.MaterializeResized(&t, ds, idx, labels, size)
	// the dataset's own labels (t.Y ranks them in order of appearance)
	return &multitask.Images{N: t.N, C: 3, H: t.H, W: t.W, Y: labels, X: toRGB(t.X, t.N, t.C, t.H*t.W)}
}

func loadTarget(t config.AdaptTarget, i int, seed int64, finalN int) (*targetData, error) {
	field := fmt.Sprintf("targets[%d].path", i)
	train, err := openData(t.Path, t.TrainSubset, 0, field)
	if err != nil {
		return nil, err
	}
	validation := t.TestSubset == config.ValidationSubset
	test := train
	if !validation {
		if test, err = openData(t.Path, t.TestSubset, 0, field); err != nil {
			return nil, err
		}
	}
	for _, d := range []*datasets.Dataset{train, test} {
		if d.NumClasses() != 10 {
			return nil, fmt.Errorf("%s: %s has %d classes; the meta-network adapts to 10-class datasets", field, t.Path, d.NumClasses())
		}
		if c, _, _ := d.ImageShape(); c != 1 && c != 3 {
			return nil, fmt.Errorf("%s: %s has %d channels, want 1 or 3", field, t.Path, c)
		}
	}
	td := &targetData{cfg: t, ds: train, trainTotal: train.Len(), testOf: test.Len()}
	td.adaptTrain = subsetImages(train, t.TrainImages, t.Size, seedOf(seed, t.Name+"/adapt"))
	if validation {
		// held-out images of the training split: the rest of the
		// adaptation images' permutation, never adapted on
		if t.TrainImages == 0 || t.TrainImages >= train.Len() {
			return nil, fmt.Errorf("targets[%d].test_subset: %s needs train_images below the %d images of the training split", i, config.ValidationSubset, train.Len())
		}
		td.test = subsetRange(train, t.TrainImages, t.TestImages, t.Size, seedOf(seed, t.Name+"/adapt"))
		td.testOf = train.Len() - t.TrainImages
	} else {
		td.test = subsetImages(test, t.TestImages, t.Size, seedOf(seed, t.Name+"/test"))
	}
	if t.Table {
		td.finalTrain = subsetImages(train, finalN, t.Size, seedOf(seed, t.Name+"/final"))
	}
	return td, nil
}
