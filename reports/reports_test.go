package reports

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSummarize(t *testing.T) {
	assert.Equal(t, Summary{}, Summarize(nil))
	assert.Equal(t, Summary{Mean: 0.5, N: 1}, Summarize([]float64{0.5}))
	// mean 0.9, s = 0.1, ci = 1.96 * 0.1 / sqrt(3)
	s := Summarize([]float64{0.9, 0.8, 1.0})
	assert.InDelta(t, 0.9, s.Mean, 1e-12)
	assert.InDelta(t, 1.96*0.1/math.Sqrt(3), s.CI95, 1e-12)
	assert.Equal(t, 3, s.N)
}

// episodeAccuracies draws n per-episode accuracies of a 5-way task with 75
// queries (k/75 with k binomial-like around p), from a fixed seed.
func episodeAccuracies(rng *rand.Rand, n int, p func(i int) float64) []float64 {
	out := make([]float64, n)
	for i := range out {
		k := 0
		pi := math.Min(1, math.Max(0, p(i)))
		for range 75 {
			if rng.Float64() < pi {
				k++
			}
		}
		out[i] = float64(k) / 75
	}
	return out
}

// pairedRuns returns a baseline and a candidate over the same 600 episodes:
// each episode has its own difficulty, shared by both runs, and the
// candidate's accuracy is shifted by shift.
func pairedRuns(seed uint64, shift float64) (base, cand []float64) {
	rng := rand.New(rand.NewPCG(seed, 2))
	diff := make([]float64, 600)
	for i := range diff {
		diff[i] = 0.9 + 0.06*rng.NormFloat64()
	}
	base = episodeAccuracies(rng, 600, func(i int) float64 { return diff[i] })
	cand = episodeAccuracies(rng, 600, func(i int) float64 { return diff[i] + shift })
	return base, cand
}

func TestComparePairedKnownValues(t *testing.T) {
	// d = 1..5: mean 3, s = sqrt(2.5), se = 0.7071, t = 4.2426, df = 4;
	// two-sided p = 0.0132 and t_{0.975,4} = 2.7764 (standard t tables).
	base := []float64{0, 0, 0, 0, 0}
	cand := []float64{1, 2, 3, 4, 5}
	c, err := ComparePaired(base, cand, CompareOptions{})
	require.NoError(t, err)
	assert.InDelta(t, 3, c.Diff, 1e-12)
	assert.InDelta(t, 4.2426, c.T, 1e-4)
	assert.Equal(t, 4, c.DF)
	assert.InDelta(t, 0.0132, c.P, 5e-4)
	assert.InDelta(t, 3-2.7764*math.Sqrt(0.5), c.Lo, 1e-3)
	assert.InDelta(t, 3+2.7764*math.Sqrt(0.5), c.Hi, 1e-3)
	assert.Equal(t, VerdictImprovement, c.Verdict)
}

func TestCompareDetectsRealRegression(t *testing.T) {
	base, cand := pairedRuns(1, -0.05)
	c, err := ComparePaired(base, cand, DefaultCompareOptions())
	require.NoError(t, err)
	assert.Equal(t, VerdictRegression, c.Verdict, c.Sentence())
	assert.True(t, c.Regression())
	assert.InDelta(t, -0.05, c.Diff, 0.01)
	assert.Less(t, c.P, 1e-6)
	assert.Less(t, c.Hi, 0.0)
}

func TestCompareNoFalseAlarmWithinNoise(t *testing.T) {
	// Reruns with the same accuracy and fresh noise: 40 seeds, no alarm.
	alarms := 0
	for seed := range uint64(40) {
		base, cand := pairedRuns(100+seed, 0)
		c, err := ComparePaired(base, cand, DefaultCompareOptions())
		require.NoError(t, err)
		if c.Regression() {
			alarms++
		}
		assert.Less(t, math.Abs(c.Diff), 0.01)
	}
	assert.Zero(t, alarms)
}

