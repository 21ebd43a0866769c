package datasets

import (
	"bytes"
	"fmt"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// cifar10Names are the CIFAR-10 class names, label order.
func cifar10Names() []string {
	return []string{"airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"}
}

const cifarRecord = 1 + 3*32*32

// decodeCIFARBin appends the records of one CIFAR-10 binary batch
// (records of 1 label byte + 3072 channel-major pixel bytes) to ds.
func decodeCIFARBin(ds *Dataset, name string, b []byte) error {
	if len(b) == 0 {
		return fmt.Errorf("%s: empty CIFAR batch", name)
	}
	if len(b)%cifarRecord != 0 {
		return fmt.Errorf("%s: %d bytes is not a whole number of %d-byte CIFAR-10 records: %w", name, len(b), cifarRecord, errTruncated)
	}
	for off := 0; off < len(b); off += cifarRecord {
		l := b[off]
		if l > 9 {
			return fmt.Errorf("%s: record %d has label %d, want 0..9", name, off/cifarRecord, l)
		}
		ds.Labels = append(ds.Labels, int32(l))
		ds.Pixels = append(ds.Pixels, b[off+1:off+cifarRecord]...)
	}
	return nil
}

// cifarBinFiles lists the batch files of a subset: train = data_batch_*.bin,
// test = test_batch.bin, all = both.
func cifarBinFiles(dir, subset string) ([]string, error) {
	train, _ := filepath.Glob(filepath.Join(dir, "data_batch_*.bin"))
	sort.Strings(train)
	test, _ := filepath.Glob(filepath.Join(dir, "test_batch.bin"))
	var files []string
	switch subset {
	case "", "train":
		files = train
	case "test":
		files = test
	case "all":
		files = append(train, test...)
	default:
		return nil, fmt.Errorf("CIFAR subset %q unknown (want train, test or all)", subset)
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("no CIFAR-10 batch files for subset %q", subset)
	}
	return files, nil
}

func newCIFAR(dir, format string) *Dataset {
	return &Dataset{Name: "cifar10", Format: format, Path: dir, C: 3, H: 32, W: 32, ClassNames: cifar10Names()}
}

func readCIFARBinDir(dir string, opt Options) (*Dataset, error) {
	files, err := cifarBinFiles(dir, opt.Subset)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", dir, err)
	}
	ds := newCIFAR(dir, "cifar-bin")
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", f, err)
		}
		if err := decodeCIFARBin(ds, f, b); err != nil {
			return nil, err
		}
	}
	if err := ds.Index(); err != nil {
		return nil, err
	}
	return resizeIfAsked(ds, opt)
}

// parseJSLabels parses `var labels=[l0, l1, ...];`.
func parseJSLabels(name string, b []byte) ([]int, error) {
	i := bytes.IndexByte(b, '[')
	j := bytes.LastIndexByte(b, ']')
	if i < 0 || j < i {
		return nil, fmt.Errorf("%s: no [...] label array", name)
	}
	var out []int
	for _, f := range strings.Split(string(b[i+1:j]), ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		v, err := strconv.Atoi(f)
		if err != nil || v < 0 || v > 9 {
			return nil, fmt.Errorf("%s: label %q is not 0..9", name, f)
		}
		out = append(out, v)
	}
	return out, nil
}

// cifarSheetIndex returns K for a name cifar10_batch_K.png.
func cifarSheetIndex(name string) (int, bool) {
	m, ok := strings.CutPrefix(name, "cifar10_batch_")
	if !ok {
		return 0, false
	}
	m, ok = strings.CutSuffix(m, ".png")
	if !ok || m == "" {
		return 0, false
	}
	k, err := strconv.Atoi(m)
	return k, err == nil && k >= 0
}

// readCIFARPNGDir reads the ConvNetJS PNG sheets: cifar10_batch_K.png is
// 1024 x 1000 RGB, row r = image K*1000+r with pixel (x, y) at column
// y*32+x; labels[K*1000+r] from cifar10_labels.js. Batches 0..49 are
// training images, batch 50 is the test set.
func readCIFARPNGDir(dir string, opt Options) (*Dataset, error) {
	lname := filepath.Join(dir, "cifar10_labels.js")
	lb, err := os.ReadFile(lname)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", lname, err)
	}
	labels, err := parseJSLabels(lname, lb)
	if err != nil {
		return nil, err
	}
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", dir, err)
	}
	var batches []int
	for _, e := range ents {
		k, ok := cifarSheetIndex(e.Name())
		if !ok {
			continue
		}
		test := k >= 50
		switch opt.Subset {
		case "", "train":
			if test {
				continue
			}
		case "test":
			if !test {
				continue
			}
		case "all":
		default:
			return nil, fmt.Errorf("%s: CIFAR subset %q unknown (want train, test or all)", dir, opt.Subset)
		}
		batches = append(batches, k)
	}
	sort.Ints(batches)
	if len(batches) == 0 {
		return nil, fmt.Errorf("%s: no cifar10_batch_K.png sheets for subset %q", dir, opt.Subset)
	}
	ds := newCIFAR(dir, "cifar-png")
	for _, k := range batches {
		f := filepath.Join(dir, fmt.Sprintf("cifar10_batch_%d.png", k))
		if err := decodeCIFARSheet(ds, f, k, labels); err != nil {
			return nil, err
		}
	}
	if err := ds.Index(); err != nil {
		return nil, err
	}
	return resizeIfAsked(ds, opt)
}

func decodeCIFARSheet(ds *Dataset, f string, k int, labels []int) error {
	r, err := os.Open(f)
	if err != nil {
		return fmt.Errorf("%s: %w", f, err)
	}
	defer r.Close()
	img, err := png.Decode(r)
	if err != nil {
		return fmt.Errorf("%s: %w", f, err)
	}
	b := img.Bounds()
	if b.Dx() != 1024 {
		return fmt.Errorf("%s: sheet is %d wide, want 1024", f, b.Dx())
	}
	rows := b.Dy()
	if k*1000+rows > len(labels) {
		return fmt.Errorf("%s: labels file has %d labels, too few for batch %d", f, len(labels), k)
	}
	off := len(ds.Pixels)
	ds.Pixels = append(ds.Pixels, make([]uint8, rows*3072)...)
	for r := 0; r < rows; r++ {
		ds.Labels = append(ds.Labels, int32(labels[k*1000+r]))
		p := ds.Pixels[off+r*3072 : off+(r+1)*3072]
		if rgba, ok := img.(*image.RGBA); ok {
			row := rgba.Pix[(r)*rgba.Stride:]
			for j := 0; j < 1024; j++ {
				p[j], p[1024+j], p[2048+j] = row[4*j], row[4*j+1], row[4*j+2]
			}
			continue
		}
		if nrgba, ok := img.(*image.NRGBA); ok {
			row := nrgba.Pix[(r)*nrgba.Stride:]
			for j := 0; j < 1024; j++ {
				p[j], p[1024+j], p[2048+j] = row[4*j], row[4*j+1], row[4*j+2]
			}
			continue
		}
		for j := 0; j < 1024; j++ {
			cr, cg, cb, _ := img.At(b.Min.X+j, b.Min.Y+r).RGBA()
			p[j], p[1024+j], p[2048+j] = uint8(cr>>8), uint8(cg>>8), uint8(cb>>8)
		}
	}
	return nil
}
