package cli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/metabench/metabench/publish"
	"github.com/metabench/metabench/publish/publishtest"
	"github.com/metabench/metabench/store"
)

// publishStore is a SQLite store holding the synthetic nights of
// publishtest (a planted regression and a determinism break) and their
// perf runs (a planted slowdown).
func publishStore(t *testing.T) (string, *publishtest.Synthetic, *publishtest.Perf) {
	t.Helper()
	syn := publishtest.Nights()
	perf := publishtest.PerfNights(syn.Labels)
	path := filepath.Join(t.TempDir(), "nightly.db")
	st, err := store.Open(path)
	require.NoError(t, err)
	defer st.Close()
	for _, r := range syn.Records {
		require.NoError(t, st.Put(t.Context(), r))
	}
	for _, r := range perf.Runs {
		require.NoError(t, st.PutPerf(t.Context(), r))
	}
	return path, syn, perf
}

// readSite reads every file of a site folder.
func readSite(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	out := map[string][]byte{}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		require.NoError(t, err)
		out[e.Name()] = b
	}
	return out
}

// The site of a store is the generator's site of its records, and
// publishing again gives the same bytes.
func TestPublishWritesSite(t *testing.T) {
	path, syn, perf := publishStore(t)
	out := filepath.Join(t.TempDir(), "site")
	code, stdout, stderr := runCLI("publish", "--store", path, "--out", out)
	require.Equal(t, 0, code, stderr)
	require.Empty(t, stderr)
	speedPages := len(perf.Machines) * len(perf.Workloads)
	require.Equal(t, fmt.Sprintf("wrote %d pages to %s (open %s/index.html)\n", 1+len(syn.Series)+speedPages, out, out), stdout)
	first := readSite(t, out)
	require.Len(t, first, 2+len(syn.Series)+speedPages)

	st, err := store.Open(path)
	require.NoError(t, err)
	recs, err := st.List(t.Context(), store.Filter{})
	require.NoError(t, err)
	runs, err := st.ListPerf(t.Context(), "")
	require.NoError(t, err)
	require.NoError(t, st.Close())
	want, err := publish.Site(recs, publish.Options{Perf: runs})
	require.NoError(t, err)
	require.Equal(t, want, first)

	code, _, stderr = runCLI("publish", "--store", path, "--out", out, "--suite", publishtest.Suite)
	require.Equal(t, 0, code, stderr)
	require.Equal(t, first, readSite(t, out), "the same store gives the same bytes")
}

// Bad input: one line, exit 2, nothing written.
func TestPublishBadInput(t *testing.T) {
	path, _, _ := publishStore(t)
	plain := filepath.Join(t.TempDir(), "plain.db")
	require.NoError(t, store.SaveRecord(plain, storeTestRecord("eval-maml-a", "nightly-2026-12-01", 1, storeTestEpisodes(1, 1, 0))))
	parent := t.TempDir()
	file := filepath.Join(parent, "file.html")
	require.NoError(t, os.WriteFile(file, []byte("keep"), 0o644))
	folder := filepath.Join(parent, "docs")
	require.NoError(t, os.Mkdir(folder, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(folder, "notes.txt"), []byte("keep"), 0o644))
	out := filepath.Join(parent, "site")

	for _, c := range []struct {
		name string
		args []string
		want string
	}{
		{"no suite records", []string{"--store", plain, "--out", out}, "no suite records"},
		{"unknown suite", []string{"--store", path, "--out", out, "--suite", "nightly,smoke"}, `suite "smoke" is not in the records (they hold: nightly)`},
		{"out is a file", []string{"--store", path, "--out", file}, "exists and is not a folder"},
		{"out is another folder", []string{"--store", path, "--out", folder}, "holds no site of metabench publish"},
		{"no store", []string{"--store", filepath.Join(parent, "missing.db"), "--out", out}, "does not exist"},
		{"no --out", []string{"--store", path}, "--out is required"},
		{"empty suite", []string{"--store", path, "--out", out, "--suite", "a,,b"}, "an empty name"},
		{"bad alpha", []string{"--store", path, "--out", out, "--alpha", "2"}, "--alpha 2"},
	} {
		t.Run(c.name, func(t *testing.T) {
			code, stdout, stderr := runCLI(append([]string{"publish"}, c.args...)...)
			require.Equal(t, 2, code, stderr)
			require.Empty(t, stdout)
			require.Equal(t, 1, strings.Count(stderr, "\n"), stderr)
			require.True(t, strings.HasPrefix(stderr, "metabench publish: "), stderr)
			require.Contains(t, stderr, c.want)
			entries, err := os.ReadDir(parent)
			require.NoError(t, err)
			require.Len(t, entries, 2, "only the file and the folder: nothing written")
			b, err := os.ReadFile(file)
			require.NoError(t, err)
			require.Equal(t, "keep", string(b))
			entries, err = os.ReadDir(folder)
			require.NoError(t, err)
			require.Len(t, entries, 1)
		})
	}
}

