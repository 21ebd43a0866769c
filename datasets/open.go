package datasets

import (
	"archive/zip"
	_ "embed"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
)

//go:embed defaultdata/omniglot_background.npz
var defaultOmniglot string

// Options controls how a source is read. The zero value means defaults.
type Options struct {
	// Size is the side of the square output images: 0 keeps the format's
	// default (Omniglot 28 by area averaging from 105, mini-ImageNet 84, all
	// others their native size); any other value resizes every image to
	// Size x Size (area averaging when shrinking, bilinear when enlarging).
	Size int
	// Subset picks the files of a split where a format has several:
	// IDX "train" (default) or "test"/"t10k"; CIFAR "train" (default),
	// "test" or "all"; mini-ImageNet "train" (default), "val", "test" or a
	// CSV file name.
	Subset string
	// Workers is the number of decoding goroutines (0 = min(GOMAXPROCS, 4)).
	// Results never depend on it.
	Workers int
}

// Formats lists the format names accepted by Open as a "FORMAT:" prefix.
func Formats() []string {
	return []string{"omniglot-npz", "omniglot-zip", "omniglot-dir", "idx", "cifar-bin", "cifar-png",
		"miniimagenet", "imagenet-npz", "svhn", "embedded"}
}

// DefaultPath names the embedded default data set in Open.
const DefaultPath = "embedded:omniglot"

// OpenDefault reads the embedded Omniglot background set (964 characters of
// 30 alphabets, 20 drawings each; MIT, Lake et al. 2015).
func OpenDefault(opt Options) (*Dataset, error) {
	zr, err := zip.NewReader(strings.NewReader(defaultOmniglot), int64(len(defaultOmniglot)))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", DefaultPath, err)
	}
	ds, err := readOmniglotNpz(DefaultPath, zr, opt)
	if err != nil {
		return nil, err
	}
	return ds, nil
}

// Open reads the source at path. The format is recognised from the contents
// (see the package documentation); a "FORMAT:" prefix such as "idx:/data/mnist"
// forces one. "default" and "embedded:omniglot" open the embedded data.
func Open(path string, opt Options) (*Dataset, error) {
	if path == "default" || path == DefaultPath || path == "embedded:" || path == "embedded" {
		return OpenDefault(opt)
	}
	format := ""
	if i := strings.Index(path, ":"); i > 0 {
		f := path[:i]
		for _, k := range Formats() {
			if f == k {
				format, path = f, path[i+1:]
				break
			}
		}
		if format == "embedded" {
			return OpenDefault(opt)
		}
	}
	if format == "" {
		var err error
		format, err = Detect(path)
		if err != nil {
			return nil, err
		}
	}
	switch format {
	case "omniglot-npz", "imagenet-npz", "omniglot-zip":
		b, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		zr, err := zipFromBytes(b)
		if err != nil {
			return nil, fmt.Errorf("%s: not a zip/npz archive: %w", path, err)
		}
		switch format {
		case "omniglot-npz":
			return readOmniglotNpz(path, zr, opt)
		case "imagenet-npz":
			return readImageNetNpz(path, zr, opt)
		default:
			return readOmniglotZip(path, zr, opt)
		}
	case "omniglot-dir":
		return readOmniglotDir(path, opt)
	case "idx":
		return readIDXDir(path, opt)
	case "cifar-bin":
		return readCIFARBinDir(path, opt)
	case "cifar-png":
		return readCIFARPNGDir(path, opt)
	case "miniimagenet":
		return readMiniImageNet(path, opt)
	case "svhn":
		return readSVHN(path, opt)
	}
	return nil, fmt.Errorf("%s: unknown format %q", path, format)
}

// Detect recognises the format of path from its contents.
func Detect(path string) (string, error) {
	st, err := os.Stat(path)
	if err != nil {
		return "", fmt.Errorf("%s: %w", path, unwrapPathError(err))
	}
	if st.IsDir() {
		return detectDir(path)
	}
	f, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("%s: %w", path, unwrapPathError(err))
	}
	defer f.Close()
	var head [128]byte
	n, _ := f.Read(head[:])
	h := head[:n]
	switch {
	case n >= 128 && (string(h[126:128]) == "IM" || string(h[126:128]) == "MI"):
		return "svhn", nil
	case n >= 4 && string(h[:4]) == "PK\x03\x04":
		zr, err := zip.NewReader(f, st.Size())
		if err != nil {
			return "", fmt.Errorf("%s: corrupt zip/npz archive: %w", path, err)
		}
		return detectZip(path, zr)
	case n >= 4 && h[0] == 0 && h[1] == 0 && h[2] == 8:
		return "", fmt.Errorf("%s: an IDX file: pass the folder holding the images and labels files", path)
	}
	return "", fmt.Errorf("%s: format not recognised (formats: %s; force one with FORMAT:PATH)", path, strings.Join(Formats(), ", "))
}

