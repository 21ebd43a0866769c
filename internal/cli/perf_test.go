package cli

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/metabench/metabench/store"
)

func perfRun(args ...string) (code int, stdout, stderr string) {
	var o, e bytes.Buffer
	code = Run(append([]string{"perf"}, args...), &o, &e)
	return code, o.String(), e.String()
}

func TestPerfUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		{"--format", "xml"},
		{"--reps", "0"},
		{"--only", "conv4_fwd_bwd,nope"},
		{"extra"},
		{"--store", "x.db"},
		{"--label", "nightly"},
		{"--save", "--store", "/nonexistent/dir/x.db"}, // refused before any timing
		{"--search-steps", "0"},
	} {
		code, _, stderr := perfRun(args...)
		if code != 2 || !strings.Contains(stderr, "perf") {
			t.Errorf("%v: code %d, stderr %q", args, code, stderr)
		}
	}
}

func TestPerfJSON(t *testing.T) {
	code, stdout, stderr := perfRun("--format", "json", "--reps", "1", "--only", "conv4_fwd_bwd")
	if code != 0 {
		t.Fatalf("code %d: %s", code, stderr)
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(stdout), &m); err != nil {
		t.Fatalf("not one JSON object: %v\n%s", err, stdout)
	}
	w, ok := m["conv4_fwd_bwd"].(map[string]any)
	if !ok || w["reps"] != 1.0 || m["gemm_path"] == "" {
		t.Fatalf("unexpected report:\n%s", stdout)
	}
	if _, ok := m["maml2_task"]; ok {
		t.Fatalf("--only ran other workloads:\n%s", stdout)
	}
}

// TestPerfSave: --save writes one perf run with the workload's timings,
// label and machine into the store; stdout keeps the report alone.
func TestPerfSave(t *testing.T) {
	path := filepath.Join(t.TempDir(), "perf.db")
	code, stdout, stderr := perfRun("--format", "json", "--reps", "3", "--only", "conv4_fwd_bwd", "--save", "--store", path, "--label", "nightly-x")
	if code != 0 {
		t.Fatalf("code %d: %s", code, stderr)
	}
	if !json.Valid([]byte(stdout)) || !strings.Contains(stderr, "saved perf run") {
		t.Fatalf("stdout %q, stderr %q", stdout, stderr)
	}
	st, err := store.OpenExisting(path)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	runs, err := st.ListPerf(t.Context(), "nightly-x")
	if err != nil || len(runs) != 1 {
		t.Fatalf("%d runs, %v", len(runs), err)
	}
	r := runs[0]
	w, ok := r.Workload("conv4_fwd_bwd")
	if !ok || len(r.Workloads) != 1 || w.Reps != 3 || len(w.TimesMS) != 3 || !(w.MinMS <= w.MedianMS && w.MedianMS <= w.MaxMS) || r.Env.GemmPath == "" || r.GOMAXPROCS < 1 {
		t.Fatalf("saved run %+v", r)
	}
}

func TestAsyncPreemptOff(t *testing.T) {
	for _, c := range []struct {
		godebug string
		off     bool
	}{
		{"", false},
		{"asyncpreemptoff=1", true},
		{"gctrace=1, asyncpreemptoff=1", true},
		{"asyncpreemptoff=1,asyncpreemptoff=0", false},
		{"asyncpreemptoff=0", false},
		{"xasyncpreemptoff=1", false},
	} {
		if got := asyncPreemptOff(c.godebug); got != c.off {
			t.Errorf("asyncPreemptOff(%q) = %v, want %v", c.godebug, got, c.off)
		}
	}
}

// TestProfileNote: a profile taken with asynchronous preemption on says how
// to take a truthful one; with it off, or without a profile, nothing is said.
func TestProfileNote(t *testing.T) {
	for _, c := range []struct {
		godebug, path string
		note          bool
	}{
		{"", "cpu.prof", true},
		{"asyncpreemptoff=1", "cpu.prof", false},
		{"", "", false},
	} {
		t.Setenv("GODEBUG", c.godebug)
		var errb strings.Builder
		path := c.path
		if path != "" {
			path = filepath.Join(t.TempDir(), path)
		}
		stop, err := startProfile(path, &errb)
		if err != nil {
			t.Fatal(err)
		}
		stop()
		if got := strings.Contains(errb.String(), "GODEBUG=asyncpreemptoff=1"); got != c.note {
			t.Errorf("GODEBUG=%q path %q: note %v, want %v (stderr %q)", c.godebug, c.path, got, c.note, errb.String())
		}
	}
}