// checkScript, appended to a copy of a page, logs how many points and
// seed dots the browser laid out inside the chart's box.
const checkScript = `<script>(function(){
var out={points:0,pointsInside:0,seeds:0,seedsInside:0};
var box=document.querySelector('svg.chart').getBoundingClientRect();
function inside(e){var r=e.getBoundingClientRect();return r.width>0&&r.height>0&&r.left>=box.left&&r.right<=box.right&&r.top>=box.top&&r.bottom<=box.bottom;}
document.querySelectorAll('[data-kind="point"]').forEach(function(e){out.points++;if(inside(e))out.pointsInside++;});
document.querySelectorAll('[data-kind="seed"]').forEach(function(e){out.seeds++;if(inside(e))out.seedsInside++;});
console.log('metabench-check '+JSON.stringify(out));
})();</script>`

// TestPublishBrowser opens every page of the published synthetic nights in
// headless Chromium: no console message (the pages have no script, so any
// message is an error, an escaped label's script among them), one point per
// night and one dot per record laid out inside the chart, the regression
// and the determinism break marked on their nights, and a screenshot of
// the index written into the test's temporary folder. It skips when no
// Chromium can be had (scripts/chromium.sh), except under CI=true.
func TestPublishBrowser(t *testing.T) {
	bin := publishtest.Chromium(t)
	start := time.Now()
	tmp := t.TempDir()
	br := &publishtest.Browser{Path: bin, Dir: filepath.Join(tmp, "profiles")}
	ctx := t.Context()

	// the detector catches a console.error and an uncaught exception
	bad := filepath.Join(tmp, "bad.html")
	require.NoError(t, os.WriteFile(bad, []byte(`<!DOCTYPE html><html><head><meta charset="utf-8"><title>bad</title></head><body><p>x</p>
<script>console.error("deliberate console error"); undefinedFunction();</script></body></html>`), 0o644))
	p, err := br.Open(ctx, bad)
	require.NoError(t, err)
	require.Len(t, p.Console, 2, "%q", p.Console)
	require.Contains(t, p.Console[0], "deliberate console error")
	require.Contains(t, p.Console[1], "Uncaught ReferenceError")

	path, syn, perf := publishStore(t)
	site := filepath.Join(tmp, "site")
	code, _, stderr := runCLI("publish", "--store", path, "--out", site)
	require.Equal(t, 0, code, stderr)

	index, err := br.Open(ctx, filepath.Join(site, publish.IndexFile))
	require.NoError(t, err)
	require.Empty(t, index.Console, "%s: console", publish.IndexFile)
	require.Equal(t, len(syn.Series), strings.Count(index.DOM, `data-kind="unit-row"`))
	accuracy, speed, ok := strings.Cut(index.DOM, `<section id="speed">`)
	require.True(t, ok, "the index has a speed section")
	require.Equal(t, 1, strings.Count(accuracy, `data-kind="spark-regression"`))
	require.Equal(t, 1, strings.Count(accuracy, `data-kind="spark-break"`))
	require.Equal(t, 1, strings.Count(speed, `data-kind="spark-regression"`), "the slowdown in its sparkline")
	require.NotContains(t, index.DOM, "<script")
	var pages []string
	for _, m := range regexp.MustCompile(`<a href="([^"#]+\.html)">`).FindAllStringSubmatch(index.DOM, -1) {
		if len(pages) == 0 || pages[len(pages)-1] != m[1] {
			pages = append(pages, m[1])
		}
	}
	var speedPages []string
	pages = slices.DeleteFunc(pages, func(p string) bool {
		if strings.HasPrefix(p, "speed-") {
			speedPages = append(speedPages, p)
			return true
		}
		return false
	})
	require.Len(t, pages, len(syn.Series), "%v", pages)
	require.Len(t, speedPages, len(perf.Machines)*len(perf.Workloads), "%v", speedPages)
	require.Equal(t, len(speedPages), strings.Count(index.DOM, `data-kind="speed-row"`))

	checkDir := filepath.Join(tmp, "check")
	require.NoError(t, os.Mkdir(checkDir, 0o755))
	// laidOut checks where the browser laid a page's points and dots out:
	// n points and s dots, all inside the chart.
	laidOut := func(name string, n, s int) {
		t.Helper()
		src, err := os.ReadFile(filepath.Join(site, name))
		require.NoError(t, err)
		check := filepath.Join(checkDir, name)
		require.NoError(t, os.WriteFile(check, bytes.Replace(src, []byte("</body>"), []byte(checkScript+"</body>"), 1), 0o644))
		cp, err := br.Open(ctx, check)
		require.NoError(t, err)
		require.Len(t, cp.Console, 1, "%q", cp.Console)
		line := cp.Console[0]
		i, j := strings.Index(line, "metabench-check "), strings.LastIndex(line, `", source:`)
		require.True(t, i >= 0 && j > i, line)
		var got struct{ Points, PointsInside, Seeds, SeedsInside int }
		require.NoError(t, json.Unmarshal([]byte(line[i+len("metabench-check "):j]), &got), line)
		require.Equal(t, n, got.Points, name)
		require.Equal(t, n, got.PointsInside, "%s: points laid out inside the chart", name)
		require.Equal(t, s, got.SeedsInside, "%s: dots laid out inside the chart", name)
	}
	points, seeds, regressions, breaks := 0, 0, 0, 0
	for _, name := range pages {
		file := filepath.Join(site, name)
		pg, err := br.Open(ctx, file)
		require.NoError(t, err)
		require.Empty(t, pg.Console, "%s: console", name)
		require.NotContains(t, pg.DOM, "<script", name)
		require.Contains(t, pg.DOM, "&lt;script&gt;", name)
		n, s := strings.Count(pg.DOM, `data-kind="point"`), strings.Count(pg.DOM, `data-kind="seed"`)
		require.Equal(t, len(syn.Labels), n, name)
		require.Equal(t, len(syn.Labels)*publishtest.Seeds, s, name)
		points, seeds = points+n, seeds+s

		head := regexp.MustCompile(`<h1>(\S+) · (\S+)</h1>`).FindStringSubmatch(pg.DOM)
		require.NotNil(t, head, name)
		for _, m := range []struct {
			kind  string
			event publishtest.Event
			count *int
		}{{"regression", syn.Regression, &regressions}, {"break", syn.Break, &breaks}} {
			marks := regexp.MustCompile(`data-kind="`+m.kind+`" data-night="([^"]*)"`).FindAllStringSubmatch(pg.DOM, -1)
			if head[1] == m.event.Unit && head[2] == m.event.Step {
				require.Len(t, marks, 1, "%s: %s marks", name, m.kind)
				require.Equal(t, m.event.Label, marks[0][1])
			} else {
				require.Empty(t, marks, "%s: %s marks", name, m.kind)
			}
			*m.count += len(marks)
		}
		laidOut(name, n, s)
	}
	require.Equal(t, len(syn.Records), seeds, "one dot per record")
	require.Equal(t, len(syn.Labels)*len(syn.Series), points, "one point per night and series")
	require.Equal(t, 1, regressions)
	require.Equal(t, 1, breaks)

	// speed pages: a point per perf run, a dot per repetition, the planted
	// slowdown ringed on its run only
	runs, slowdowns := 0, 0
	for _, name := range speedPages {
		pg, err := br.Open(ctx, filepath.Join(site, name))
		require.NoError(t, err)
		require.Empty(t, pg.Console, "%s: console", name)
		machine := regexp.MustCompile(`<p class="sub">([^;]+);`).FindStringSubmatch(pg.DOM)
		require.NotNil(t, machine, name)
		workload := regexp.MustCompile(`<h1>(\S+)</h1>`).FindStringSubmatch(pg.DOM)
		require.NotNil(t, workload, name)
		n := strings.Count(pg.DOM, `data-kind="point"`)
		require.Equal(t, perf.Machines[machine[1]], n, name)
		require.Equal(t, n*perf.Reps, strings.Count(pg.DOM, `data-kind="seed"`), name)
		marks := regexp.MustCompile(`data-kind="regression" data-night="([^"]*)"`).FindAllStringSubmatch(pg.DOM, -1)
		if machine[1] == perf.Slowdown.Machine && workload[1] == perf.Slowdown.Workload {
			require.Len(t, marks, 1, "%s: slowdown marks", name)
			require.Equal(t, perf.Slowdown.Label, marks[0][1])
		} else {
			require.Empty(t, marks, "%s: slowdown marks", name)
		}
		runs, slowdowns = runs+n, slowdowns+len(marks)
		laidOut(name, n, n*perf.Reps)
	}
	require.Equal(t, len(perf.Runs)*len(perf.Workloads), runs, "one point per perf run and workload")
	require.Equal(t, 1, slowdowns)

	shot := filepath.Join(tmp, "index.png")
	require.NoError(t, br.Screenshot(ctx, filepath.Join(site, publish.IndexFile), shot, 1200, 900))
	png, err := os.ReadFile(shot)
	require.NoError(t, err)
	require.True(t, bytes.HasPrefix(png, []byte("\x89PNG\r\n\x1a\n")), "a PNG")
	t.Logf("screenshot of the index: %s; %d Chromium runs in %s", shot, 2*(len(pages)+len(speedPages))+3, time.Since(start).Round(time.Millisecond))
}
