package datasets

import (
	"archive/zip"
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
)

// omniglotAlphabet is one contiguous id range of the Omniglot background set.
type omniglotAlphabet struct {
	first, last int // character ids, 1-based, inclusive
	name        string
}

// omniglotBackground returns the character id -> alphabet table of the
// background set (ids 1..964), from ../shared/data/omniglot/PROVENANCE.md,
// with the directory spellings of the original images_background.zip.
func omniglotBackground() []omniglotAlphabet {
	return []omniglotAlphabet{
		{1, 26, "Arcadian"},
		{27, 67, "Armenian"},
		{68, 107, "Asomtavruli_(Georgian)"},
		{108, 131, "Balinese"},
		{132, 177, "Bengali"},
		{178, 191, "Blackfoot_(Canadian_Aboriginal_Syllabics)"},
		{192, 217, "Braille"},
		{218, 250, "Cyrillic"},
		{251, 272, "Early_Aramaic"},
		{273, 295, "Syriac_(Estrangelo)"},
		{296, 324, "Anglo-Saxon_Futhorc"},
		{325, 350, "Futurama"},
		{351, 393, "Grantha"},
		{394, 417, "Greek"},
		{418, 465, "Gujarati"},
		{466, 487, "Hebrew"},
		{488, 539, "Japanese_(hiragana)"},
		{540, 555, "Inuktitut_(Canadian_Aboriginal_Syllabics)"},
		{556, 595, "Malay_(Jawi_-_Arabic)"},
		{596, 642, "Japanese_(katakana)"},
		{643, 682, "Korean"},
		{683, 708, "Latin"},
		{709, 728, "Alphabet_of_the_Magi"},
		{729, 769, "Mkhedruli_(Georgian)"},
		{770, 803, "Burmese_(Myanmar)"},
		{804, 836, "N_Ko"},
		{837, 850, "Ojibwe_(Canadian_Aboriginal_Syllabics)"},
		{851, 892, "Sanskrit"},
		{893, 909, "Tagalog"},
		{910, 964, "Tifinagh"},
	}
}

// omniglotNames returns class names "Alphabet/characterNN" and groups for
// the 964 background characters.
func omniglotNames() (names, groups []string) {
	for _, a := range omniglotBackground() {
		for id := a.first; id <= a.last; id++ {
			names = append(names, fmt.Sprintf("%s/character%02d", a.name, id-a.first+1))
			groups = append(groups, a.name)
		}
	}
	return names, groups
}

// inkResizer turns a binary Omniglot drawing (nonzero = background) into an
// ink image (ink = 255) of size out x out by area averaging.
type inkResizer struct {
	r         *resizer
	fin, fout []float32
}

func newInkResizer(h, w, out int) *inkResizer {
	return &inkResizer{r: newResizer(h, w, out, out), fin: make([]float32, h*w), fout: make([]float32, out*out)}
}

// fromBackground converts raw bytes where nonzero means background.
func (k *inkResizer) fromBackground(dst, src []uint8) {
	for j, p := range src {
		if p == 0 {
			k.fin[j] = 255
		} else {
			k.fin[j] = 0
		}
	}
	k.finish(dst)
}

func (k *inkResizer) finish(dst []uint8) {
	k.r.plane(k.fout, k.fin)
	for j, v := range k.fout {
		dst[j] = toByte(v)
	}
}

// decodeWorkers is the number of goroutines used for decoding; the output
// does not depend on it.
func decodeWorkers(opt Options) int {
	if opt.Workers > 0 {
		return opt.Workers
	}
	return min(runtime.GOMAXPROCS(0), 4)
}

