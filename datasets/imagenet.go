package datasets

import (
	"archive/zip"
	"encoding/csv"
	"fmt"
	"image"
	_ "image/jpeg" // mini-ImageNet JPEGs
	_ "image/png"  // PNGs in mini-ImageNet-like folders
	"io"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
)

// readImageNetNpz reads downsampled ImageNet in .npz form: data.npy of shape
// (N, 3*S*S) uint8, channel-major per row, and labels.npy of shape (N,) with
// labels 1..K. Classes are the distinct labels in increasing order; class
// names are the original 1-based labels.
func readImageNetNpz(name string, zr *zip.Reader, opt Options) (*Dataset, error) {
	read := func(member string) (*npyArray, error) {
		f, ok := npzMember(zr, member)
		if !ok {
			return nil, fmt.Errorf("%s: no %s in the archive", name, member)
		}
		rc, br, err := openNpzMember(f)
		if err != nil {
			return nil, fmt.Errorf("%s: %s: %w", name, member, err)
		}
		defer rc.Close()
		a, err := readNpy(br, maxFileBytes)
		if err != nil {
			return nil, fmt.Errorf("%s: %s: %w", name, member, err)
		}
		return a, nil
	}
	data, err := read("data.npy")
	if err != nil {
		return nil, err
	}
	labels, err := read("labels.npy")
	if err != nil {
		return nil, err
	}
	if sz, _ := data.itemSize(); sz != 1 || len(data.Shape) != 2 {
		return nil, fmt.Errorf("%s: data.npy is %s %v, want uint8 (N, 3*S*S)", name, data.Descr, data.Shape)
	}
	n, cols := data.Shape[0], data.Shape[1]
	s := int(math.Round(math.Sqrt(float64(cols) / 3)))
	if s == 0 || 3*s*s != cols {
		return nil, fmt.Errorf("%s: data.npy rows of %d values are not 3*S*S", name, cols)
	}
	if c, _ := labels.count(); c != n {
		return nil, fmt.Errorf("%s: labels.npy has %d labels for %d images", name, c, n)
	}
	if n == 0 {
		return nil, fmt.Errorf("%s: no images", name)
	}
	raw := make([]int64, n)
	seen := map[int64]bool{}
	for i := range raw {
		raw[i] = labels.int64At(i)
		if raw[i] < 1 || raw[i] > 1<<20 {
			return nil, fmt.Errorf("%s: label %d of image %d is not 1-based", name, raw[i], i)
		}
		seen[raw[i]] = true
	}
	keys := make([]int64, 0, len(seen))
	for k := range seen {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(a, b int) bool { return keys[a] < keys[b] })
	pos := make(map[int64]int32, len(keys))
	ds := &Dataset{Name: fmt.Sprintf("imagenet%d", s), Format: "imagenet-npz", Path: name, C: 3, H: s, W: s,
		Pixels: data.Raw, Labels: make([]int32, n)}
	for j, k := range keys {
		pos[k] = int32(j)
		ds.ClassNames = append(ds.ClassNames, fmt.Sprint(k))
	}
	for i, l := range raw {
		ds.Labels[i] = pos[l]
	}
	if err := ds.Index(); err != nil {
		return nil, err
	}
	return resizeIfAsked(ds, opt)
}

// miniImageNetCSV returns the CSV file of a subset: train.csv by default,
// val.csv, test.csv, or a file name given as the subset.
func miniImageNetCSV(dir, subset string) string {
	switch subset {
	case "", "train", "val", "test":
		if subset == "" {
			subset = "train"
		}
		return filepath.Join(dir, subset+".csv")
	}
	if filepath.IsAbs(subset) {
		return subset
	}
	return filepath.Join(dir, subset)
}

// readMiniImageNet reads the common mini-ImageNet layout: split CSV files
// with a header "filename,label" and a folder images/ of JPEGs, each resized
// to opt.Size (default 84) square.
func readMiniImageNet(dir string, opt Options) (*Dataset, error) {
	csvPath := miniImageNetCSV(dir, opt.Subset)
	f, err := os.Open(csvPath)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", csvPath, err)
	}
	rows, err := csv.NewReader(f).ReadAll()
	f.Close()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", csvPath, err)
	}
	if len(rows) > 0 && strings.EqualFold(strings.TrimSpace(rows[0][0]), "filename") {
		rows = rows[1:]
	}
	if len(rows) == 0 {
		return nil, fmt.Errorf("%s: no images listed", csvPath)
	}
	seen := map[string]bool{}
	for i, r := range rows {
		if len(r) < 2 {
			return nil, fmt.Errorf("%s: line %d has %d fields, want filename,label", csvPath, i+2, len(r))
		}
		seen[r[1]] = true
	}
	out := opt.Size
	if out <= 0 {
		out = 84
	}
	ds := &Dataset{Name: "miniimagenet", Format: "miniimagenet", Path: dir, C: 3, H: out, W: out,
		Pixels: make([]uint8, len(rows)*3*out*out), Labels: make([]int32, len(rows))}
	for k := range seen {
		ds.ClassNames = append(ds.ClassNames, k)
	}
	sort.Strings(ds.ClassNames)
	pos := map[string]int32{}
	for j, k := range ds.ClassNames {
		pos[k] = int32(j)
	}
	for i, r := range rows {
		ds.Labels[i] = pos[r[1]]
	}
	// Decode in parallel: worker w takes images w, w+W, ...; each image has
	// its own output slot, so the result does not depend on W.
	workers := decodeWorkers(opt)
	errs := make([]error, workers)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			var rs *resizer
			var fin, fout []float32
			var src []uint8
			for i := w; i < len(rows); i += workers {
				p := filepath.Join(dir, "images", rows[i][0])
				img, err := decodeImageFile(p)
				if err != nil {
					errs[w] = fmt.Errorf("%s: %w", p, err)
					return
				}
				b := img.Bounds()
				if rs == nil || rs.ry.in != b.Dy() || rs.rx.in != b.Dx() {
					rs = newResizer(b.Dy(), b.Dx(), out, out)
					fin, fout = make([]float32, b.Dx()*b.Dy()), make([]float32, out*out)
					src = make([]uint8, 3*b.Dx()*b.Dy())
				}
				toPlanes(src, img)
				rs.resizeBytes(ds.Pixels[i*3*out*out:(i+1)*3*out*out], src, 3, fin, fout)
			}
		}(w)
	}
	wg.Wait()
	for _, e := range errs {
		if e != nil {
			return nil, e
		}
	}
	if err := ds.Index(); err != nil {
		return nil, err
	}
	return ds, nil
}

func decodeImageFile(p string) (image.Image, error) {
	f, err := os.Open(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	img, _, err := image.Decode(io.Reader(f))
	return img, err
}

// toPlanes writes img as channel-major RGB bytes into dst (3*W*H).
func toPlanes(dst []uint8, img image.Image) {
	b := img.Bounds()
	plane := b.Dx() * b.Dy()
	j := 0
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			dst[j], dst[plane+j], dst[2*plane+j] = uint8(r>>8), uint8(g>>8), uint8(bl>>8)
			j++
		}
	}
}