func TestCompareVerdicts(t *testing.T) {
	base, _ := pairedRuns(3, 0)
	shifted := func(d float64) []float64 {
		out := make([]float64, len(base))
		for i, b := range base {
			out[i] = b + d
		}
		return out
	}
	for _, tc := range []struct {
		name string
		cand []float64
		opt  CompareOptions
		want Verdict
	}{
		{"identical", shifted(0), DefaultCompareOptions(), VerdictNoChange},
		{"exact drop beyond margin", shifted(-0.02), DefaultCompareOptions(), VerdictRegression},
		{"exact drop within margin", shifted(-0.005), DefaultCompareOptions(), VerdictWithinMargin},
		{"exact gain", shifted(0.02), DefaultCompareOptions(), VerdictImprovement},
		{"zero margin", shifted(-0.005), CompareOptions{Alpha: 0.05}, VerdictRegression},
	} {
		c, err := ComparePaired(base, tc.cand, tc.opt)
		require.NoError(t, err, tc.name)
		assert.Equal(t, tc.want, c.Verdict, tc.name)
	}
	_, err := ComparePaired(base, base[:10], DefaultCompareOptions())
	assert.Error(t, err)
	_, err = ComparePaired(base, base, CompareOptions{Alpha: 2})
	assert.Error(t, err)
	_, err = ComparePaired(base[:1], base[:1], CompareOptions{})
	assert.Error(t, err)
}

func testRecord(id string, eps []float64) *Record {
	return &Record{
		Schema: SchemaVersion, RunID: id, Kind: "eval", Method: "maml", Model: "conv4",
		Started:  time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC),
		Dataset:  Dataset{Path: "/data/omniglot", Format: "omniglot", SHA256: "0123456789abcdef0123", Split: "omniglot:test"},
		Proto:    Protocol{Ways: 5, Shots: 1, Queries: 15, StepsTrain: 1, StepsTest: 3, InnerLR: 0.4, BNMode: "transductive", EvalEpisode: len(eps), EvalSeed: 7, Rotations: true},
		Episodes: eps, Summary: Summarize(eps), Params: 112005, WallSec: 754, Iters: 1000,
	}
}

func TestCompareRefusesDifferentProtocols(t *testing.T) {
	base, cand := pairedRuns(5, 0)
	a, b := testRecord("a", base), testRecord("b", cand)
	b.Proto.Ways, b.Proto.BNMode = 20, "running"
	b.Dataset.SHA256 = "ffff"
	_, err := Compare(a, b, DefaultCompareOptions())
	var pm *ProtocolMismatchError
	require.True(t, errors.As(err, &pm), "%v", err)
	assert.Equal(t, []string{"protocol.ways (5 vs 20)", "protocol.bn_mode (transductive vs running)", "dataset.sha256 (0123456789ab vs ffff)"}, pm.Fields)
	assert.Contains(t, err.Error(), "not comparable")

	c := testRecord("c", cand[:599])
	c.Proto.EvalEpisode = 600
	_, err = Compare(a, c, DefaultCompareOptions())
	require.ErrorAs(t, err, &pm)
	assert.Equal(t, []string{"episodes (600 vs 599)"}, pm.Fields)

	d := testRecord("d", cand)
	d.Dataset.Split = "other"
	_, err = Compare(a, d, DefaultCompareOptions())
	require.ErrorAs(t, err, &pm)
	assert.Contains(t, pm.Fields[0], "dataset.split")

	ok, err := Compare(a, testRecord("e", cand), DefaultCompareOptions())
	require.NoError(t, err)
	assert.Equal(t, "a", ok.Baseline)
	assert.Equal(t, "e", ok.Candidate)
	var buf bytes.Buffer
	require.NoError(t, ok.Table().Render(&buf, FormatMarkdown))
	assert.Contains(t, buf.String(), "| verdict")
}

