package datasets

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"image/color"
	"image/jpeg"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// sharedData returns ../shared/data relative to the module root (or
// $METABENCH_SHARED). It skips the test when absent, and fails under CI=true.
func sharedData(t *testing.T, sub string) string {
	t.Helper()
	dir := os.Getenv("METABENCH_SHARED")
	if dir == "" {
		wd, err := os.Getwd()
		if err != nil {
			t.Fatal(err)
		}
		for d := wd; ; d = filepath.Dir(d) {
			if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
				dir = filepath.Join(d, "..", "shared", "data")
				break
			}
			if filepath.Dir(d) == d {
				break
			}
		}
	}
	p := filepath.Join(dir, sub)
	if _, err := os.Stat(p); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("shared data %s missing (CI=true requires ../shared/data or METABENCH_SHARED): %v", p, err)
		}
		t.Skipf("shared data %s not present (set METABENCH_SHARED to run this test)", p)
	}
	return p
}

func TestEmbeddedDefault(t *testing.T) {
	sum := sha256.Sum256([]byte(defaultOmniglot))
	if got := hex.EncodeToString(sum[:]); got != "8bf84167413cd00beacdce3fe582f780ab538d8dbef043a6d688f2527bbce199" {
		t.Fatalf("embedded npz sha256 %s differs from PROVENANCE.md", got)
	}
	ds, err := OpenDefault(Options{})
	if err != nil {
		t.Fatal(err)
	}
	in := ds.Info()
	if in.Classes != 964 || in.Images != 19280 || in.MinPerClass != 20 || in.MaxPerClass != 20 || in.Height != 28 || in.Width != 28 || in.Channels != 1 {
		t.Fatalf("info %+v", in)
	}
	if len(in.Groups) != 30 {
		t.Fatalf("%d alphabets, want 30", len(in.Groups))
	}
	// Ids from PROVENANCE.md: 394 = Greek/character01, 709 = Alphabet_of_the_Magi/character01.
	if ds.ClassNames[393] != "Greek/character01" || ds.ClassNames[708] != "Alphabet_of_the_Magi/character01" || ds.ClassGroups[963] != "Tifinagh" {
		t.Fatalf("class names %q %q %q", ds.ClassNames[393], ds.ClassNames[708], ds.ClassGroups[963])
	}
	// Ink polarity: strokes are sparse, so ink (255) covers a minority and corners are background (0).
	var sum64 int
	for _, p := range ds.Pixels {
		sum64 += int(p)
	}
	mean := float64(sum64) / float64(len(ds.Pixels))
	if mean < 5 || mean > 80 {
		t.Fatalf("mean pixel %.1f: polarity looks inverted", mean)
	}
	for i := 0; i < ds.Len(); i += 97 {
		if ds.Pixels[i*784] != 0 {
			t.Fatalf("image %d corner pixel %d, want background 0", i, ds.Pixels[i*784])
		}
	}
	dst := make([]float32, 784)
	ds.Image(dst, 5)
	for j, v := range dst {
		if v != float32(ds.Pixels[5*784+j])/255 {
			t.Fatal("Image is not pixel/255")
		}
	}
	// The result does not depend on the number of workers.
	one, err := OpenDefault(Options{Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(one.Pixels, ds.Pixels) {
		t.Fatal("decoding with 1 worker differs")
	}
}

// TestConcatPoolsOmniglot: the background and evaluation sets pooled are
// Vinyals et al.'s 1623 characters; the evaluation set's classes follow
// the background's with their pixels, and groups are dropped (the
// evaluation npz has none).
func TestConcatPoolsOmniglot(t *testing.T) {
	dir := sharedData(t, "omniglot")
	bg, err := Open(filepath.Join(dir, "images_background.npz"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	ev, err := Open(filepath.Join(dir, "images_evaluation.npz"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	all, err := Concat(bg, ev)
	if err != nil {
		t.Fatal(err)
	}
	if all.NumClasses() != 1623 || all.Len() != 1623*20 || all.ClassGroups != nil {
		t.Fatalf("%d classes, %d images, groups %v", all.NumClasses(), all.Len(), all.ClassGroups != nil)
	}
	for _, c := range []int{0, 963, 964, 1622} {
		src, sc := bg, c
		if c >= 964 {
			src, sc = ev, c-964
		}
		a, b := all.ClassIndices(c), src.ClassIndices(sc)
		if len(a) != len(b) || all.ClassNames[c] != src.ClassNames[sc] {
			t.Fatalf("class %d: %d images (want %d), name %q", c, len(a), len(b), all.ClassNames[c])
		}
		for s := range a {
			if !bytes.Equal(all.Pixels[a[s]*784:(a[s]+1)*784], src.Pixels[b[s]*784:(b[s]+1)*784]) {
				t.Fatalf("class %d drawing %d differs from its source", c, s)
			}
		}
	}
	small, err := Open(filepath.Join(dir, "images_background.npz"), Options{Size: 20})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Concat(bg, small); err == nil || !strings.Contains(err.Error(), "one image shape") {
		t.Fatalf("shapes 28 and 20 pooled: %v", err)
	}
	both, err := Concat(bg, bg)
	if err != nil || len(both.ClassGroups) != 2*964 {
		t.Fatalf("groups of two grouped sources: %v, %d", err, len(both.ClassGroups))
	}
}

func TestOmniglotSharedNpzAndZips(t *testing.T) {
	dir := sharedData(t, "omniglot")
	npz, err := Open(filepath.Join(dir, "images_background.npz"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if npz.Format != "omniglot-npz" || npz.NumClasses() != 964 {
		t.Fatalf("format %s, %d classes", npz.Format, npz.NumClasses())
	}
	byName := map[string]int{}
	for c, n := range npz.ClassNames {
		byName[n] = c
	}
	for _, z := range []struct {
		file    string
		classes int
	}{{"images_background_small1.zip", 136}, {"images_background_small2.zip", 156}} {
		ds, err := Open(filepath.Join(dir, z.file), Options{})
		if err != nil {
			t.Fatal(err)
		}
		if ds.Format != "omniglot-zip" || ds.NumClasses() != z.classes || ds.Len() != 20*z.classes {
			t.Fatalf("%s: format %s, %d classes, %d images", z.file, ds.Format, ds.NumClasses(), ds.Len())
		}
		// Same names, same alphabets, same pixels as the npz: checks the id ->
		// alphabet table, the polarity of both readers and the drawing order.
		for c, name := range ds.ClassNames {
			nc, ok := byName[name]
			if !ok {
				t.Fatalf("%s: class %q not in the npz", z.file, name)
			}
			if npz.ClassGroups[nc] != ds.ClassGroups[c] {
				t.Fatalf("%s: group %q vs %q", z.file, ds.ClassGroups[c], npz.ClassGroups[nc])
			}
			a, b := ds.ClassIndices(c), npz.ClassIndices(nc)
			for s := range a {
				if !bytes.Equal(ds.Pixels[a[s]*784:(a[s]+1)*784], npz.Pixels[b[s]*784:(b[s]+1)*784]) {
					t.Fatalf("%s: %s drawing %d differs from the npz", z.file, name, s)
				}
			}
		}
	}
}

func TestIDXShared(t *testing.T) {
	for _, c := range []struct {
		dir, subset string
		n           int
		first       string
	}{{"mnist", "test", 10000, "0"}, {"fashion-mnist", "t10k", 10000, "T-shirt/top"}, {"mnist", "", 60000, "0"}} {
		dir := sharedData(t, c.dir)
		ds, err := Open(dir, Options{Subset: c.subset})
		if err != nil {
			t.Fatal(err)
		}
		in := ds.Info()
		if in.Format != "idx" || in.Images != c.n || in.Classes != 10 || in.Height != 28 || in.Width != 28 || ds.ClassNames[0] != c.first {
			t.Fatalf("%s %s: %+v", c.dir, c.subset, in)
		}
	}
	dir := sharedData(t, "mnist")
	if _, err := Open("idx:"+dir, Options{Subset: "test", Size: 14}); err != nil {
		t.Fatal(err)
	}
}

func TestCIFARPNGShared(t *testing.T) {
	dir := sharedData(t, "cifar10-subset")
	tr, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	// Counts and first labels from PROVENANCE.md.
	want := []int{396, 366, 420, 384, 422, 393, 414, 385, 407, 413}
	for c, n := range want {
		if len(tr.ClassIndices(c)) != n {
			t.Fatalf("train class %d has %d images, want %d", c, len(tr.ClassIndices(c)), n)
		}
	}
	for i, l := range []int32{6, 9, 9, 4, 1, 1, 2, 7, 8, 3} {
		if tr.Labels[i] != l {
			t.Fatalf("train label %d = %d, want %d", i, tr.Labels[i], l)
		}
	}
	te, err := Open("cifar-png:"+dir, Options{Subset: "test"})
	if err != nil {
		t.Fatal(err)
	}
	if te.Len() != 1000 || te.Labels[0] != 3 || te.Labels[1] != 8 || len(te.ClassIndices(0)) != 103 {
		t.Fatalf("test: %d images, labels %v", te.Len(), te.Labels[:3])
	}
}

func TestOmniglotNpzFixturePolarity(t *testing.T) {
	b := omniglotNpzFixture(t, 3, 2)
	zr, err := zipFromBytes(b)
	if err != nil {
		t.Fatal(err)
	}
	ds, err := readOmniglotNpz("fixture.npz", zr, Options{Size: 105})
	if err != nil {
		t.Fatal(err)
	}
	if ds.NumClasses() != 3 || ds.Len() != 6 || ds.H != 105 {
		t.Fatalf("%+v", ds.Info())
	}
	for i := 0; i < 6; i++ {
		src := omniglotDrawing(i/2, i%2)
		for j, p := range src {
			want := uint8(0)
			if p == 0 {
				want = 255
			}
			if ds.Pixels[i*105*105+j] != want {
				t.Fatalf("image %d pixel %d = %d, want %d", i, j, ds.Pixels[i*105*105+j], want)
			}
		}
	}
}

func TestAreaResize(t *testing.T) {
	// 4 -> 2: plain 2x2 block means. 3 -> 2: s = 1.5, out(0) = (in0 + in1/2)/1.5.
	r := newResizer(4, 4, 2, 2)
	src := []float32{0, 4, 8, 8, 4, 0, 8, 8, 1, 1, 2, 2, 1, 1, 2, 2}
	dst := make([]float32, 4)
	r.plane(dst, src)
	for j, w := range []float32{2, 8, 1, 2} {
		if d := dst[j] - w; d > 1e-5 || d < -1e-5 {
			t.Fatalf("4->2: %v", dst)
		}
	}
	r = newResizer(1, 3, 1, 2)
	r.plane(dst[:2], []float32{3, 6, 9})
	if d := dst[0] - (3+3)/1.5; d > 1e-5 || d < -1e-5 {
		t.Fatalf("3->2: %v", dst[:2])
	}
	// 105 -> 28 keeps a constant image constant.
	a := newAxisWeights(105, 28)
	for o := 0; o < 28; o++ {
		var s float32
		for k := a.off[o]; k < a.off[o+1]; k++ {
			s += a.w[k]
		}
		if s < 0.9999 || s > 1.0001 {
			t.Fatalf("weights of output %d sum to %v", o, s)
		}
	}
}

func TestOmniglotDirFixture(t *testing.T) {
	root := t.TempDir()
	writeOmniglotTree(t, root)
	ds, err := Open(root, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if ds.Format != "omniglot-dir" || ds.NumClasses() != 3 || ds.Len() != 9 || ds.H != 28 {
		t.Fatalf("%+v", ds.Info())
	}
	if ds.ClassNames[0] != "Alpha/character01" || ds.ClassGroups[2] != "Beta" {
		t.Fatalf("names %v groups %v", ds.ClassNames, ds.ClassGroups)
	}
	// Same pixels as the npz reader on the same drawings (Alpha/character01 = class 0).
	zr, _ := zipFromBytes(omniglotNpzFixture(t, 2, 3))
	npz, err := readOmniglotNpz("f.npz", zr, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(npz.Pixels[:6*784], ds.Pixels[:6*784]) {
		t.Fatal("PNG tree and npz readers disagree")
	}
}

func writeFile(t testing.TB, p string, b []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestRotatesByDefault: Omniglot in any of its formats takes its rotations
// as classes by default; other sources do not.
func TestRotatesByDefault(t *testing.T) {
	def, err := OpenDefault(Options{})
	if err != nil {
		t.Fatal(err)
	}
	tree := t.TempDir()
	writeOmniglotTree(t, tree)
	dir, err := Open(tree, Options{})
	if err != nil {
		t.Fatal(err)
	}
	idx := t.TempDir()
	img, lbl := idxFixture(9)
	writeFile(t, filepath.Join(idx, "train-images-idx3-ubyte"), img)
	writeFile(t, filepath.Join(idx, "train-labels-idx1-ubyte"), lbl)
	digits, err := Open(idx, Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		ds   *Dataset
		want bool
	}{{def, true}, {dir, true}, {digits, false}} {
		if got := c.ds.RotatesByDefault(); got != c.want {
			t.Errorf("%s (%s): RotatesByDefault %v, want %v", c.ds.Path, c.ds.Format, got, c.want)
		}
	}
}

func TestIDXFixture(t *testing.T) {
	for _, gz := range []bool{false, true} {
		dir := t.TempDir()
		img, lbl := idxFixture(9)
		ext := ""
		if gz {
			img, lbl, ext = gzipBytes(img), gzipBytes(lbl), ".gz"
		}
		writeFile(t, filepath.Join(dir, "train-images-idx3-ubyte"+ext), img)
		writeFile(t, filepath.Join(dir, "train-labels-idx1-ubyte"+ext), lbl)
		ds, err := Open(dir, Options{})
		if err != nil {
			t.Fatal(err)
		}
		if ds.Len() != 9 || ds.H != 4 || ds.W != 5 || ds.NumClasses() != 3 || ds.Pixels[21] != byte(21*7) {
			t.Fatalf("gz=%v: %+v", gz, ds.Info())
		}
		if _, err := Open(dir, Options{Subset: "test"}); err == nil || !strings.Contains(err.Error(), dir) {
			t.Fatalf("missing test files: %v", err)
		}
	}
	dir := t.TempDir()
	img, lbl := idxFixture(9)
	writeFile(t, filepath.Join(dir, "train-images-idx3-ubyte"), img[:len(img)-3])
	writeFile(t, filepath.Join(dir, "train-labels-idx1-ubyte"), lbl)
	if _, err := Open(dir, Options{}); err == nil || !strings.Contains(err.Error(), "train-images-idx3-ubyte") || !strings.Contains(err.Error(), "truncated") {
		t.Fatalf("truncated images: %v", err)
	}
}

func TestCIFARBinFixture(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "data_batch_1.bin"), cifarBinFixture(12, 0))
	writeFile(t, filepath.Join(dir, "data_batch_2.bin"), cifarBinFixture(8, 12))
	writeFile(t, filepath.Join(dir, "test_batch.bin"), cifarBinFixture(5, 100))
	ds, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if ds.Format != "cifar-bin" || ds.Len() != 20 || ds.Labels[13] != 3 || ds.Pixels[13*3072+1024] != byte((13+1024)%256) {
		t.Fatalf("%+v", ds.Info())
	}
	te, err := Open(dir, Options{Subset: "test", Size: 16})
	if err != nil {
		t.Fatal(err)
	}
	if te.Len() != 5 || te.H != 16 {
		t.Fatalf("%+v", te.Info())
	}
	writeFile(t, filepath.Join(dir, "data_batch_2.bin"), cifarBinFixture(8, 12)[:100])
	if _, err := Open(dir, Options{}); err == nil || !strings.Contains(err.Error(), "data_batch_2.bin") {
		t.Fatalf("truncated batch: %v", err)
	}
}

func TestMiniImageNetFixture(t *testing.T) {
	dir := t.TempDir()
	colors := map[string]color.RGBA{"n01": {200, 10, 10, 255}, "n02": {10, 200, 10, 255}, "n00": {10, 10, 200, 255}}
	var csv strings.Builder
	csv.WriteString("filename,label\n")
	for _, l := range []string{"n01", "n02", "n00"} {
		for s := 0; s < 3; s++ {
			name := fmt.Sprintf("%s%08d.jpg", l, s)
			var b bytes.Buffer
			if err := jpeg.Encode(&b, solidRGB(100, 90, colors[l]), &jpeg.Options{Quality: 95}); err != nil {
				t.Fatal(err)
			}
			writeFile(t, filepath.Join(dir, "images", name), b.Bytes())
			fmt.Fprintf(&csv, "%s,%s\n", name, l)
		}
	}
	writeFile(t, filepath.Join(dir, "train.csv"), []byte(csv.String()))
	ds, err := Open(dir, Options{Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	if ds.Format != "miniimagenet" || ds.H != 84 || ds.W != 84 || ds.C != 3 || ds.Len() != 9 {
		t.Fatalf("%+v", ds.Info())
	}
	if ds.ClassNames[0] != "n00" || ds.Labels[0] != 1 {
		t.Fatalf("classes %v labels %v", ds.ClassNames, ds.Labels)
	}
	near := func(a uint8, b uint8) bool { return int(a)-int(b) < 4 && int(b)-int(a) < 4 }
	plane := 84 * 84
	p := ds.Pixels[0 : 3*plane] // n01: red
	if !near(p[40*84+40], 200) || !near(p[plane+40*84+40], 10) || !near(p[2*plane], 10) {
		t.Fatalf("pixel %d %d %d", p[40*84+40], p[plane+40*84+40], p[2*plane])
	}
	if _, err := Open(dir, Options{Subset: "val"}); err == nil || !strings.Contains(err.Error(), "val.csv") {
		t.Fatalf("missing val.csv: %v", err)
	}
}

func TestImageNetNpzFixture(t *testing.T) {
	p := filepath.Join(t.TempDir(), "train_data_batch_1.npz")
	writeFile(t, p, imagenetNpzFixture(t, 7, 4))
	ds, err := Open(p, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if ds.Format != "imagenet-npz" || ds.Len() != 7 || ds.H != 4 || ds.C != 3 || ds.NumClasses() != 3 || ds.ClassNames[0] != "2" || ds.Labels[1] != 1 {
		t.Fatalf("%+v %v %v", ds.Info(), ds.ClassNames, ds.Labels)
	}
	if ds.Pixels[50] != 50 {
		t.Fatal("pixels not copied in order")
	}
}

func TestSVHNFixture(t *testing.T) {
	for _, comp := range []bool{false, true} {
		p := filepath.Join(t.TempDir(), "train_32x32.mat")
		writeFile(t, p, svhnFixture(5, 4, 12, comp))
		ds, err := Open(p, Options{})
		if err != nil {
			t.Fatal(err)
		}
		if ds.Format != "svhn" || ds.Len() != 12 || ds.H != 5 || ds.W != 4 || ds.C != 3 || ds.NumClasses() != 10 {
			t.Fatalf("%+v", ds.Info())
		}
		if ds.Labels[9] != 0 || ds.Labels[0] != 1 {
			t.Fatalf("labels %v (10 must map to 0)", ds.Labels)
		}
		// pixel (row r, col c, channel ch) of image i = r + 3c + 50ch + 7i
		i, ch, r, c := 3, 2, 4, 1
		if got := ds.Pixels[i*60+ch*20+r*4+c]; got != byte(r+3*c+50*ch+7*i) {
			t.Fatalf("compressed=%v: pixel %d, want %d", comp, got, r+3*c+50*ch+7*i)
		}
	}
}

func TestDetectErrors(t *testing.T) {
	dir := t.TempDir()
	junk := filepath.Join(dir, "junk.bin")
	writeFile(t, junk, []byte("hello, not a dataset"))
	badzip := filepath.Join(dir, "bad.npz")
	writeFile(t, badzip, omniglotNpzFixture(t, 2, 2)[:300])
	for _, p := range []string{junk, badzip, filepath.Join(dir, "missing"), dir, "idx:" + dir} {
		_, err := Open(p, Options{})
		if err == nil {
			t.Fatalf("%s: no error", p)
		}
		name := strings.TrimPrefix(p, "idx:")
		if !strings.Contains(err.Error(), name) {
			t.Fatalf("%s: error %q does not name the file", p, err)
		}
	}
}

// TestTruncations feeds every prefix of each fixture to its reader: each must
// return an error, never panic.
func TestTruncations(t *testing.T) {
	npz := omniglotNpzFixture(t, 2, 2)
	inpz := imagenetNpzFixture(t, 3, 2)
	img, lbl := idxFixture(3)
	cif := cifarBinFixture(2, 0)
	mat := svhnFixture(3, 3, 2, true)
	matPlain := svhnFixture(3, 3, 2, false)
	step := func(n int) int { return max(1, n/400) }
	for n := 0; n < len(npz); n += step(len(npz)) {
		if err := fuzzNpz(npz[:n]); err == nil {
			t.Fatalf("npz prefix %d: no error", n)
		}
	}
	for n := 0; n < len(inpz); n += step(len(inpz)) {
		if err := fuzzNpz(inpz[:n]); err == nil {
			t.Fatalf("imagenet npz prefix %d: no error", n)
		}
	}
	for n := 0; n < len(img); n++ {
		if _, err := decodeIDXPair("i", img[:n], "l", lbl); err == nil {
			t.Fatalf("idx prefix %d: no error", n)
		}
	}
	for n := 1; n < len(cif); n += 7 {
		if err := decodeCIFARBin(newCIFAR("d", "cifar-bin"), "b", cif[:n]); err == nil && n%cifarRecord != 0 {
			t.Fatalf("cifar prefix %d: no error", n)
		}
	}
	for _, m := range [][]byte{mat, matPlain} {
		for n := 0; n < len(m); n++ {
			if err := fuzzMAT(m[:n]); err == nil && n < len(m)-8 { // the last element's padding may be cut
				t.Fatalf("mat prefix %d of %d: no error", n, len(m))
			}
		}
	}
}

func BenchmarkOpenDefault(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := OpenDefault(Options{}); err != nil {
			b.Fatal(err)
		}
	}
}

func TestOmniglotZipFixture(t *testing.T) {
	var names []string
	var members [][]byte
	for c := 0; c < 2; c++ {
		for s := 0; s < 3; s++ {
			names = append(names, fmt.Sprintf("images_background/Alpha/character%02d/%04d_%02d.png", c+1, c+1, s+1))
			members = append(members, pngGray(t, omniglotDrawing(c, s), 105, 105))
		}
	}
	names = append(names, "images_background/README.txt")
	members = append(members, []byte("not a drawing"))
	p := filepath.Join(t.TempDir(), "images_background.zip")
	writeFile(t, p, zipBytes(t, names, members))
	ds, err := Open(p, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if ds.Format != "omniglot-zip" || ds.NumClasses() != 2 || ds.Len() != 6 || ds.ClassGroups[1] != "Alpha" {
		t.Fatalf("%+v", ds.Info())
	}
	zr, _ := zipFromBytes(omniglotNpzFixture(t, 2, 3))
	npz, err := readOmniglotNpz("f.npz", zr, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(npz.Pixels, ds.Pixels) {
		t.Fatal("zip and npz readers disagree")
	}
	// A corrupt PNG inside the zip names the archive and the member.
	members[2] = members[2][:40]
	writeFile(t, p, zipBytes(t, names, members))
	if _, err := Open(p, Options{}); err == nil || !strings.Contains(err.Error(), p) || !strings.Contains(err.Error(), "0001_03.png") {
		t.Fatalf("corrupt member: %v", err)
	}
}
