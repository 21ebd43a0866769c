// Package publishtest gives the tests of the published site (package
// publish, and `metabench publish` in internal/cli) a few nights of
// synthetic nightly records with known events, and headless Chromium to
// open the pages in (browser.go).
package publishtest

import (
	"math"
	"math/rand/v2"
	"time"

	"github.com/metabench/metabench/reports"
	"github.com/metabench/metabench/suite"
)

// The synthetic suite: one suite, three seeds, six nights.
const (
	Suite    = "nightly"
	Version  = 2
	Seeds    = 3
	Episodes = 200
)

// Event is a planted event: the series (unit and step) and the label of
// the night whose check must find it.
type Event struct {
	Unit, Step, Label string
}

// Series is one unit and step of the synthetic suite.
type Series struct {
	Unit, Step string
}

// Synthetic is a store's worth of nightly records and what they hold.
type Synthetic struct {
	Records []*reports.Record
	// Labels are the nights' labels, oldest first. The last one holds
	// markup (a <script> element) that every page must print as text.
	Labels []string
	Series []Series
	// Regression: the unit drops by 6 points from this night on (with a
	// new commit), so this night's check finds a regression, and a change
	// of results with the build; the later nights reproduce it.
	Regression Event
	// Break: one seed's result on one episode changes on this night with
	// the same configuration and commit (a determinism break); the later
	// nights reproduce it.
	Break Event
}

// OddLabel is the last night's label: markup that must come out as text.
const OddLabel = `nightly-2026-12-06 <script>console.error("label not escaped")</script>`

// Commits of the synthetic nights: the regression comes with the second.
const (
	CommitGood = "1111111111111111111111111111111111111111"
	CommitBad  = "2222222222222222222222222222222222222222"
)

// Nights draws the synthetic records: six nights (labels
// nightly-2026-12-01 to -05 and OddLabel) of the units maml-5w1s (steps run
// and eval:5shot) and reptile-5w1s (step run), three seeds each, every
// night reproducing the one before bit for bit except for the planted
// regression (night 4) and determinism break (night 3).
func Nights() *Synthetic {
	labels := []string{"nightly-2026-12-01", "nightly-2026-12-02", "nightly-2026-12-03", "nightly-2026-12-04", "nightly-2026-12-05", OddLabel}
	units := []struct {
		unit, step string
		mean       float64
		proto      reports.Protocol
	}{
		{"maml-5w1s", suite.StepRun, 0.90, reports.Protocol{Ways: 5, Shots: 1, Queries: 15, StepsTrain: 1, StepsTest: 3, InnerLR: 0.4, BNMode: "transductive", EvalEpisode: Episodes, EvalSeed: 2024, Rotations: true}},
		{"maml-5w1s", "eval:5shot", 0.96, reports.Protocol{Ways: 5, Shots: 5, Queries: 15, StepsTrain: 1, StepsTest: 5, InnerLR: 0.4, BNMode: "transductive", EvalEpisode: Episodes, EvalSeed: 2024, Rotations: true}},
		{"reptile-5w1s", suite.StepRun, 0.88, reports.Protocol{Ways: 5, Shots: 1, Queries: 15, StepsTrain: 5, StepsTest: 50, InnerLR: 0.001, BNMode: "transductive", EvalEpisode: Episodes, EvalSeed: 2024, Rotations: true}},
	}
	syn := &Synthetic{
		Labels:     labels,
		Regression: Event{Unit: "maml-5w1s", Step: suite.StepRun, Label: labels[3]},
		Break:      Event{Unit: "reptile-5w1s", Step: suite.StepRun, Label: labels[2]},
	}
	for _, u := range units {
		syn.Series = append(syn.Series, Series{Unit: u.unit, Step: u.step})
	}
	// the test episodes' difficulties are the same every night
	erng := rand.New(rand.NewPCG(2024, 7))
	difficulty := make([]float64, Episodes)
	for i := range difficulty {
		difficulty[i] = 0.07 * erng.NormFloat64()
	}
	for n, label := range labels {
		commit := CommitGood
		if n >= 3 {
			commit = CommitBad
		}
		start := time.Date(2026, 12, 1+n, 2, 17, 0, 0, time.UTC)
		k := 0
		for ui, u := range units {
			for sd := range int64(Seeds) {
				// a run is a pure function of its unit and seed: every
				// night reproduces the one before unless an event moves it
				rng := rand.New(rand.NewPCG(uint64(ui+1), uint64(sd+1)))
				eff := 0.006 * rng.NormFloat64()
				shift := 0.0
				if u.unit == syn.Regression.Unit && u.step == syn.Regression.Step && n >= 3 {
					shift = -0.06
				}
				eps := make([]float64, Episodes)
				for i, d := range difficulty {
					x := u.mean + shift + eff + d + 0.03*rng.NormFloat64()
					eps[i] = math.Round(75*min(max(x, 0), 1)) / 75
				}
				if u.unit == syn.Break.Unit && u.step == syn.Break.Step && n >= 2 && sd == 1 {
					if eps[17] >= 1.0/75 {
						eps[17] -= 1.0 / 75
					} else {
						eps[17] += 1.0 / 75
					}
				}
				rec := &reports.Record{
					Schema: reports.SchemaVersion, Kind: "train", Label: label, Method: "maml", Model: "conv4",
					RunID:   "train-" + u.unit + "-" + start.Format("20060102") + "-" + string(rune('a'+k)),
					Started: start.Add(time.Duration(k) * time.Minute),
					Config:  map[string]any{"method": "maml", "iterations": 300, "seed": sd, "inner_lr": u.proto.InnerLR},
					Seed:    sd,
					Dataset: reports.Dataset{Path: "embedded:omniglot", Format: "omniglot", SHA256: "0123abcd", Split: "omniglot-alphabets:seed=0:test", Classes: 964, Image: "1x28x28"},
					Proto:   u.proto, Episodes: eps, Summary: reports.Summarize(eps), Params: 112005, WallSec: 600, CPUSec: 1150, Iters: 300,
					Suite: &reports.SuiteID{Name: Suite, Version: Version, Unit: u.unit, Step: u.step, Seed: sd},
					Env:   reports.Env{Commit: commit, GoVersion: "go1.26.0", GOOS: "linux", GOARCH: "amd64", CPUs: 2, Host: "nightly-box", CPUModel: "Synthetic CPU @ 2.0GHz", GemmPath: "simd"},
				}
				if u.unit == "reptile-5w1s" {
					rec.Method, rec.Config["method"] = "reptile", "reptile"
				}
				syn.Records = append(syn.Records, rec)
				k++
			}
		}
	}
	return syn
}

// Values are the records as values (the store's List returns them so).
func (s *Synthetic) Values() []reports.Record { return values(s.Records) }

// values copies what ptrs point to into a slice of values.
func values[T any](ptrs []*T) []T {
	out := make([]T, len(ptrs))
	for i, p := range ptrs {
		out[i] = *p
	}
	return out
}
