package perf

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"time"

	"github.com/metabench/metabench/reports"
)

// JSON returns the report as one JSON object laid out like
// torch_bench.py's: run facts, then one object per workload in run order,
// then the process peak memory.
func (r *Report) JSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteString("{\n")
	field := func(key string, v any) error {
		enc, err := json.Marshal(v)
		if err != nil {
			return err
		}
		fmt.Fprintf(&b, " %q: %s,\n", key, enc)
		return nil
	}
	for _, kv := range []struct {
		k string
		v any
	}{{"go", r.GoVersion}, {"threads", r.GOMAXPROCS}, {"dtype", "float32"}, {"gemm_path", r.GemmPath},
		{"peak_gflops", r.Peak.GFLOPS}, {"peak_isa", r.Peak.ISA}} {
		if err := field(kv.k, kv.v); err != nil {
			return nil, err
		}
	}
	for _, n := range r.Order {
		if err := field(n, r.Workloads[n]); err != nil {
			return nil, err
		}
	}
	fmt.Fprintf(&b, " %q: %s\n}\n", "peak_rss_mb", jsonFloat(r.PeakRSSMB))
	return b.Bytes(), nil
}

func jsonFloat(f float64) string {
	enc, _ := json.Marshal(f)
	return string(enc)
}

// WriteText writes the report as an aligned table.
func (r *Report) WriteText(w io.Writer) error {
	var b bytes.Buffer
	fmt.Fprintf(&b, "%s, GOMAXPROCS=%d, float32, gemm path %s\n", r.GoVersion, r.GOMAXPROCS, r.GemmPath)
	if r.Peak.GFLOPS > 0 {
		fmt.Fprintf(&b, "measured peak: %.1f GFLOP/s (%s multiply-add loop on %d cores)\n", r.Peak.GFLOPS, r.Peak.ISA, r.Peak.Workers)
	} else {
		b.WriteString("measured peak: none (a build without GOEXPERIMENT=simd, or a CPU without AVX2, has no vector multiply-add loop)\n")
	}
	fmt.Fprintf(&b, "%-22s %10s %10s %10s %5s %12s %10s %8s %7s\n", "workload", "median_ms", "min_ms", "max_ms", "reps", "peak_rss_mb", "mat_gflop", "gflop/s", "%peak")
	for _, n := range r.Order {
		t := r.Workloads[n]
		fmt.Fprintf(&b, "%-22s %10.2f %10.2f %10.2f %5d %12.1f %10.3f %8.1f %6.1f%%\n", n, t.MedianMS, t.MinMS, t.MaxMS, t.Reps, t.PeakRSSMB,
			float64(t.MatFLOPs)/1e9, t.GFLOPS, 100*t.PeakFraction)
	}
	b.WriteString("mat_gflop: the matrix products' operations per repetition (2mnk, counted by the engine); element-wise work is not counted\n")
	fmt.Fprintf(&b, "process peak RSS: %.1f MB\n", r.PeakRSSMB)
	_, err := w.Write(b.Bytes())
	return err
}

// PerfRun turns the report into the record a results store keeps
// (`metabench perf --save`): the workloads in the order they ran, with the
// machine's environment and the time the run started.
func (r *Report) PerfRun(label string, started time.Time) *reports.PerfRun {
	env := reports.NewEnv()
	env.GemmPath = r.GemmPath
	run := &reports.PerfRun{
		Schema: reports.PerfSchemaVersion, RunID: reports.NewRunID("perf", "perf", started, 0), Label: label,
		Started: started.UTC(), GOMAXPROCS: r.GOMAXPROCS, PeakGFLOPS: r.Peak.GFLOPS, PeakRSSMB: r.PeakRSSMB, Env: env,
	}
	for _, name := range r.Order {
		t := r.Workloads[name]
		run.Workloads = append(run.Workloads, reports.PerfWorkload{Name: name, MedianMS: t.MedianMS, MinMS: t.MinMS, MaxMS: t.MaxMS,
			Reps: t.Reps, TimesMS: t.TimesMS, PeakRSSMB: t.PeakRSSMB, GFLOPS: t.GFLOPS})
	}
	return run
}