// readOmniglotNpz reads the Omniglot .npz form: images.npy of shape
// (classes, drawings, H, W) (or (N, H, W) with labels.npy of shape (N,)),
// bool bytes where nonzero = background.
func readOmniglotNpz(name string, zr *zip.Reader, opt Options) (*Dataset, error) {
	fi, ok := npzMember(zr, "images.npy")
	if !ok {
		return nil, fmt.Errorf("%s: no images.npy in the archive", name)
	}
	rc, br, err := openNpzMember(fi)
	if err != nil {
		return nil, fmt.Errorf("%s: images.npy: %w", name, err)
	}
	defer rc.Close()
	h, err := readNpyHeader(br)
	if err != nil {
		return nil, fmt.Errorf("%s: images.npy: %w", name, err)
	}
	if sz, ok := h.itemSize(); !ok || sz != 1 {
		return nil, fmt.Errorf("%s: images.npy dtype %q, want a 1-byte type", name, h.Descr)
	}
	if h.Fortran {
		return nil, fmt.Errorf("%s: images.npy is fortran_order", name)
	}
	if _, err := h.count(); err != nil {
		return nil, fmt.Errorf("%s: images.npy: %w", name, err)
	}
	// Bound the declared shape by what the member can hold, so that a lying
	// header cannot force a huge allocation (deflate expands at most ~1032x).
	total, _ := h.count()
	if uint64(total) > fi.UncompressedSize64 || uint64(total) > 1100*fi.CompressedSize64+4096 {
		return nil, fmt.Errorf("%s: images.npy shape %v needs %d bytes, the member holds %d: %w", name, h.Shape, total, fi.UncompressedSize64, errTruncated)
	}
	var n, ih, iw int
	var labels []int32
	var numClasses int
	switch len(h.Shape) {
	case 4:
		n = h.Shape[0] * h.Shape[1]
		ih, iw = h.Shape[2], h.Shape[3]
		numClasses = h.Shape[0]
		labels = make([]int32, 0, n)
		for c := 0; c < h.Shape[0]; c++ {
			for s := 0; s < h.Shape[1]; s++ {
				labels = append(labels, int32(c))
			}
		}
	case 3:
		n, ih, iw = h.Shape[0], h.Shape[1], h.Shape[2]
		fl, ok := npzMember(zr, "labels.npy")
		if !ok {
			return nil, fmt.Errorf("%s: images.npy is 3-D but there is no labels.npy", name)
		}
		lrc, lbr, err := openNpzMember(fl)
		if err != nil {
			return nil, fmt.Errorf("%s: labels.npy: %w", name, err)
		}
		la, err := readNpy(lbr, 1<<28)
		lrc.Close()
		if err != nil {
			return nil, fmt.Errorf("%s: labels.npy: %w", name, err)
		}
		if c, _ := la.count(); c != n {
			return nil, fmt.Errorf("%s: labels.npy has %d labels for %d images", name, c, n)
		}
		labels = make([]int32, n)
		for i := range labels {
			v := la.int64At(i)
			if v < 0 || v >= 1<<20 {
				return nil, fmt.Errorf("%s: labels.npy label %d out of range", name, v)
			}
			labels[i] = int32(v)
			numClasses = max(numClasses, int(v)+1)
		}
	default:
		return nil, fmt.Errorf("%s: images.npy shape %v, want (classes, drawings, H, W) or (N, H, W)", name, h.Shape)
	}
	if n == 0 || ih == 0 || iw == 0 {
		return nil, fmt.Errorf("%s: images.npy is empty (shape %v)", name, h.Shape)
	}
	out := opt.Size
	if out <= 0 {
		out = 28
	}
	if n*out*out > 64*total+(1<<24) { // a few bytes of a lying header must not buy gigabytes of output
		return nil, fmt.Errorf("%s: images.npy shape %v too large", name, h.Shape)
	}
	ds := &Dataset{Name: "omniglot", Format: "omniglot-npz", Path: name, C: 1, H: out, W: out, Labels: labels}
	pix, err := decodeParallel(br, n, ih*iw, out*out, decodeWorkers(opt), func() func(dst, src []uint8) {
		k := newInkResizer(ih, iw, out)
		return k.fromBackground
	})
	if err != nil {
		return nil, fmt.Errorf("%s: images.npy: %w", name, err)
	}
	ds.Pixels = pix
	if numClasses == 964 {
		ds.ClassNames, ds.ClassGroups = omniglotNames()
	} else {
		for c := 0; c < numClasses; c++ {
			ds.ClassNames = append(ds.ClassNames, fmt.Sprintf("character%04d", c+1))
		}
	}
	if err := ds.Index(); err != nil {
		return nil, err
	}
	return ds, nil
}

// decodeParallel reads n records of inSize bytes from r and converts each
// into outSize bytes with a per-worker converter; record i always lands at
// dst[i*outSize:], so the result does not depend on the number of workers.
func decodeParallel(r io.Reader, n, inSize, outSize, workers int, mk func() func(dst, src []uint8)) ([]uint8, error) {
	const batch = 256
	dst := make([]uint8, n*outSize)
	type job struct {
		start, count int
		buf          []uint8
	}
	jobs := make(chan job, workers)
	free := make(chan []uint8, workers+1)
	for w := 0; w < workers+1; w++ {
		free <- make([]uint8, min(batch, n)*inSize)
	}
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			conv := mk()
			for j := range jobs {
				for k := 0; k < j.count; k++ {
					i := j.start + k
					conv(dst[i*outSize:(i+1)*outSize], j.buf[k*inSize:(k+1)*inSize])
				}
				free <- j.buf
			}
		}()
	}
	var err error
	for start := 0; start < n; start += batch {
		cnt := min(batch, n-start)
		buf := <-free
		if _, e := io.ReadFull(r, buf[:cnt*inSize]); e != nil {
			err = fmt.Errorf("image %d of %d: %w", start, n, errTruncated)
			free <- buf
			break
		}
		jobs <- job{start, cnt, buf}
	}
	close(jobs)
	wg.Wait()
	if err != nil {
		return nil, err
	}
	return dst, nil
}

