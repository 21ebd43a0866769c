package datasets

import (
	"archive/zip"
	"bytes"
	"compress/gzip"
	"compress/zlib"
	"encoding/binary"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"testing"
)

// Small fixtures written by the tests themselves, for the formats with no
// real data in ../shared/data and as fuzz seeds.

// npyBytes encodes a C-order .npy v1 array (encodeNpy, panicking on a
// shape that does not match the data).
func npyBytes(descr string, shape []int, data []byte) []byte {
	b, err := encodeNpy(NpyArray{Name: "fixture", Descr: descr, Shape: shape, Data: data})
	if err != nil {
		panic(err)
	}
	return b
}

// zipBytes builds a zip archive of deflated members, in the given order.
func zipBytes(t testing.TB, names []string, members [][]byte) []byte {
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	for i, n := range names {
		w, err := zw.Create(n)
		if err != nil {
			t.Fatal(err)
		}
		w.Write(members[i])
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// omniglotDrawing returns a 105x105 drawing in background polarity
// (0xFF = background, 0 = ink) with an ink square whose position depends on
// (c, s).
func omniglotDrawing(c, s int) []byte {
	img := bytes.Repeat([]byte{0xFF}, 105*105)
	x0, y0 := 4*c+s, 10*s
	for y := y0; y < y0+20; y++ {
		for x := x0; x < x0+8; x++ {
			img[y*105+x] = 0
		}
	}
	return img
}

// omniglotNpzFixture builds an npz of classes x drawings 105x105 drawings.
func omniglotNpzFixture(t testing.TB, classes, drawings int) []byte {
	var data []byte
	labels := make([]byte, 0, classes*drawings*8)
	for c := 0; c < classes; c++ {
		for s := 0; s < drawings; s++ {
			data = append(data, omniglotDrawing(c, s)...)
			labels = binary.LittleEndian.AppendUint64(labels, uint64(c))
		}
	}
	return zipBytes(t, []string{"images.npy", "labels.npy"}, [][]byte{
		npyBytes("|b1", []int{classes, drawings, 105, 105}, data),
		npyBytes("<i8", []int{classes, drawings}, labels),
	})
}

// pngGray encodes a grayscale image (0 = ink, 255 = background).
func pngGray(t testing.TB, pix []byte, w, h int) []byte {
	img := image.NewGray(image.Rect(0, 0, w, h))
	for i, p := range pix {
		img.Pix[i] = p
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// writeOmniglotTree writes root/images_background/<Alpha>/characterNN/*.png.
func writeOmniglotTree(t testing.TB, root string) {
	for _, a := range []struct {
		name  string
		chars int
	}{{"Alpha", 2}, {"Beta", 1}} {
		for c := 0; c < a.chars; c++ {
			dir := filepath.Join(root, "images_background", a.name, fmt.Sprintf("character%02d", c+1))
			if err := os.MkdirAll(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			for s := 0; s < 3; s++ {
				p := filepath.Join(dir, fmt.Sprintf("%04d_%02d.png", c+1, s+1))
				if err := os.WriteFile(p, pngGray(t, omniglotDrawing(c, s), 105, 105), 0o644); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
}

// idxBytes encodes an IDX ubyte array.
func idxBytes(dims []int, data []byte) []byte {
	var b bytes.Buffer
	b.Write([]byte{0, 0, 8, byte(len(dims))})
	for _, d := range dims {
		binary.Write(&b, binary.BigEndian, uint32(d))
	}
	b.Write(data)
	return b.Bytes()
}

func gzipBytes(b []byte) []byte {
	var o bytes.Buffer
	zw := gzip.NewWriter(&o)
	zw.Write(b)
	zw.Close()
	return o.Bytes()
}

// idxFixture returns images (n x 4 x 5) and labels (i % 3).
func idxFixture(n int) (img, lbl []byte) {
	pix := make([]byte, n*20)
	lab := make([]byte, n)
	for i := range pix {
		pix[i] = byte(i * 7)
	}
	for i := range lab {
		lab[i] = byte(i % 3)
	}
	return idxBytes([]int{n, 4, 5}, pix), idxBytes([]int{n}, lab)
}

// cifarBinFixture returns n CIFAR-10 records with label i%10 and pixel bytes
// (i + j) mod 256.
func cifarBinFixture(n, off int) []byte {
	var b []byte
	for i := 0; i < n; i++ {
		b = append(b, byte((i+off)%10))
		for j := 0; j < 3072; j++ {
			b = append(b, byte(i+off+j))
		}
	}
	return b
}

// matElement encodes a MAT v5 data element (padded to 8 bytes).
func matElem(typ int, data []byte) []byte {
	var b bytes.Buffer
	binary.Write(&b, binary.LittleEndian, uint32(typ))
	binary.Write(&b, binary.LittleEndian, uint32(len(data)))
	b.Write(data)
	for b.Len()%8 != 0 {
		b.WriteByte(0)
	}
	return b.Bytes()
}

// matMatrix encodes a miMATRIX of the given class with data of element type.
func matMatrix(name string, class int, dims []int, typ int, data []byte) []byte {
	flags := make([]byte, 8)
	binary.LittleEndian.PutUint32(flags, uint32(class))
	var d []byte
	for _, x := range dims {
		d = binary.LittleEndian.AppendUint32(d, uint32(x))
	}
	var body []byte
	body = append(body, matElem(miUINT32, flags)...)
	body = append(body, matElem(miINT32, d)...)
	body = append(body, matElem(miINT8, []byte(name))...)
	body = append(body, matElem(typ, data)...)
	return matElem(miMATRIX, body)
}

// svhnFixture builds a MAT v5 file with X (h x w x 3 x n uint8) where
// X(r, c, ch, i) = r + 3*c + 50*ch + 7*i, and y (n x 1 double stored as
// uint8) with labels 1..10 cycling. compressed wraps each matrix in a
// miCOMPRESSED element.
func svhnFixture(h, w, n int, compressed bool) []byte {
	x := make([]byte, h*w*3*n)
	for i := 0; i < n; i++ {
		for ch := 0; ch < 3; ch++ {
			for c := 0; c < w; c++ {
				for r := 0; r < h; r++ {
					x[r+h*c+h*w*ch+h*w*3*i] = byte(r + 3*c + 50*ch + 7*i)
				}
			}
		}
	}
	y := make([]byte, n)
	for i := range y {
		y[i] = byte(i%10 + 1)
	}
	hdr := make([]byte, 128)
	copy(hdr, "MATLAB 5.0 MAT-file, test fixture")
	for i := 33; i < 116; i++ {
		hdr[i] = ' '
	}
	binary.LittleEndian.PutUint16(hdr[124:], 0x0100)
	copy(hdr[126:], "IM")
	out := append([]byte(nil), hdr...)
	for _, m := range [][]byte{
		matMatrix("X", 9 /* mxUINT8_CLASS */, []int{h, w, 3, n}, miUINT8, x),
		matMatrix("y", 6 /* mxDOUBLE_CLASS */, []int{n, 1}, miUINT8, y),
	} {
		if compressed {
			var z bytes.Buffer
			zw := zlib.NewWriter(&z)
			zw.Write(m)
			zw.Close()
			var e []byte
			e = binary.LittleEndian.AppendUint32(e, miCOMPRESSED)
			e = binary.LittleEndian.AppendUint32(e, uint32(z.Len()))
			out = append(append(out, e...), z.Bytes()...)
			continue
		}
		out = append(out, m...)
	}
	return out
}

// imagenetNpzFixture: n images of 3 x s x s, labels 1-based (i%3)+2.
func imagenetNpzFixture(t testing.TB, n, s int) []byte {
	data := make([]byte, n*3*s*s)
	for i := range data {
		data[i] = byte(i)
	}
	var lab []byte
	for i := 0; i < n; i++ {
		lab = binary.LittleEndian.AppendUint64(lab, uint64(i%3+2))
	}
	return zipBytes(t, []string{"data.npy", "labels.npy"}, [][]byte{
		npyBytes("|u1", []int{n, 3 * s * s}, data),
		npyBytes("<i8", []int{n}, lab),
	})
}

// solidRGB returns a w x h image of one color.
func solidRGB(w, h int, c color.RGBA) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			img.SetRGBA(x, y, c)
		}
	}
	return img
}