// TestCompareRuns: the comparison with the reproduction of the baseline,
// whose JSON holds the comparison's fields and "reproduction"; a protocol
// mismatch is Compare's error.
func TestCompareRuns(t *testing.T) {
	base, cand := pairedRuns(5, 0)
	a := testRecord("a", base)
	same, err := CompareRuns(a, testRecord("b", base), DefaultCompareOptions())
	require.NoError(t, err)
	assert.True(t, same.Reproduction.Identical)
	assert.Equal(t, VerdictNoChange, same.Verdict)

	rc, err := CompareRuns(a, testRecord("c", cand), DefaultCompareOptions())
	require.NoError(t, err)
	c, err := Compare(a, testRecord("c", cand), DefaultCompareOptions())
	require.NoError(t, err)
	assert.Equal(t, c, rc.Comparison)
	assert.Equal(t, Reproduce(Run{Seed: a.Seed, Episodes: base}, Run{Seed: a.Seed, Episodes: cand}), rc.Reproduction)
	assert.False(t, rc.Reproduction.Identical)
	b, err := json.Marshal(rc)
	require.NoError(t, err)
	var m map[string]any
	require.NoError(t, json.Unmarshal(b, &m))
	assert.Contains(t, m, "reproduction")
	assert.Contains(t, m, "verdict")

	other := testRecord("d", cand)
	other.Proto.Ways = 20
	_, err = CompareRuns(a, other, DefaultCompareOptions())
	var pm *ProtocolMismatchError
	require.ErrorAs(t, err, &pm)
}

func TestReferences(t *testing.T) {
	r := testRecord("a", []float64{0.9, 1})
	ref, ok := LookupReference(r)
	require.True(t, ok)
	assert.Equal(t, "98.7 ± 0.4 (Finn et al. 2017, Table 1)", ref.String())
	r.Method, r.Proto.Ways, r.Proto.Shots = "Reptile", 20, 5
	ref, ok = LookupReference(r)
	require.True(t, ok)
	assert.Equal(t, "96.65 (Nichol et al. 2018, Table 2 (non-transductive))", ref.String())
	r.Method, r.Dataset = "first_order_maml", Dataset{Path: "/x/mini-imagenet/test.pkl"}
	r.Proto.Ways, r.Proto.Shots = 5, 1
	ref, ok = LookupReference(r)
	require.True(t, ok)
	assert.InDelta(t, 0.4807, ref.Accuracy, 1e-12)
	r.Proto.Shots = 3
	_, ok = LookupReference(r)
	assert.False(t, ok)
	// MAML on a searched genotype is not MAML's Conv-4
	r = testRecord("g", []float64{0.9, 1})
	r.Model = "genotype:t4v3-L5-C8"
	_, ok = LookupReference(r)
	assert.False(t, ok, "a searched genotype trained by MAML has no published row")
	// Every reference is distinct and sane.
	seen := map[[4]string]bool{}
	for _, ref := range References() {
		k := [4]string{ref.Method, ref.Dataset, string(rune('0' + ref.Ways)), string(rune('0' + ref.Shots))}
		assert.False(t, seen[k], "duplicate %v", k)
		seen[k] = true
		assert.True(t, ref.Accuracy >= 0 && ref.Accuracy < 1)
		assert.NotEmpty(t, ref.Source)
	}
}

