package cli

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// epRun drives the real command line with buffers.
func epRun(args ...string) (code int, stdout, stderr string) {
	var o, e bytes.Buffer
	code = Run(args, &o, &e)
	return code, o.String(), e.String()
}

// epSharedDir returns ../shared/data relative to the module root (or
// $METABENCH_SHARED); it skips when absent and fails under CI=true.
func epSharedDir(t *testing.T, sub string) string {
	t.Helper()
	dir := os.Getenv("METABENCH_SHARED")
	if dir == "" {
		dir = filepath.Join("..", "..", "..", "shared", "data")
	}
	p := filepath.Join(dir, sub)
	if _, err := os.Stat(p); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("shared data %s missing (CI=true requires it): %v", p, err)
		}
		t.Skipf("shared data %s not present (set METABENCH_SHARED to run this test)", p)
	}
	return p
}

type epJSONEpisode struct {
	Index   int   `json:"index"`
	Classes []int `json:"classes"`
	Support []int `json:"support"`
	Query   []int `json:"query"`
}

func TestEpisodesDefaultJSON(t *testing.T) {
	args := []string{"episodes", "--data", "default", "--ways", "5", "--shots", "1", "--queries", "3", "--seed", "7", "--count", "4", "--format", "json"}
	code, out, errs := epRun(args...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 4 {
		t.Fatalf("%d lines", len(lines))
	}
	for i, l := range lines {
		if !strings.HasPrefix(l, `{"index":`) {
			t.Fatalf("line %q", l)
		}
		var e epJSONEpisode
		if err := json.Unmarshal([]byte(l), &e); err != nil {
			t.Fatal(err)
		}
		if e.Index != i || len(e.Classes) != 5 || len(e.Support) != 5 || len(e.Query) != 15 {
			t.Fatalf("episode %+v", e)
		}
		// Rotations are on by default for Omniglot: virtual ids 4*c+r, 4*i+r.
		for j, v := range e.Support {
			if v%4 != e.Classes[j]%4 || v/4/20 != e.Classes[j]/4 {
				t.Fatalf("support %d not in class %d", v, e.Classes[j])
			}
		}
	}
	// Determinism, and --start gives the same episodes.
	code2, out2, _ := epRun(args...)
	if code2 != 0 || out2 != out {
		t.Fatal("episodes not reproducible")
	}
	_, out3, _ := epRun("episodes", "--ways", "5", "--shots", "1", "--queries", "3", "--seed", "7", "--count", "2", "--start", "2")
	if out3 != strings.Join(lines[2:], "\n")+"\n" {
		t.Fatalf("--start 2 differs:\n%s", out3)
	}
	// Without rotations the ids are base ids (964 classes of 20 drawings).
	code, out, errs = epRun("episodes", "--rotations=false", "--ways", "3", "--shots", "2", "--queries", "1", "--count", "3", "--split", "test")
	if code != 0 {
		t.Fatal(errs)
	}
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		var e epJSONEpisode
		json.Unmarshal([]byte(l), &e)
		for j, v := range e.Support {
			if v/20 != e.Classes[j/2] || e.Classes[j/2] >= 964 {
				t.Fatalf("support %d not in class %d", v, e.Classes[j/2])
			}
		}
	}
}

func TestEpisodesIDXShared(t *testing.T) {
	dir := epSharedDir(t, "mnist")
	code, out, errs := epRun("episodes", "--data", dir, "--subset", "test", "--ways", "5", "--shots", "2", "--queries", "2", "--count", "2", "--split", "train")
	if code != 0 || strings.Count(out, "\n") != 2 {
		t.Fatalf("exit %d: %s %s", code, out, errs)
	}
	code, _, errs = epRun("episodes", "--data", dir, "--subset", "test", "--ways", "20")
	if code == 0 || !strings.Contains(errs, "20 ways asked of 10 classes") {
		t.Fatalf("exit %d: %s", code, errs)
	}
}

func epCheckOneLine(t *testing.T, errs string, want ...string) {
	t.Helper()
	if strings.Count(errs, "\n") != 1 || !strings.HasSuffix(errs, "\n") {
		t.Fatalf("want one line, got %q", errs)
	}
	if strings.Contains(errs, "panic") || strings.Contains(errs, "goroutine") {
		t.Fatalf("panic trace: %q", errs)
	}
	for _, w := range want {
		if !strings.Contains(errs, w) {
			t.Fatalf("%q does not mention %q", errs, w)
		}
	}
}

