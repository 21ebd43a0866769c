package datasets

import (
	"bytes"
	"slices"
	"testing"
)

// TestNpzRoundTrip: arrays written by WriteNpz read back with the package's
// reader: names, dtypes, shapes and elements; every header is padded so the
// data starts at a multiple of 64 bytes.
func TestNpzRoundTrip(t *testing.T) {
	in := []NpyArray{
		Uint8Array("images", []uint8{0, 1, 2, 255, 128, 7}, 1, 2, 3),
		Int64Array("labels", []int64{-1, 0, 1 << 40}, 3),
		Int64Array("empty", nil, 0, 4),
		Uint8Array("scalar", []uint8{9}),
		Float32Array("weights", []float32{1.5, -2, 3e-8}, 3, 1),
	}
	var buf bytes.Buffer
	if err := WriteNpz(&buf, in); err != nil {
		t.Fatal(err)
	}
	got, err := ReadNpz(bytes.NewReader(buf.Bytes()), int64(buf.Len()), 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(in) {
		t.Fatalf("%d arrays read back, want %d", len(got), len(in))
	}
	for _, a := range in {
		b := got[a.Name]
		if b.Descr != a.Descr || !slices.Equal(b.Shape, a.Shape) || !bytes.Equal(b.Data, a.Data) {
			t.Fatalf("%s: read back %s %v %v, wrote %s %v %v", a.Name, b.Descr, b.Shape, b.Data, a.Descr, a.Shape, a.Data)
		}
		enc, err := encodeNpy(a)
		if err != nil {
			t.Fatal(err)
		}
		if off := len(enc) - len(a.Data); off%64 != 0 {
			t.Fatalf("%s: data starts at byte %d", a.Name, off)
		}
	}
	v, err := got["labels"].Int64s()
	if err != nil || !slices.Equal(v, []int64{-1, 0, 1 << 40}) {
		t.Fatalf("labels %v, %v", v, err)
	}
	w, err := got["weights"].Float32s()
	if err != nil || !slices.Equal(w, []float32{1.5, -2, 3e-8}) {
		t.Fatalf("weights %v, %v", w, err)
	}
}

// TestNpzWriteErrors: a shape that does not match the data, and a dtype the
// package does not know, are refused.
func TestNpzWriteErrors(t *testing.T) {
	for _, a := range []NpyArray{
		Uint8Array("short", []uint8{1, 2}, 3),
		{Name: "half", Descr: "<f2", Shape: []int{1}, Data: make([]byte, 2)},
	} {
		if err := WriteNpz(&bytes.Buffer{}, []NpyArray{a}); err == nil {
			t.Fatalf("%s: no error", a.Name)
		}
	}
}