func TestRunsTableRenders(t *testing.T) {
	base, _ := pairedRuns(6, 0)
	r := testRecord("eval-maml-1", base)
	r.Label = "nightly"
	other := testRecord("eval-x-2", base)
	other.Method = "mystery"
	rows := NewRunRows([]Record{*r, *other})
	require.NotNil(t, rows[0].Ref)
	require.Nil(t, rows[1].Ref)
	tbl := RunsTable(rows)
	for _, f := range []Format{FormatText, FormatMarkdown, FormatCSV, FormatJSON} {
		var buf bytes.Buffer
		require.NoError(t, tbl.Render(&buf, f), f)
		out := buf.String()
		assert.Contains(t, out, "98.7 ± 0.4 (Finn et al. 2017, Table 1)", f)
		assert.Contains(t, out, "eval-maml-1", f)
		assert.Contains(t, out, "5w1s q15 steps 1/3 lr 0.4 bn transductive rot 600 ep", f)
		switch f {
		case FormatCSV:
			recs, err := csv.NewReader(strings.NewReader(out)).ReadAll()
			require.NoError(t, err)
			assert.Len(t, recs, 3)
			assert.Equal(t, "run", recs[0][0])
		case FormatJSON:
			var back Table
			require.NoError(t, json.Unmarshal(buf.Bytes(), &back))
			assert.Equal(t, *tbl, back)
		case FormatMarkdown:
			assert.Contains(t, out, "|")
			assert.Contains(t, out, "---")
		}
	}
	var md bytes.Buffer
	pipes := &Table{Header: []string{"a|b"}, Rows: [][]string{{"x|y"}}}
	require.NoError(t, pipes.Render(&md, FormatMarkdown))
	assert.Contains(t, md.String(), `x\|y`)
	bad := &Table{Header: []string{"a"}, Rows: [][]string{{"1", "2"}}}
	assert.Error(t, bad.Render(&bytes.Buffer{}, FormatText))
	_, err := ParseFormat("xml")
	assert.Error(t, err)
	f, err := ParseFormat("md")
	require.NoError(t, err)
	assert.Equal(t, FormatMarkdown, f)
}

func TestJSONRoundTripIsAtomic(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "record.json")
	r := testRecord("a", []float64{0.5, 0.75})
	r.Config = map[string]any{"inner_lr": 0.4}
	r.Curve = []Point{{Iter: 10, Accuracy: 0.5}}
	require.NoError(t, WriteJSON(path, r))
	back, err := ReadJSON(path)
	require.NoError(t, err)
	assert.Equal(t, r, back)
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	assert.Len(t, entries, 1, "temporary file left behind")

	require.NoError(t, os.WriteFile(path, []byte(`{"run_id":"x","bogus":1}`), 0o644))
	_, err = ReadJSON(path)
	assert.ErrorContains(t, err, "bogus")
	_, err = UnmarshalRecord([]byte(`{"schema":99,"run_id":"x"}`))
	assert.ErrorContains(t, err, "newer")

	r.Extra = map[string]any{"nan": math.NaN()}
	assert.Error(t, WriteJSON(path, r))
	_, err = ReadJSON(path) // the failed write left the old file
	assert.ErrorContains(t, err, "bogus")
}

func TestEnvAndRunID(t *testing.T) {
	e := NewEnv()
	assert.NotEmpty(t, e.GoVersion)
	assert.Positive(t, e.CPUs)
	p := filepath.Join(t.TempDir(), "cpuinfo")
	require.NoError(t, os.WriteFile(p, []byte("processor\t: 0\nmodel name\t: Test CPU @ 2GHz\n"), 0o644))
	assert.Equal(t, "Test CPU @ 2GHz", cpuModel(p))
	assert.Equal(t, "", cpuModel(filepath.Join(t.TempDir(), "missing")))

	tm := time.Date(2026, 11, 27, 15, 4, 5, 123, time.FixedZone("x", 3600))
	id := NewRunID("train", "maml", tm, 42)
	assert.Regexp(t, regexp.MustCompile(`^train-maml-20261127T140405Z-[0-9a-f]{8}$`), id)
	assert.Equal(t, id, NewRunID("train", "maml", tm, 42))
	assert.NotEqual(t, id, NewRunID("train", "maml", tm, 43))
	assert.NotEqual(t, id, NewRunID("train", "maml", tm.Add(time.Nanosecond), 42))
}