func TestEpisodesBadInputs(t *testing.T) {
	dir := t.TempDir()
	corrupt := filepath.Join(dir, "corrupt.npz")
	os.WriteFile(corrupt, []byte("PK\x03\x04 this is not really a zip archive at all"), 0o644)
	junk := filepath.Join(dir, "junk.dat")
	os.WriteFile(junk, []byte("not a dataset"), 0o644)
	idxDir := filepath.Join(dir, "tiny")
	os.MkdirAll(idxDir, 0o755)
	// 10 classes of 4 images, 2x2 pixels
	img := []byte{0, 0, 8, 3, 0, 0, 0, 40, 0, 0, 0, 2, 0, 0, 0, 2}
	img = append(img, make([]byte, 160)...)
	lbl := []byte{0, 0, 8, 1, 0, 0, 0, 40}
	for i := 0; i < 40; i++ {
		lbl = append(lbl, byte(i%10))
	}
	os.WriteFile(filepath.Join(idxDir, "train-images-idx3-ubyte"), img, 0o644)
	os.WriteFile(filepath.Join(idxDir, "train-labels-idx1-ubyte"), lbl, 0o644)
	truncDir := filepath.Join(dir, "trunc")
	os.MkdirAll(truncDir, 0o755)
	os.WriteFile(filepath.Join(truncDir, "train-images-idx3-ubyte"), img[:100], 0o644)
	os.WriteFile(filepath.Join(truncDir, "train-labels-idx1-ubyte"), lbl, 0o644)

	code, out, errs := epRun("episodes", "--data", idxDir, "--ways", "3", "--shots", "2", "--queries", "1", "--count", "2")
	if code != 0 || strings.Count(out, "\n") != 2 {
		t.Fatalf("good tiny run: exit %d %s", code, errs)
	}
	cases := []struct {
		args []string
		code int
		want []string
	}{
		{[]string{"--data", filepath.Join(dir, "missing.npz")}, 1, []string{"missing.npz", "no such file"}},
		{[]string{"--data", corrupt}, 1, []string{"corrupt.npz"}},
		{[]string{"--data", junk}, 1, []string{"junk.dat", "not recognised"}},
		{[]string{"--data", truncDir}, 1, []string{"train-images-idx3-ubyte", "truncated"}},
		{[]string{"--data", idxDir, "--ways", "20"}, 1, []string{"20 ways asked of 10 classes"}},
		{[]string{"--data", idxDir, "--ways", "2", "--shots", "3", "--queries", "2"}, 1, []string{"shots+queries=5 but class", "has 4 images"}},
		{[]string{"--data", "default", "--shots", "10", "--queries", "15", "--ways", "5"}, 1, []string{"shots+queries=25", "has 20 images"}},
		{[]string{"--bogus"}, 2, []string{"-bogus"}},
		{[]string{"--ways", "x"}, 2, []string{"-ways"}},
		{[]string{"--format", "xml"}, 2, []string{"--format"}},
		{[]string{"--data", idxDir, "--split", "sideways"}, 1, []string{`split "sideways"`}},
		{[]string{"--data", idxDir, "--split-file", filepath.Join(dir, "nosplit.txt")}, 1, []string{"nosplit.txt"}},
		{[]string{"--data", "idx:" + junk}, 1, []string{"junk.dat"}},
	}
	for _, c := range cases {
		code, _, errs := epRun(append([]string{"episodes"}, c.args...)...)
		if code != c.code {
			t.Fatalf("%v: exit %d, want %d (%s)", c.args, code, c.code, errs)
		}
		epCheckOneLine(t, errs, c.want...)
	}
}

func TestEpisodesSplitFileAndText(t *testing.T) {
	p := filepath.Join(t.TempDir(), "test-classes.txt")
	os.WriteFile(p, []byte("# two Greek letters\nGreek/character01\nGreek/character02\n"), 0o644)
	code, out, errs := epRun("episodes", "--split-file", p, "--split", "test", "--rotations=false", "--ways", "2", "--shots", "1", "--queries", "1", "--count", "3", "--format", "text")
	if code != 0 {
		t.Fatal(errs)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 3 || !strings.HasPrefix(lines[0], "episode 0: classes [") {
		t.Fatalf("%q", out)
	}
	for _, l := range lines {
		if !strings.Contains(l, "393") || !strings.Contains(l, "394") { // ids 394 and 395, 0-based
			t.Fatalf("classes outside the split file: %s", l)
		}
	}
	code, _, errs = epRun("episodes", "--split-file", p, "--split", "test", "--ways", "9")
	if code != 1 {
		t.Fatalf("exit %d", code)
	}
	epCheckOneLine(t, errs, "9 ways asked of 8 classes") // 2 characters x 4 rotations
}
