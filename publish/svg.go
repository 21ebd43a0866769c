package publish

import (
	"fmt"
	"html"
	"html/template"
	"math"
	"strconv"
	"strings"
)

// A chart is drawn from plain data so that the accuracy chart and any
// later one (speed: seconds per iteration over nights) share the drawing.

// chartPoint is one night of a chart: its slot on the x axis (the night's
// index among the suite's nights), the value with its interval (Lo, Hi;
// HasBand false when there is none), the per-record values, and the marks
// of the night's check.
type chartPoint struct {
	Slot       int
	Value      float64
	Lo, Hi     float64
	HasBand    bool
	Title      string // hover text of the point
	Link       string // where a click on the point goes ("#night-3")
	Label      string // the night's label (data-night)
	Seeds      []chartSeed
	Regression string // hover text of the regression mark, "" for none
	Break      string // hover text of the determinism-break mark
	Changed    string // hover text of the "changed with the build" mark
}

// chartSeed is one record's value.
type chartSeed struct {
	Value float64
	Title string
	Run   string
}

// chartSpec is a whole chart: the x axis' slots (one per night of the
// suite, with its tick text), the points, and how values are printed.
type chartSpec struct {
	Title  string
	Slots  []chartSlot
	Points []chartPoint
	Unit   string // axis unit, "%"
}

type chartSlot struct {
	Date, Label string
}

// Chart geometry (pixels of the viewBox).
const (
	chartW, chartH                       = 960, 340
	padLeft, padRight, padTop, padBottom = 60, 20, 16, 70
)

// f prints a coordinate with one decimal: fixed, so the bytes are too.
func f(x float64) string { return strconv.FormatFloat(x, 'f', 1, 64) }

// esc escapes text for an element or an attribute value.
func esc(s string) string { return html.EscapeString(s) }

