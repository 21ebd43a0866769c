// Package testfixture writes small datasets in real formats for tests.
package testfixture

import (
	"bytes"
	"encoding/binary"
	"os"
	"path/filepath"
	"testing"
)

// WriteIDX writes a 10-class grey IDX dataset (train and t10k) of n images
// per class: class c is a bright square at position c.
func WriteIDX(t testing.TB, dir string, n int) {
	t.Helper()
	for _, split := range []string{"train", "t10k"} {
		var img, lbl bytes.Buffer
		N := 10 * n
		binary.Write(&img, binary.BigEndian, []uint32{0x803, uint32(N), 28, 28})
		binary.Write(&lbl, binary.BigEndian, []uint32{0x801, uint32(N)})
		for i := 0; i < N; i++ {
			c := i % 10
			px := make([]byte, 28*28)
			for y := 0; y < 28; y++ {
				for x := 0; x < 28; x++ {
					if y/7 == c/4 && x/7 == c%4 {
						px[y*28+x] = 255
					} else {
						px[y*28+x] = byte((i*31 + x*7 + y*13) % 60)
					}
				}
			}
			img.Write(px)
			lbl.WriteByte(byte(c))
		}
		write(t, filepath.Join(dir, split+"-images-idx3-ubyte"), img.Bytes())
		write(t, filepath.Join(dir, split+"-labels-idx1-ubyte"), lbl.Bytes())
	}
}

func write(t testing.TB, path string, b []byte) {
	t.Helper()
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}