// omniglotPNG is one drawing found in a zip or a folder.
type omniglotPNG struct {
	class, file string // class "Alphabet/characterNN"
	open        func() (io.ReadCloser, error)
}

// omniglotClassKey returns "Alphabet/character" for a path ending in
// .../Alphabet/character/file.png, or false.
func omniglotClassKey(p string) (string, bool) {
	p = filepath.ToSlash(p)
	if !strings.HasSuffix(strings.ToLower(p), ".png") {
		return "", false
	}
	parts := strings.Split(p, "/")
	if len(parts) < 3 {
		return "", false
	}
	return parts[len(parts)-3] + "/" + parts[len(parts)-2], true
}

// buildOmniglot decodes the drawings (1-bit PNGs, dark = ink) into an
// ink = 255 dataset resized to opt.Size (default 28) by area averaging.
func buildOmniglot(name, format string, files []omniglotPNG, opt Options) (*Dataset, error) {
	if len(files) == 0 {
		return nil, fmt.Errorf("%s: no Omniglot drawings (<alphabet>/<character>/*.png) found", name)
	}
	sort.Slice(files, func(a, b int) bool {
		if files[a].class != files[b].class {
			return files[a].class < files[b].class
		}
		return files[a].file < files[b].file
	})
	out := opt.Size
	if out <= 0 {
		out = 28
	}
	ds := &Dataset{Name: "omniglot", Format: format, Path: name, C: 1, H: out, W: out}
	ds.Pixels = make([]uint8, len(files)*out*out)
	ds.Labels = make([]int32, len(files))
	var k *inkResizer
	for i, f := range files {
		if i == 0 || f.class != files[i-1].class {
			ds.ClassNames = append(ds.ClassNames, f.class)
			ds.ClassGroups = append(ds.ClassGroups, f.class[:strings.IndexByte(f.class, '/')])
		}
		ds.Labels[i] = int32(len(ds.ClassNames) - 1)
		img, err := decodePNG(f.open)
		if err != nil {
			return nil, fmt.Errorf("%s: %s: %w", name, f.file, err)
		}
		b := img.Bounds()
		if k == nil {
			k = newInkResizer(b.Dy(), b.Dx(), out)
		} else if b.Dy() != k.r.ry.in || b.Dx() != k.r.rx.in {
			return nil, fmt.Errorf("%s: %s: size %dx%d differs from the first drawing", name, f.file, b.Dx(), b.Dy())
		}
		j := 0
		for y := b.Min.Y; y < b.Max.Y; y++ {
			for x := b.Min.X; x < b.Max.X; x++ {
				if color.GrayModel.Convert(img.At(x, y)).(color.Gray).Y < 128 {
					k.fin[j] = 255
				} else {
					k.fin[j] = 0
				}
				j++
			}
		}
		k.finish(ds.Pixels[i*out*out : (i+1)*out*out])
	}
	if err := ds.Index(); err != nil {
		return nil, err
	}
	return ds, nil
}

func decodePNG(open func() (io.ReadCloser, error)) (image.Image, error) {
	rc, err := open()
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	return png.Decode(rc)
}

// readOmniglotZip reads the original Omniglot zip layout.
func readOmniglotZip(name string, zr *zip.Reader, opt Options) (*Dataset, error) {
	var files []omniglotPNG
	for _, f := range zr.File {
		key, ok := omniglotClassKey(f.Name)
		if !ok {
			continue
		}
		files = append(files, omniglotPNG{class: key, file: f.Name, open: f.Open})
	}
	return buildOmniglot(name, "omniglot-zip", files, opt)
}

// readOmniglotDir reads an extracted tree .../<alphabet>/<character>/*.png.
func readOmniglotDir(dir string, opt Options) (*Dataset, error) {
	var files []omniglotPNG
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			return nil
		}
		rel, _ := filepath.Rel(dir, p)
		key, ok := omniglotClassKey(rel)
		if !ok {
			return nil
		}
		files = append(files, omniglotPNG{class: key, file: rel, open: func() (io.ReadCloser, error) { return os.Open(p) }})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", dir, err)
	}
	return buildOmniglot(dir, "omniglot-dir", files, opt)
}

// zipFromBytes opens an in-memory zip archive.
func zipFromBytes(b []byte) (*zip.Reader, error) {
	return zip.NewReader(bytes.NewReader(b), int64(len(b)))
}