func unwrapPathError(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

func detectZip(path string, zr *zip.Reader) (string, error) {
	names := map[string]bool{}
	pngTree := false
	for _, f := range zr.File {
		names[f.Name] = true
		if _, ok := omniglotClassKey(f.Name); ok {
			pngTree = true
		}
	}
	switch {
	case names["images.npy"]:
		return "omniglot-npz", nil
	case names["data.npy"] && names["labels.npy"]:
		return "imagenet-npz", nil
	case pngTree:
		return "omniglot-zip", nil
	}
	return "", fmt.Errorf("%s: zip archive with neither images.npy, data.npy+labels.npy nor <alphabet>/<character>/*.png", path)
}

func detectDir(dir string) (string, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return "", fmt.Errorf("%s: %w", dir, unwrapPathError(err))
	}
	has := map[string]bool{}
	idx3, bins, sheets := false, false, false
	var subdirs []string
	for _, e := range ents {
		n := e.Name()
		has[n] = true
		ln := strings.ToLower(n)
		switch {
		case strings.Contains(ln, "idx3-ubyte"):
			idx3 = true
		case strings.HasPrefix(n, "data_batch_") && strings.HasSuffix(n, ".bin"), n == "test_batch.bin":
			bins = true
		case strings.HasPrefix(n, "cifar10_batch_") && strings.HasSuffix(n, ".png"):
			sheets = true
		}
		if e.IsDir() {
			subdirs = append(subdirs, n)
		}
	}
	switch {
	case idx3:
		return "idx", nil
	case bins:
		return "cifar-bin", nil
	case sheets && has["cifar10_labels.js"]:
		return "cifar-png", nil
	case has["images"] && (has["train.csv"] || has["val.csv"] || has["test.csv"]):
		return "miniimagenet", nil
	}
	sort.Strings(subdirs)
	if looksOmniglotTree(dir, subdirs, 3) {
		return "omniglot-dir", nil
	}
	return "", fmt.Errorf("%s: folder format not recognised (want IDX files, CIFAR batches, mini-ImageNet CSVs + images/, or an Omniglot <alphabet>/<character>/*.png tree)", dir)
}

// looksOmniglotTree reports whether dir holds <alphabet>/<character>/*.png
// within depth levels.
func looksOmniglotTree(dir string, subdirs []string, depth int) bool {
	if depth == 0 {
		return false
	}
	for _, s := range subdirs {
		p := filepath.Join(dir, s)
		ents, err := os.ReadDir(p)
		if err != nil {
			continue
		}
		var sub []string
		for _, e := range ents {
			if e.IsDir() {
				sub = append(sub, e.Name())
				continue
			}
			if depth < 3 && strings.HasSuffix(strings.ToLower(e.Name()), ".png") {
				return true
			}
		}
		if looksOmniglotTree(p, sub, depth-1) {
			return true
		}
	}
	return false
}

// resizeIfAsked resizes every image of ds to opt.Size square when it is set
// and differs from the native size.
func resizeIfAsked(ds *Dataset, opt Options) (*Dataset, error) {
	s := opt.Size
	if s <= 0 || (s == ds.H && s == ds.W) {
		return ds, nil
	}
	n, c, h, w := ds.Len(), ds.C, ds.H, ds.W
	out := make([]uint8, n*c*s*s)
	workers := decodeWorkers(opt)
	var wg sync.WaitGroup
	for k := 0; k < workers; k++ {
		wg.Add(1)
		go func(k int) {
			defer wg.Done()
			rs := newResizer(h, w, s, s)
			fin, fout := make([]float32, h*w), make([]float32, s*s)
			for i := k; i < n; i += workers {
				rs.resizeBytes(out[i*c*s*s:(i+1)*c*s*s], ds.Pixels[i*c*h*w:(i+1)*c*h*w], c, fin, fout)
			}
		}(k)
	}
	wg.Wait()
	ds.Pixels, ds.H, ds.W = out, s, s
	return ds, nil
}