func TestPlotsWritePNGAndSVG(t *testing.T) {
	base, cand := pairedRuns(8, 0)
	a, b := testRecord("a", base), testRecord("b", cand)
	b.Method = "fomaml"
	for i := range 5 {
		a.Curve = append(a.Curve, Point{Iter: 100 * i, WallSec: 30 * float64(i), Accuracy: 0.5 + 0.1*float64(i), CI95: 0.01})
		b.Curve = append(b.Curve, Point{Iter: 100 * i, WallSec: 20 * float64(i), Accuracy: 0.45 + 0.1*float64(i)})
		a.Adapt = append(a.Adapt, Point{Step: i, Accuracy: 0.2 + 0.15*float64(i), CI95: 0.02})
	}
	dir := filepath.Join(t.TempDir(), "plots")
	paths, err := WritePlots(dir, []Record{*a, *b})
	require.NoError(t, err)
	assert.Len(t, paths, 8)
	for _, p := range paths {
		data, err := os.ReadFile(p)
		require.NoError(t, err)
		assert.Greater(t, len(data), 1000, p)
		if strings.HasSuffix(p, ".png") {
			assert.True(t, bytes.HasPrefix(data, []byte("\x89PNG\r\n\x1a\n")), p)
		} else {
			assert.Contains(t, string(data), "<svg", p)
		}
	}
	// Records without curves give only the methods plot.
	a.Curve, a.Adapt, b.Curve = nil, nil, nil
	paths, err = WritePlots(t.TempDir(), []Record{*a})
	require.NoError(t, err)
	assert.Len(t, paths, 2)
	paths, err = WritePlots(t.TempDir(), nil)
	require.NoError(t, err)
	assert.Empty(t, paths)
}

// TestPortable: absolute paths anywhere in a record become their last
// element; everything else, the original included, is left alone.
func TestPortable(t *testing.T) {
	r := testRecord("p", []float64{1, 0, 1})
	r.Config = map[string]any{"data": map[string]any{"path": "/home/u/data/mnist", "subset": "train"}, "prior": "/tmp/x/prior",
		"targets": []any{map[string]any{"path": "/srv/fashion-mnist"}}, "note": "/ not a path"}
	r.Extra = map[string]any{"prior": "/tmp/run/prior/seed-0/run", "genotype": "normal=[skip_connect:0]", "dsn": "postgres://u:xxxxx@h/db"}
	r.Model = "genotype:/tmp/t4/run/base/seed-0/run/genotype.yaml,cells=5,stem_stride=2"
	p, err := Portable(r)
	require.NoError(t, err)
	assert.Equal(t, "omniglot", p.Dataset.Path)
	assert.Equal(t, "mnist", p.Config["data"].(map[string]any)["path"])
	assert.Equal(t, "train", p.Config["data"].(map[string]any)["subset"])
	assert.Equal(t, "fashion-mnist", p.Config["targets"].([]any)[0].(map[string]any)["path"])
	assert.Equal(t, "/ not a path", p.Config["note"])
	assert.Equal(t, "run", p.Extra["prior"])
	assert.Equal(t, "genotype:genotype.yaml,cells=5,stem_stride=2", p.Model)
	assert.Equal(t, "postgres://u:xxxxx@h/db", p.Extra["dsn"], "a URL is not a path")
	assert.Equal(t, r.Episodes, p.Episodes)
	assert.Equal(t, "/data/omniglot", r.Dataset.Path, "the original is not changed")
}

// TestProtocolStringNamesTrainWaysAndTestRotations: two protocols that
// differ only in training ways or rotated test classes print differently.
func TestProtocolStringNamesTrainWaysAndTestRotations(t *testing.T) {
	p := Protocol{Ways: 5, Shots: 1, Queries: 15, BNMode: "transductive", Rotations: true, EvalEpisode: 1000}
	q := p
	q.TrainWays, q.EvalRotations = 60, true
	if got, want := ProtocolString(q), "5w1s q15 steps 0/0 lr 0 train 60w bn transductive rot rot-test 1000 ep"; got != want {
		t.Fatalf("%q, want %q", got, want)
	}
	if ProtocolString(p) == ProtocolString(q) {
		t.Fatal("the protocols print the same")
	}
}
