package datasets

import (
	"bytes"
	"testing"
)

// The fuzz targets run their seed corpus under `go test`; run
// `go test -fuzz FuzzX ./datasets/` to explore further.

func fuzzNpz(b []byte) error {
	zr, err := zipFromBytes(b)
	if err != nil {
		return err
	}
	if _, ok := npzMember(zr, "images.npy"); ok {
		_, err = readOmniglotNpz("fuzz.npz", zr, Options{Workers: 2})
		return err
	}
	_, err = readImageNetNpz("fuzz.npz", zr, Options{})
	return err
}

func fuzzMAT(b []byte) error {
	vars, err := parseMAT(b)
	if err != nil {
		return err
	}
	_, err = decodeSVHN("fuzz.mat", vars)
	return err
}

func FuzzNpy(f *testing.F) {
	f.Add(npyBytes("<i8", []int{2, 3}, make([]byte, 48)))
	f.Add(npyBytes("|b1", []int{4}, []byte{0, 255, 0, 255}))
	f.Add(npyBytes(">i4", []int{1}, []byte{0, 0, 0, 1}))
	f.Add([]byte("\x93NUMPY\x02\x00\x10\x00\x00\x00{'descr': '|u1'}"))
	f.Fuzz(func(t *testing.T, b []byte) {
		a, err := readNpy(bytes.NewReader(b), 1<<20)
		if err == nil {
			n, _ := a.count()
			for j := 0; j < n; j++ {
				a.int64At(j)
			}
		}
	})
}

func FuzzNpz(f *testing.F) {
	f.Add(omniglotNpzFixture(f, 2, 2))
	f.Add(imagenetNpzFixture(f, 3, 2))
	f.Add(zipBytes(f, []string{"images.npy"}, [][]byte{npyBytes("|b1", []int{2, 3, 3}, make([]byte, 18))}))
	f.Add(zipBytes(f, []string{"images.npy", "labels.npy"}, [][]byte{npyBytes("|b1", []int{2, 3, 3}, make([]byte, 18)), npyBytes("<i8", []int{2}, make([]byte, 16))}))
	f.Fuzz(func(t *testing.T, b []byte) {
		fuzzNpz(b)
	})
}

func FuzzIDX(f *testing.F) {
	img, lbl := idxFixture(4)
	f.Add(img, lbl)
	f.Add(gzipBytes(img), lbl)
	f.Add(img[:10], lbl[:5])
	f.Fuzz(func(t *testing.T, img, lbl []byte) {
		a, err1 := gunzipIfNeeded(img)
		b, err2 := gunzipIfNeeded(lbl)
		if err1 != nil || err2 != nil {
			return
		}
		ds, err := decodeIDXPair("fuzz-images", a, "fuzz-labels", b)
		if err == nil {
			ds.Info()
		}
	})
}

func FuzzCIFARBin(f *testing.F) {
	f.Add(cifarBinFixture(2, 0))
	f.Add(cifarBinFixture(1, 3)[:100])
	f.Fuzz(func(t *testing.T, b []byte) {
		ds := newCIFAR("fuzz", "cifar-bin")
		if decodeCIFARBin(ds, "fuzz.bin", b) == nil {
			if err := ds.Index(); err != nil {
				t.Fatal(err)
			}
		}
	})
}

func FuzzMAT(f *testing.F) {
	f.Add(svhnFixture(3, 2, 4, false))
	f.Add(svhnFixture(3, 2, 4, true))
	f.Add(svhnFixture(2, 2, 1, true)[:150])
	f.Fuzz(func(t *testing.T, b []byte) {
		fuzzMAT(b)
	})
}
