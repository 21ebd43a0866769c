package cli

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
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
