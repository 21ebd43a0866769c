package datasets

import (
	"archive/zip"
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// npyHeader is the parsed header of a .npy array.
type npyHeader struct {
	Descr   string // e.g. "|b1", "<i8", "|u1"
	Fortran bool
	Shape   []int
}

// itemSize returns the byte size of one element and whether the descr is a
// supported integer/bool type.
func (h npyHeader) itemSize() (int, bool) {
	if len(h.Descr) != 3 {
		return 0, false
	}
	switch h.Descr[1] {
	case 'b', 'u', 'i':
	default:
		return 0, false
	}
	n := int(h.Descr[2] - '0')
	switch n {
	case 1, 2, 4, 8:
		if n > 1 && h.Descr[0] != '<' && h.Descr[0] != '>' {
			return 0, false
		}
		return n, true
	}
	return 0, false
}

// count returns the number of elements, or an error on overflow.
func (h npyHeader) count() (int, error) {
	n := 1
	for _, d := range h.Shape {
		if d < 0 || (d > 0 && n > (1<<40)/d) {
			return 0, fmt.Errorf("shape %v too large", h.Shape)
		}
		n *= d
	}
	return n, nil
}

// readNpyHeader reads the magic, version and header dict of a .npy stream.
//
//	"\x93NUMPY" major minor HEADER_LEN(uint16 LE for v1, uint32 LE for v2/v3) dict-text
func readNpyHeader(r io.Reader) (npyHeader, error) {
	var h npyHeader
	var pre [8]byte
	if _, err := io.ReadFull(r, pre[:]); err != nil {
		return h, fmt.Errorf("npy header: %w", errTruncated)
	}
	if string(pre[:6]) != "\x93NUMPY" {
		return h, errors.New("not a .npy array (bad magic)")
	}
	var hlen int
	switch pre[6] {
	case 1:
		var b [2]byte
		if _, err := io.ReadFull(r, b[:]); err != nil {
			return h, fmt.Errorf("npy header: %w", errTruncated)
		}
		hlen = int(binary.LittleEndian.Uint16(b[:]))
	case 2, 3:
		var b [4]byte
		if _, err := io.ReadFull(r, b[:]); err != nil {
			return h, fmt.Errorf("npy header: %w", errTruncated)
		}
		hlen = int(binary.LittleEndian.Uint32(b[:]))
	default:
		return h, fmt.Errorf("npy version %d not supported", pre[6])
	}
	if hlen > 1<<16 {
		return h, fmt.Errorf("npy header length %d too large", hlen)
	}
	txt := make([]byte, hlen)
	if _, err := io.ReadFull(r, txt); err != nil {
		return h, fmt.Errorf("npy header: %w", errTruncated)
	}
	return parseNpyDict(string(txt))
}

// parseNpyDict parses the Python dict literal of a .npy header, e.g.
// {'descr': '|b1', 'fortran_order': False, 'shape': (964, 20, 105, 105), }
func parseNpyDict(s string) (npyHeader, error) {
	var h npyHeader
	s = strings.TrimSpace(s)
	if !strings.HasPrefix(s, "{") || !strings.HasSuffix(s, "}") {
		return h, errors.New("npy header is not a dict")
	}
	get := func(key string) (string, bool) {
		i := strings.Index(s, "'"+key+"'")
		if i < 0 {
			return "", false
		}
		rest := strings.TrimSpace(s[i+len(key)+2:])
		if !strings.HasPrefix(rest, ":") {
			return "", false
		}
		return strings.TrimSpace(rest[1:]), true
	}
	v, ok := get("descr")
	if !ok || len(v) < 2 || v[0] != '\'' {
		return h, errors.New("npy header has no descr")
	}
	end := strings.IndexByte(v[1:], '\'')
	if end < 0 {
		return h, errors.New("npy header descr unterminated")
	}
	h.Descr = v[1 : 1+end]
	v, ok = get("fortran_order")
	if !ok {
		return h, errors.New("npy header has no fortran_order")
	}
	h.Fortran = strings.HasPrefix(v, "True")
	v, ok = get("shape")
	if !ok || !strings.HasPrefix(v, "(") {
		return h, errors.New("npy header has no shape")
	}
	end = strings.IndexByte(v, ')')
	if end < 0 {
		return h, errors.New("npy header shape unterminated")
	}
	for _, f := range strings.Split(v[1:end], ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		f = strings.TrimSuffix(f, "L")
		d, err := strconv.Atoi(f)
		if err != nil || d < 0 {
			return h, fmt.Errorf("npy header shape %q invalid", v[:end+1])
		}
		h.Shape = append(h.Shape, d)
	}
	return h, nil
}

// npyArray is a fully read array whose elements are widened to int64.
type npyArray struct {
	npyHeader
	Raw []byte // the raw element bytes (len = count*itemSize)
}

// int64At returns element j as an int64 (bool and integer types).
func (a *npyArray) int64At(j int) int64 {
	sz, _ := a.itemSize()
	b := a.Raw[j*sz : (j+1)*sz]
	big := a.Descr[0] == '>'
	signed := a.Descr[1] == 'i'
	var u uint64
	switch sz {
	case 1:
		if signed {
			return int64(int8(b[0]))
		}
		return int64(b[0])
	case 2:
		if big {
			u = uint64(binary.BigEndian.Uint16(b))
		} else {
			u = uint64(binary.LittleEndian.Uint16(b))
		}
		if signed {
			return int64(int16(u))
		}
	case 4:
		if big {
			u = uint64(binary.BigEndian.Uint32(b))
		} else {
			u = uint64(binary.LittleEndian.Uint32(b))
		}
		if signed {
			return int64(int32(u))
		}
	case 8:
		if big {
			u = binary.BigEndian.Uint64(b)
		} else {
			u = binary.LittleEndian.Uint64(b)
		}
	}
	return int64(u)
}

// readNpy reads a whole .npy array of a supported type, refusing arrays of
// more than maxBytes bytes.
func readNpy(r io.Reader, maxBytes int) (*npyArray, error) {
	h, err := readNpyHeader(r)
	if err != nil {
		return nil, err
	}
	sz, ok := h.itemSize()
	if !ok {
		return nil, fmt.Errorf("npy dtype %q not supported", h.Descr)
	}
	if h.Fortran && len(h.Shape) > 1 {
		return nil, errors.New("npy fortran_order arrays not supported")
	}
	n, err := h.count()
	if err != nil {
		return nil, err
	}
	if n*sz > maxBytes {
		return nil, fmt.Errorf("npy array of %d bytes exceeds the limit %d", n*sz, maxBytes)
	}
	a := &npyArray{npyHeader: h}
	a.Raw, err = readExactly(r, n*sz)
	if err != nil {
		return nil, fmt.Errorf("npy data: %w", err)
	}
	return a, nil
}

// readExactly reads n bytes, growing the buffer as data arrives so that a
// lying header cannot force a huge allocation.
func readExactly(r io.Reader, n int) ([]byte, error) {
	const chunk = 1 << 20
	if n <= chunk {
		b := make([]byte, n)
		if _, err := io.ReadFull(r, b); err != nil {
			return nil, errTruncated
		}
		return b, nil
	}
	var buf bytes.Buffer
	buf.Grow(chunk)
	got, err := io.CopyN(&buf, r, int64(n))
	if err != nil || int(got) != n {
		return nil, errTruncated
	}
	return buf.Bytes(), nil
}

// npzMember opens the member name (e.g. "images.npy") of a .npz archive.
func npzMember(zr *zip.Reader, name string) (*zip.File, bool) {
	for _, f := range zr.File {
		if f.Name == name {
			return f, true
		}
	}
	return nil, false
}

// openNpzMember returns a buffered reader over the member's uncompressed bytes.
func openNpzMember(f *zip.File) (io.ReadCloser, *bufio.Reader, error) {
	rc, err := f.Open()
	if err != nil {
		return nil, nil, err
	}
	return rc, bufio.NewReaderSize(rc, 1<<16), nil
}
