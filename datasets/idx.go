package datasets

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// maxFileBytes bounds what a reader will decompress from one file.
const maxFileBytes = 1 << 32

// readMaybeGzip reads a whole file, decompressing it when it starts with the
// gzip magic 1f 8b.
func readMaybeGzip(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return gunzipIfNeeded(b)
}

func gunzipIfNeeded(b []byte) ([]byte, error) {
	if len(b) < 2 || b[0] != 0x1f || b[1] != 0x8b {
		return b, nil
	}
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		return nil, fmt.Errorf("gzip: %w", err)
	}
	out, err := io.ReadAll(io.LimitReader(zr, maxFileBytes))
	if err != nil {
		return nil, fmt.Errorf("gzip: %w", err)
	}
	return out, nil
}

// parseIDX parses an IDX file of unsigned bytes:
//
//	0x00 0x00 0x08 ndim | ndim big-endian uint32 sizes | data (prod(sizes) bytes)
func parseIDX(b []byte) (dims []int, data []byte, err error) {
	if len(b) < 4 {
		return nil, nil, fmt.Errorf("idx header: %w", errTruncated)
	}
	if b[0] != 0 || b[1] != 0 {
		return nil, nil, errors.New("not an IDX file (bad magic)")
	}
	if b[2] != 0x08 {
		return nil, nil, fmt.Errorf("IDX element type 0x%02x not supported (want 0x08 ubyte)", b[2])
	}
	nd := int(b[3])
	if nd == 0 || nd > 4 {
		return nil, nil, fmt.Errorf("IDX with %d dimensions not supported", nd)
	}
	if len(b) < 4+4*nd {
		return nil, nil, fmt.Errorf("idx header: %w", errTruncated)
	}
	n := 1
	for k := 0; k < nd; k++ {
		d := int(binary.BigEndian.Uint32(b[4+4*k:]))
		dims = append(dims, d)
		if d > 0 && n > maxFileBytes/d {
			return nil, nil, fmt.Errorf("IDX sizes %v too large", dims)
		}
		n *= d
	}
	data = b[4+4*nd:]
	if len(data) < n {
		return nil, nil, fmt.Errorf("IDX sizes %v need %d bytes, file has %d: %w", dims, n, len(data), errTruncated)
	}
	if len(data) > n {
		return nil, nil, fmt.Errorf("IDX sizes %v need %d bytes, file has %d extra", dims, n, len(data)-n)
	}
	return dims, data, nil
}

// decodeIDXPair builds a Dataset from the bytes of an images file (3-D
// N x H x W) and a labels file (1-D N). Labels are 0..max.
func decodeIDXPair(imgName string, img []byte, lblName string, lbl []byte) (*Dataset, error) {
	dims, pix, err := parseIDX(img)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", imgName, err)
	}
	if len(dims) != 3 {
		return nil, fmt.Errorf("%s: images have %d dimensions, want 3 (N, H, W)", imgName, len(dims))
	}
	ldims, lab, err := parseIDX(lbl)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", lblName, err)
	}
	if len(ldims) != 1 {
		return nil, fmt.Errorf("%s: labels have %d dimensions, want 1", lblName, len(ldims))
	}
	if ldims[0] != dims[0] {
		return nil, fmt.Errorf("%s: %d labels for %d images in %s", lblName, ldims[0], dims[0], imgName)
	}
	ds := &Dataset{Format: "idx", Path: imgName, C: 1, H: dims[1], W: dims[2], Pixels: pix, Labels: make([]int32, len(lab))}
	k := 0
	for i, l := range lab {
		ds.Labels[i] = int32(l)
		k = max(k, int(l)+1)
	}
	for c := 0; c < k; c++ {
		ds.ClassNames = append(ds.ClassNames, fmt.Sprint(c))
	}
	if err := ds.Index(); err != nil {
		return nil, err
	}
	return ds, nil
}

// idxFiles finds the images and labels files of a split ("train" or
// "t10k"/"test") in a folder: names like train-images-idx3-ubyte[.gz] and
// train-labels-idx1-ubyte[.gz] (a '.' instead of the last '-' also works).
func idxFiles(dir, split string) (img, lbl string, err error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return "", "", err
	}
	var prefixes []string
	switch split {
	case "", "train":
		prefixes = []string{"train"}
	case "test", "t10k":
		prefixes = []string{"t10k", "test"}
	default:
		return "", "", fmt.Errorf("IDX subset %q unknown (want train or test)", split)
	}
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	sort.Strings(names)
	for _, n := range names {
		ln := strings.ToLower(n)
		for _, p := range prefixes {
			if !strings.HasPrefix(ln, p) {
				continue
			}
			if strings.Contains(ln, "idx3-ubyte") && img == "" {
				img = filepath.Join(dir, n)
			}
			if strings.Contains(ln, "idx1-ubyte") && lbl == "" {
				lbl = filepath.Join(dir, n)
			}
		}
	}
	if img == "" || lbl == "" {
		return "", "", fmt.Errorf("no %s-images-idx3-ubyte and %s-labels-idx1-ubyte files", prefixes[0], prefixes[0])
	}
	return img, lbl, nil
}

// fashionNames are the Fashion-MNIST class names.
func fashionNames() []string {
	return []string{"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"}
}

func readIDXDir(dir string, opt Options) (*Dataset, error) {
	img, lbl, err := idxFiles(dir, opt.Subset)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", dir, err)
	}
	ib, err := readMaybeGzip(img)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", img, err)
	}
	lb, err := readMaybeGzip(lbl)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", lbl, err)
	}
	ds, err := decodeIDXPair(img, ib, lbl, lb)
	if err != nil {
		return nil, err
	}
	ds.Name = filepath.Base(filepath.Clean(dir))
	if strings.Contains(strings.ToLower(ds.Name), "fashion") && ds.NumClasses() == 10 {
		ds.ClassNames = fashionNames()
	}
	return resizeIfAsked(ds, opt)
}
