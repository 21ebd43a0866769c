package publishtest

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/metabench/metabench/reports"
)

// SpeedEvent is a planted slowdown: the machine kind, the workload and the
// label of the run where it appears.
type SpeedEvent struct {
	Machine, Workload, Label string
}

// Perf is a store's worth of nightly perf runs and what they hold.
type Perf struct {
	Runs []*reports.PerfRun
	// Machines are the machine kinds with their runs' count.
	Machines map[string]int
	// Workloads every run times.
	Workloads []string
	// Reps per workload and run.
	Reps int
	// Slowdown: the workload is 25% slower from this run on, so this
	// run's check flags it and the later runs persist at that level.
	Slowdown SpeedEvent
}

// PerfNights draws the runs: one per night of labels on the machine
// "Synthetic CPU @ 2.0GHz" (1.5% night-to-night and 3% repetition noise,
// fomaml_task 25% slower from the fifth night on) and three on "Other
// CPU".
func PerfNights(labels []string) *Perf {
	const main, other = "Synthetic CPU @ 2.0GHz", "Other CPU"
	p := &Perf{Machines: map[string]int{}, Workloads: []string{"conv4_fwd_bwd", "fomaml_task"}, Reps: 5}
	p.Slowdown = SpeedEvent{Machine: main + ", 2 cores", Workload: "fomaml_task", Label: labels[min(4, len(labels)-1)]}
	r := rand.New(rand.NewPCG(5, 6))
	add := func(cpu string, night int, label string, slow bool) {
		run := &reports.PerfRun{Schema: reports.PerfSchemaVersion, RunID: fmt.Sprintf("perf-%s-%d", cpu[:5], night), Label: label,
			Started: time.Date(2026, 12, 1+night, 4, 0, 0, 0, time.UTC), GOMAXPROCS: 2, PeakGFLOPS: 400,
			Env: reports.Env{CPUModel: cpu, GemmPath: "simd-avx512", Commit: CommitGood, GoVersion: "go1.26.0", GOOS: "linux", GOARCH: "amd64", CPUs: 2}}
		for i, name := range p.Workloads {
			level := []float64{28, 80}[i] * math.Exp(0.015*r.NormFloat64())
			if slow && name == p.Slowdown.Workload {
				level *= 1.25
			}
			w := reports.PerfWorkload{Name: name, Reps: p.Reps, MedianMS: level}
			for range p.Reps {
				w.TimesMS = append(w.TimesMS, level*math.Exp(0.03*r.NormFloat64()))
			}
			w.MinMS, w.MaxMS = slices.Min(w.TimesMS), slices.Max(w.TimesMS)
			run.Workloads = append(run.Workloads, w)
		}
		p.Runs = append(p.Runs, run)
		p.Machines[run.Machine()]++
	}
	for n, l := range labels {
		add(main, n, l, n >= 4)
	}
	for n := range 3 {
		add(other, n, labels[n], false)
	}
	return p
}

// Values are the runs as values (the store's ListPerf returns them so).
func (p *Perf) Values() []reports.PerfRun { return values(p.Runs) }
