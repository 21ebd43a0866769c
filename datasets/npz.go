package datasets

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
)

// NpyArray is one array of a NumPy .npz archive: its member name (without
// ".npy"), its dtype descr ("|u1", "<i8", ...), its shape and its elements'
// raw bytes in C order (little-endian for multi-byte types).
type NpyArray struct {
	Name  string
	Descr string
	Shape []int
	Data  []byte
}

// Uint8Array is an NpyArray of dtype uint8 ("|u1") holding v (shared, not
// copied) with the given shape.
func Uint8Array(name string, v []uint8, shape ...int) NpyArray {
	return NpyArray{Name: name, Descr: "|u1", Shape: shape, Data: v}
}

// Float32Array is an NpyArray of dtype little-endian float32 ("<f4")
// holding v with the given shape.
func Float32Array(name string, v []float32, shape ...int) NpyArray {
	b := make([]byte, 4*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(x))
	}
	return NpyArray{Name: name, Descr: "<f4", Shape: shape, Data: b}
}

// Int64Array is an NpyArray of dtype little-endian int64 ("<i8") holding v
// with the given shape.
func Int64Array(name string, v []int64, shape ...int) NpyArray {
	b := make([]byte, 8*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint64(b[8*i:], uint64(x))
	}
	return NpyArray{Name: name, Descr: "<i8", Shape: shape, Data: b}
}

// Int64s returns the elements of an integer or bool array widened to int64.
func (a NpyArray) Int64s() ([]int64, error) {
	arr := npyArray{npyHeader: npyHeader{Descr: a.Descr, Shape: a.Shape}, Raw: a.Data}
	sz, ok := arr.itemSize()
	if !ok {
		return nil, fmt.Errorf("npy %s: dtype %q is not an integer type", a.Name, a.Descr)
	}
	out := make([]int64, len(a.Data)/sz)
	for j := range out {
		out[j] = arr.int64At(j)
	}
	return out, nil
}

// Float32s returns the elements of a little-endian float32 array.
func (a NpyArray) Float32s() ([]float32, error) {
	if a.Descr != "<f4" {
		return nil, fmt.Errorf("npy %s: dtype %q is not <f4", a.Name, a.Descr)
	}
	out := make([]float32, len(a.Data)/4)
	for j := range out {
		out[j] = math.Float32frombits(binary.LittleEndian.Uint32(a.Data[4*j:]))
	}
	return out, nil
}

// descrSize is the element size of the dtypes an archive may hold: those
// the readers take (npyHeader.itemSize) and little-endian float32 and
// float64.
func descrSize(descr string) (int, bool) {
	switch descr {
	case "<f4":
		return 4, true
	case "<f8":
		return 8, true
	}
	return npyHeader{Descr: descr}.itemSize()
}

// encodeNpy encodes a as a version 1.0 .npy file: the magic, the version, the
// header length and the header dict padded with spaces and a newline so that
// the data starts at a multiple of 64 bytes.
func encodeNpy(a NpyArray) ([]byte, error) {
	n := 1
	dims := make([]string, len(a.Shape))
	for i, d := range a.Shape {
		if d < 0 {
			return nil, fmt.Errorf("npy %s: negative dimension in shape %v", a.Name, a.Shape)
		}
		n *= d
		dims[i] = strconv.Itoa(d)
	}
	shape := "(" + strings.Join(dims, ", ") + ")"
	if len(dims) == 1 {
		shape = "(" + dims[0] + ",)"
	}
	sz, ok := descrSize(a.Descr)
	if !ok {
		return nil, fmt.Errorf("npy %s: dtype %q not supported", a.Name, a.Descr)
	}
	if n*sz != len(a.Data) {
		return nil, fmt.Errorf("npy %s: shape %v needs %d bytes, have %d", a.Name, a.Shape, n*sz, len(a.Data))
	}
	dict := fmt.Sprintf("{'descr': '%s', 'fortran_order': False, 'shape': %s, }", a.Descr, shape)
	const pre = 10 // magic (6), version (2), header length (2)
	for (pre+len(dict)+1)%64 != 0 {
		dict += " "
	}
	dict += "\n"
	if len(dict) > 1<<16-1 {
		return nil, fmt.Errorf("npy %s: header of %d bytes too long", a.Name, len(dict))
	}
	var b bytes.Buffer
	b.Grow(pre + len(dict) + len(a.Data))
	b.WriteString("\x93NUMPY\x01\x00")
	binary.Write(&b, binary.LittleEndian, uint16(len(dict)))
	b.WriteString(dict)
	b.Write(a.Data)
	return b.Bytes(), nil
}

// WriteNpz writes arrays as a NumPy .npz archive (a zip of NAME.npy
// members, deflated, as numpy.savez_compressed writes it) to w.
func WriteNpz(w io.Writer, arrays []NpyArray) error {
	zw := zip.NewWriter(w)
	for _, a := range arrays {
		b, err := encodeNpy(a)
		if err != nil {
			return err
		}
		f, err := zw.CreateHeader(&zip.FileHeader{Name: a.Name + ".npy", Method: zip.Deflate})
		if err != nil {
			return fmt.Errorf("npz member %s: %w", a.Name, err)
		}
		if _, err := f.Write(b); err != nil {
			return fmt.Errorf("npz member %s: %w", a.Name, err)
		}
	}
	if err := zw.Close(); err != nil {
		return fmt.Errorf("npz: %w", err)
	}
	return nil
}

// ReadNpz reads every array of a .npz archive of size bytes (integer, bool,
// and little-endian float32 and float64 arrays; another type is an error),
// each of at most maxBytes bytes, keyed by name without ".npy".
func ReadNpz(r io.ReaderAt, size int64, maxBytes int) (map[string]NpyArray, error) {
	zr, err := zip.NewReader(r, size)
	if err != nil {
		return nil, fmt.Errorf("npz: %w", err)
	}
	out := make(map[string]NpyArray, len(zr.File))
	for _, f := range zr.File {
		name, ok := strings.CutSuffix(f.Name, ".npy")
		if !ok {
			continue
		}
		a, err := readNpzArray(f, maxBytes)
		if err != nil {
			return nil, fmt.Errorf("npz member %s: %w", f.Name, err)
		}
		a.Name = name
		out[name] = a
	}
	return out, nil
}

// readNpzArray reads one C-order member of an archive.
func readNpzArray(f *zip.File, maxBytes int) (NpyArray, error) {
	rc, br, err := openNpzMember(f)
	if err != nil {
		return NpyArray{}, err
	}
	defer rc.Close()
	h, err := readNpyHeader(br)
	if err != nil {
		return NpyArray{}, err
	}
	sz, ok := descrSize(h.Descr)
	if !ok || (h.Fortran && len(h.Shape) > 1) {
		return NpyArray{}, fmt.Errorf("npy dtype %q (fortran order %v) not supported", h.Descr, h.Fortran)
	}
	n, err := h.count()
	if err != nil {
		return NpyArray{}, err
	}
	if n*sz > maxBytes {
		return NpyArray{}, fmt.Errorf("npy array of %d bytes exceeds the limit %d", n*sz, maxBytes)
	}
	data, err := readExactly(br, n*sz)
	if err != nil {
		return NpyArray{}, fmt.Errorf("npy data: %w", err)
	}
	return NpyArray{Descr: h.Descr, Shape: h.Shape, Data: data}, nil
}
