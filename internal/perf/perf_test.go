package perf

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestRunOneWorkload(t *testing.T) {
	rep, err := Run(Options{Reps: 1, Only: []string{"conv4_fwd_bwd"}})
	if err != nil {
		t.Fatal(err)
	}
	tm, ok := rep.Workloads["conv4_fwd_bwd"]
	if !ok || tm.Reps != 1 || tm.MedianMS <= 0 || tm.MinMS > tm.MedianMS || tm.MaxMS < tm.MedianMS {
		t.Fatalf("bad timing %+v", tm)
	}
	b, err := rep.JSON()
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("JSON does not parse: %v\n%s", err, b)
	}
	for _, k := range []string{"go", "threads", "dtype", "gemm_path", "conv4_fwd_bwd", "peak_rss_mb"} {
		if _, ok := m[k]; !ok {
			t.Errorf("JSON lacks %q:\n%s", k, b)
		}
	}
	w := m["conv4_fwd_bwd"].(map[string]any)
	for _, k := range []string{"median_ms", "min_ms", "max_ms", "reps"} {
		if _, ok := w[k]; !ok {
			t.Errorf("workload lacks %q", k)
		}
	}
	var sb strings.Builder
	if err := rep.WriteText(&sb); err != nil || !strings.Contains(sb.String(), "conv4_fwd_bwd") {
		t.Fatalf("text report: %v\n%s", err, sb.String())
	}

	// The engine's count against the shapes: batch 25, 3x3 convolutions of
	// 64 filters, output sizes 28, 14, 7, 3 (pooling halves, floor), each
	// forward, input-gradient and weight-gradient product 2 * 25 * HW * 64 *
	// Cin * 9 (no input gradient for the first layer, whose input is data),
	// and the 64->5 linear layer's three products.
	want := int64(2 * 2 * 25 * 28 * 28 * 64 * 1 * 9)
	for _, hw := range []int64{14, 7, 3} {
		want += 3 * 2 * 25 * hw * hw * 64 * 64 * 9
	}
	want += 3 * 2 * 25 * 64 * 5
	if tm.MatFLOPs != want {
		t.Errorf("conv4_fwd_bwd counts %d matrix FLOPs, the shapes give %d", tm.MatFLOPs, want)
	}
	if tm.GFLOPS <= 0 || (rep.Peak.GFLOPS > 0) != (tm.PeakFraction > 0) {
		t.Errorf("roofline numbers: peak %+v, workload %+v", rep.Peak, tm)
	}
}

func TestRunRejects(t *testing.T) {
	if _, err := Run(Options{Reps: 1, Only: []string{"nope"}}); err == nil {
		t.Error("unknown workload accepted")
	}
	if _, err := Run(Options{Reps: 0}); err == nil {
		t.Error("reps 0 accepted")
	}
}

func TestStatusKB(t *testing.T) {
	if got := statusKB("Name:\tx\nVmHWM:\t  12345 kB\nVmRSS:\t 1 kB\n", "VmHWM:"); got != 12345 {
		t.Fatalf("got %g", got)
	}
}

// BenchmarkWorkloads runs each workload once per iteration; use it with
// -cpuprofile/-memprofile to find the hot spots, e.g.
//
//	go test -run '^$' -bench 'Workloads/maml2_task' -benchtime 10x -cpuprofile cpu.prof ./internal/perf
func BenchmarkWorkloads(b *testing.B) {
	ws, err := workloads(1, []int{1})
	if err != nil {
		b.Fatal(err)
	}
	for _, w := range ws {
		b.Run(w.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if err := w.fn(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
