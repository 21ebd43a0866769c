package datasets

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
)

// MAT-file v5 data types and array classes used here.
const (
	miINT8       = 1
	miUINT8      = 2
	miINT16      = 3
	miUINT16     = 4
	miINT32      = 5
	miUINT32     = 6
	miSINGLE     = 7
	miDOUBLE     = 9
	miINT64      = 12
	miUINT64     = 13
	miMATRIX     = 14
	miCOMPRESSED = 15
)

// matVar is one numeric variable of a MAT v5 file, in column-major order.
type matVar struct {
	Name  string
	Class int
	Dims  []int
	Type  int    // element type of Raw (mi*)
	Raw   []byte // real part
	order binary.ByteOrder
}

func matTypeSize(t int) int {
	switch t {
	case miINT8, miUINT8:
		return 1
	case miINT16, miUINT16:
		return 2
	case miINT32, miUINT32, miSINGLE:
		return 4
	case miDOUBLE, miINT64, miUINT64:
		return 8
	}
	return 0
}

// count returns the number of elements.
func (v *matVar) count() int {
	return len(v.Raw) / matTypeSize(v.Type)
}

// at returns element j as a float64.
func (v *matVar) at(j int) float64 {
	sz := matTypeSize(v.Type)
	b := v.Raw[j*sz : (j+1)*sz]
	switch v.Type {
	case miINT8:
		return float64(int8(b[0]))
	case miUINT8:
		return float64(b[0])
	case miINT16:
		return float64(int16(v.order.Uint16(b)))
	case miUINT16:
		return float64(v.order.Uint16(b))
	case miINT32:
		return float64(int32(v.order.Uint32(b)))
	case miUINT32:
		return float64(v.order.Uint32(b))
	case miSINGLE:
		return float64(math.Float32frombits(v.order.Uint32(b)))
	case miDOUBLE:
		return math.Float64frombits(v.order.Uint64(b))
	case miINT64:
		return float64(int64(v.order.Uint64(b)))
	case miUINT64:
		return float64(v.order.Uint64(b))
	}
	return 0
}

// parseMAT parses a MAT-file v5 and returns its numeric matrices by name.
//
//	128-byte header: text[116] subsys[8] version(uint16) endian("IM" = little, "MI" = big)
//	then data elements: tag (type uint32, nbytes uint32) + data padded to 8 bytes,
//	or a small element (nbytes<<16 | type) with up to 4 bytes of data in the tag;
//	miCOMPRESSED elements hold a zlib stream of further elements.
func parseMAT(b []byte) (map[string]*matVar, error) {
	if len(b) < 128 {
		return nil, fmt.Errorf("MAT header: %w", errTruncated)
	}
	var order binary.ByteOrder
	switch string(b[126:128]) {
	case "IM":
		order = binary.LittleEndian
	case "MI":
		order = binary.BigEndian
	default:
		return nil, errors.New("not a MAT-file v5 (bad endian indicator; v7.3/HDF5 files are not supported)")
	}
	out := map[string]*matVar{}
	if err := parseMATElements(b[128:], order, out, 0); err != nil {
		return nil, err
	}
	return out, nil
}

func parseMATElements(b []byte, order binary.ByteOrder, out map[string]*matVar, depth int) error {
	if depth > 2 {
		return errors.New("MAT: compressed elements nested too deeply")
	}
	for len(b) > 0 {
		typ, data, rest, err := matElement(b, order)
		if err != nil {
			return err
		}
		b = rest
		switch typ {
		case miCOMPRESSED:
			zr, err := zlib.NewReader(bytes.NewReader(data))
			if err != nil {
				return fmt.Errorf("MAT compressed element: %w", err)
			}
			inner, err := io.ReadAll(io.LimitReader(zr, maxFileBytes))
			if err != nil {
				return fmt.Errorf("MAT compressed element: %w", err)
			}
			if err := parseMATElements(inner, order, out, depth+1); err != nil {
				return err
			}
		case miMATRIX:
			v, err := parseMATMatrix(data, order)
			if err != nil {
				return err
			}
			if v != nil {
				out[v.Name] = v
			}
		}
	}
	return nil
}

// matElement splits one data element off b.
func matElement(b []byte, order binary.ByteOrder) (typ int, data, rest []byte, err error) {
	if len(b) < 8 {
		return 0, nil, nil, fmt.Errorf("MAT element tag: %w", errTruncated)
	}
	w := order.Uint32(b)
	if w>>16 != 0 { // small data element
		n := int(w >> 16)
		if n > 4 {
			return 0, nil, nil, fmt.Errorf("MAT small element of %d bytes", n)
		}
		return int(w & 0xffff), b[4 : 4+n], b[8:], nil
	}
	typ = int(w)
	n := int(order.Uint32(b[4:]))
	if n > len(b)-8 {
		return 0, nil, nil, fmt.Errorf("MAT element of %d bytes, %d left: %w", n, len(b)-8, errTruncated)
	}
	data = b[8 : 8+n]
	end := 8 + n
	if typ != miCOMPRESSED {
		end = 8 + (n+7)/8*8
		if end > len(b) {
			end = len(b)
		}
	}
	return typ, data, b[end:], nil
}