// chartSVG draws spec as inline SVG: y gridlines and ticks, the interval
// band, the line through the values, the records' values as small dots,
// the values as points (data-kind="point", each with a <title> and a link
// to its night's row), and the marks of regressions (red rings,
// data-kind="regression"), determinism breaks (orange triangles,
// data-kind="break") and changes with the build (grey diamonds,
// data-kind="changed").
func chartSVG(spec chartSpec) template.HTML {
	var b strings.Builder
	n := max(len(spec.Slots), 1)
	plotW := float64(chartW - padLeft - padRight)
	plotH := float64(chartH - padTop - padBottom)
	slotW := plotW / float64(n)
	x := func(slot int) float64 { return padLeft + (float64(slot)+0.5)*slotW }

	lo, hi := math.Inf(1), math.Inf(-1)
	for _, p := range spec.Points {
		lo, hi = min(lo, p.Value), max(hi, p.Value)
		if p.HasBand {
			lo, hi = min(lo, p.Lo), max(hi, p.Hi)
		}
		for _, s := range p.Seeds {
			lo, hi = min(lo, s.Value), max(hi, s.Value)
		}
	}
	if math.IsInf(lo, 0) {
		lo, hi = 0, 1
	}
	ticks, ylo, yhi := niceTicks(lo, hi)
	y := func(v float64) float64 { return padTop + (yhi-v)/(yhi-ylo)*plotH }

	fmt.Fprintf(&b, `<svg class="chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" width="%d" height="%d" role="img" aria-label="%s">`,
		chartW, chartH, chartW, chartH, esc(spec.Title))
	fmt.Fprintf(&b, `<title>%s</title>`, esc(spec.Title))
	// grid and y ticks
	for _, t := range ticks {
		fmt.Fprintf(&b, `<line class="grid" x1="%d" x2="%d" y1="%s" y2="%s"/>`, padLeft, chartW-padRight, f(y(t)), f(y(t)))
		fmt.Fprintf(&b, `<text class="tick" x="%d" y="%s" text-anchor="end">%s</text>`, padLeft-6, f(y(t)+4), esc(formatTick(t, ticks)))
	}
	fmt.Fprintf(&b, `<text class="axis" x="14" y="%s" transform="rotate(-90 14 %s)" text-anchor="middle">%s</text>`,
		f(padTop+plotH/2), f(padTop+plotH/2), esc(spec.Unit))
	// x ticks: at most 12 labelled nights, the last always
	every := (n + 11) / 12
	chars := max(6, int(slotW*float64(every)/6.5)) // about 6.5 pixels a character at 11px
	for i, s := range spec.Slots {
		if i%every != 0 && i != n-1 {
			continue
		}
		if i != n-1 && n-1-i < every {
			continue // leave room for the last
		}
		fmt.Fprintf(&b, `<text class="tick" x="%s" y="%d" text-anchor="middle"><title>%s</title>%s<tspan x="%s" dy="14">%s</tspan></text>`,
			f(x(i)), chartH-padBottom+18, esc(s.Date+" "+s.Label), esc(s.Date), f(x(i)), esc(shorten(s.Label, chars)))
	}
	// bands: one polygon per run of consecutive slots with an interval
	var run []chartPoint
	flush := func() {
		switch len(run) {
		case 0:
			return
		case 1:
			p := run[0]
			fmt.Fprintf(&b, `<rect class="band" data-kind="band" x="%s" y="%s" width="8" height="%s"/>`, f(x(p.Slot)-4), f(y(p.Hi)), f(max(y(p.Lo)-y(p.Hi), 0.5)))
		default:
			var pts []string
			for _, p := range run {
				pts = append(pts, f(x(p.Slot))+","+f(y(p.Hi)))
			}
			for i := len(run) - 1; i >= 0; i-- {
				pts = append(pts, f(x(run[i].Slot))+","+f(y(run[i].Lo)))
			}
			fmt.Fprintf(&b, `<polygon class="band" data-kind="band" points="%s"/>`, strings.Join(pts, " "))
		}
		run = run[:0]
	}
	for i, p := range spec.Points {
		if !p.HasBand || (len(run) > 0 && run[len(run)-1].Slot != p.Slot-1) {
			flush()
		}
		if p.HasBand {
			run = append(run, p)
		}
		if i == len(spec.Points)-1 {
			flush()
		}
	}
	// the line through the values, broken where a night has none
	var line []string
	flushLine := func() {
		if len(line) > 1 {
			fmt.Fprintf(&b, `<polyline class="line" data-kind="line" points="%s"/>`, strings.Join(line, " "))
		}
		line = line[:0]
	}
	for i, p := range spec.Points {
		if i > 0 && spec.Points[i-1].Slot != p.Slot-1 {
			flushLine()
		}
		line = append(line, f(x(p.Slot))+","+f(y(p.Value)))
	}
	flushLine()
	// the records' values, spread a little around their night
	for _, p := range spec.Points {
		k := len(p.Seeds)
		step := min(7, slotW/float64(k+1))
		for j, s := range p.Seeds {
			dx := (float64(j) - float64(k-1)/2) * step
			fmt.Fprintf(&b, `<circle class="seed" data-kind="seed" data-run="%s" cx="%s" cy="%s" r="2"><title>%s</title></circle>`,
				esc(s.Run), f(x(p.Slot)+dx), f(y(s.Value)), esc(s.Title))
		}
	}
	// marks, then the points on top
	for _, p := range spec.Points {
		cx, cy := x(p.Slot), y(p.Value)
		if p.Regression != "" {
			fmt.Fprintf(&b, `<circle class="mark-regression" data-kind="regression" data-night="%s" cx="%s" cy="%s" r="9"><title>%s</title></circle>`,
				esc(p.Label), f(cx), f(cy), esc(p.Regression))
		}
		if p.Break != "" {
			ty := cy - 14
			fmt.Fprintf(&b, `<polygon class="mark-break" data-kind="break" data-night="%s" points="%s,%s %s,%s %s,%s"><title>%s</title></polygon>`,
				esc(p.Label), f(cx), f(ty-6), f(cx-6), f(ty+5), f(cx+6), f(ty+5), esc(p.Break))
		}
		if p.Changed != "" {
			ty := cy + 15
			fmt.Fprintf(&b, `<polygon class="mark-changed" data-kind="changed" data-night="%s" points="%s,%s %s,%s %s,%s %s,%s"><title>%s</title></polygon>`,
				esc(p.Label), f(cx), f(ty-5), f(cx+5), f(ty), f(cx), f(ty+5), f(cx-5), f(ty), esc(p.Changed))
		}
	}
	for _, p := range spec.Points {
		fmt.Fprintf(&b, `<a href="%s"><circle class="point" data-kind="point" data-night="%s" cx="%s" cy="%s" r="4.5"><title>%s</title></circle></a>`,
			esc(p.Link), esc(p.Label), f(x(p.Slot)), f(y(p.Value)), esc(p.Title))
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}

// sparkSVG is a small line of values over the suite's n nights, with the
// last value as a dot and the nights whose check found a regression or a
// determinism break as red or orange dots.
func sparkSVG(n int, pts []chartPoint, title string) template.HTML {
	const w, h, pad = 140, 30, 3
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="spark" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" width="%d" height="%d" role="img" aria-label="%s"><title>%s</title>`,
		w, h, w, h, esc(title), esc(title))
	if len(pts) > 0 {
		lo, hi := math.Inf(1), math.Inf(-1)
		for _, p := range pts {
			lo, hi = min(lo, p.Value), max(hi, p.Value)
		}
		if hi-lo < 1e-9 {
			lo, hi = lo-0.5, hi+0.5
		}
		x := func(slot int) float64 {
			if n <= 1 {
				return w / 2
			}
			return pad + float64(slot)*(w-2*pad)/float64(n-1)
		}
		y := func(v float64) float64 { return pad + (hi-v)/(hi-lo)*(h-2*pad) }
		var line []string
		for _, p := range pts {
			line = append(line, f(x(p.Slot))+","+f(y(p.Value)))
		}
		if len(line) > 1 {
			fmt.Fprintf(&b, `<polyline class="line" points="%s"/>`, strings.Join(line, " "))
		}
		for _, p := range pts {
			switch {
			case p.Regression != "":
				fmt.Fprintf(&b, `<circle class="spark-regression" data-kind="spark-regression" cx="%s" cy="%s" r="2.5"/>`, f(x(p.Slot)), f(y(p.Value)))
			case p.Break != "":
				fmt.Fprintf(&b, `<circle class="spark-break" data-kind="spark-break" cx="%s" cy="%s" r="2.5"/>`, f(x(p.Slot)), f(y(p.Value)))
			}
		}
		last := pts[len(pts)-1]
		fmt.Fprintf(&b, `<circle class="spark-last" cx="%s" cy="%s" r="2"/>`, f(x(last.Slot)), f(y(last.Value)))
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}

// niceTicks picks 4 to 8 round tick values covering [lo, hi] and the axis
// range they span.
func niceTicks(lo, hi float64) ([]float64, float64, float64) {
	if hi-lo < 0.5 {
		mid := (lo + hi) / 2
		lo, hi = mid-0.25, mid+0.25
	}
	pad := 0.05 * (hi - lo)
	lo, hi = lo-pad, hi+pad
	span := hi - lo
	step := 0.0
	for _, s := range []float64{0.1, 0.2, 0.25, 0.5, 1, 2, 2.5, 5, 10, 20, 25, 50} {
		if span/s <= 7 {
			step = s
			break
		}
	}
	if step == 0 {
		step = 100
	}
	first := math.Floor(lo/step) * step
	last := math.Ceil(hi/step) * step
	var ticks []float64
	for i := 0; ; i++ {
		t := first + float64(i)*step
		if t > last+step/2 {
			break
		}
		ticks = append(ticks, math.Round(t*1000)/1000)
	}
	return ticks, first, last
}

// formatTick prints a tick with as many decimals as the step needs.
func formatTick(t float64, ticks []float64) string {
	d := 0
	if len(ticks) > 1 {
		step := ticks[1] - ticks[0]
		for d < 3 && math.Abs(step*math.Pow(10, float64(d))-math.Round(step*math.Pow(10, float64(d)))) > 1e-6 {
			d++
		}
	}
	return strconv.FormatFloat(t, 'f', d, 64)
}

// shorten cuts s to n runes, ending it with "…" when cut.
func shorten(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}