// parseMATMatrix parses a miMATRIX element body; it returns nil for arrays
// that are not numeric (cell, struct, sparse, char...).
func parseMATMatrix(b []byte, order binary.ByteOrder) (*matVar, error) {
	typ, flags, b, err := matElement(b, order)
	if err != nil {
		return nil, err
	}
	if typ != miUINT32 || len(flags) < 8 {
		return nil, errors.New("MAT matrix: bad array flags")
	}
	class := int(order.Uint32(flags) & 0xff)
	if class < 6 || class > 15 { // 6 double ... 15 uint64; others are not numeric
		return nil, nil
	}
	complexFlag := order.Uint32(flags)&0x0800 != 0
	typ, dimb, b, err := matElement(b, order)
	if err != nil {
		return nil, err
	}
	if typ != miINT32 || len(dimb) < 8 || len(dimb)%4 != 0 {
		return nil, errors.New("MAT matrix: bad dimensions")
	}
	v := &matVar{Class: class, order: order}
	n := 1
	for k := 0; k < len(dimb); k += 4 {
		d := int(int32(order.Uint32(dimb[k:])))
		if d < 0 || (d > 0 && n > maxFileBytes/d) {
			return nil, errors.New("MAT matrix: bad dimensions")
		}
		v.Dims = append(v.Dims, d)
		n *= d
	}
	typ, name, b, err := matElement(b, order)
	if err != nil {
		return nil, err
	}
	if typ != miINT8 {
		return nil, errors.New("MAT matrix: bad array name")
	}
	v.Name = string(name)
	typ, real, _, err := matElement(b, order)
	if err != nil {
		return nil, fmt.Errorf("MAT matrix %q: %w", v.Name, err)
	}
	sz := matTypeSize(typ)
	if sz == 0 {
		return nil, fmt.Errorf("MAT matrix %q: element type %d not supported", v.Name, typ)
	}
	if len(real) != n*sz {
		return nil, fmt.Errorf("MAT matrix %q: dimensions %v need %d elements, data has %d bytes: %w", v.Name, v.Dims, n, len(real), errTruncated)
	}
	_ = complexFlag // the imaginary part, if any, is ignored
	v.Type, v.Raw = typ, real
	return v, nil
}

// decodeSVHN builds a Dataset from a parsed SVHN cropped-digits file:
// X is H x W x 3 x N (column-major) and y is N x 1 with labels 1..10, where
// 10 means digit 0.
func decodeSVHN(name string, vars map[string]*matVar) (*Dataset, error) {
	x, ok := vars["X"]
	if !ok {
		return nil, fmt.Errorf("%s: no variable X", name)
	}
	y, ok := vars["y"]
	if !ok {
		return nil, fmt.Errorf("%s: no variable y", name)
	}
	if len(x.Dims) != 4 || x.Dims[2] != 3 {
		return nil, fmt.Errorf("%s: X has dimensions %v, want H x W x 3 x N", name, x.Dims)
	}
	h, w, c, n := x.Dims[0], x.Dims[1], x.Dims[2], x.Dims[3]
	if y.count() != n {
		return nil, fmt.Errorf("%s: y has %d labels for %d images", name, y.count(), n)
	}
	if n == 0 || h == 0 || w == 0 {
		return nil, fmt.Errorf("%s: no images", name)
	}
	ds := &Dataset{Name: "svhn", Format: "svhn", Path: name, C: c, H: h, W: w,
		Pixels: make([]uint8, n*c*h*w), Labels: make([]int32, n)}
	for i := 0; i < n; i++ {
		l := y.at(i)
		if l != math.Trunc(l) || l < 0 || l > 10 {
			return nil, fmt.Errorf("%s: label %v of image %d is not 0..10", name, l, i)
		}
		if l == 10 {
			l = 0
		}
		ds.Labels[i] = int32(l)
	}
	plane := h * w
	for i := 0; i < n; i++ {
		for ch := 0; ch < c; ch++ {
			dst := ds.Pixels[(i*c+ch)*plane : (i*c+ch+1)*plane]
			base := (i*c + ch) * plane // column-major: X(r, col, ch, i) at r + h*col + plane*ch + plane*c*i
			for r := 0; r < h; r++ {
				for col := 0; col < w; col++ {
					j := base + r + h*col
					if x.Type == miUINT8 {
						dst[r*w+col] = x.Raw[j]
					} else {
						dst[r*w+col] = toByte(float32(x.at(j)))
					}
				}
			}
		}
	}
	for d := 0; d < 10; d++ {
		ds.ClassNames = append(ds.ClassNames, fmt.Sprint(d))
	}
	if err := ds.Index(); err != nil {
		return nil, err
	}
	return ds, nil
}

func readSVHN(path string, opt Options) (*Dataset, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	vars, err := parseMAT(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	ds, err := decodeSVHN(path, vars)
	if err != nil {
		return nil, err
	}
	return resizeIfAsked(ds, opt)
}
