package cli

import (
	"fmt"
	"io"
	"time"

	"github.com/schollz/progressbar/v3"
)

// barProgress is the experiment.Progress of the command line: a progress
// bar on stderr for the iterations of a run, a line for each stage.
type barProgress struct {
	w   io.Writer
	bar *progressbar.ProgressBar
}

// newProgress returns the progress of a command: nil (silent) when quiet.
func newProgress(w io.Writer, quiet bool) *barProgress {
	if quiet {
		return nil
	}
	return &barProgress{w: w}
}

// Start opens a bar of total iterations (-1: only a wall-clock budget
// bounds the run). The spinner of an unbounded bar moves only when the bar
// is updated: with the library's default timer it would keep redrawing after
// End, over whatever the command prints next.
func (p *barProgress) Start(name string, done, total int) {
	p.bar = progressbar.NewOptions(total, progressbar.OptionSetWriter(p.w),
		progressbar.OptionSetDescription(name), progressbar.OptionShowCount(), progressbar.OptionShowIts(),
		progressbar.OptionSetWidth(24), progressbar.OptionThrottle(200*time.Millisecond), progressbar.OptionSetPredictTime(true),
		progressbar.OptionShowDescriptionAtLineEnd(), progressbar.OptionSetSpinnerChangeInterval(0))
	_ = p.bar.Set(done)
}

func (p *barProgress) Step(done int, status string) {
	if p.bar == nil {
		return
	}
	p.bar.Describe(status)
	_ = p.bar.Set(done)
}

// End leaves the bar at the iterations done (Finish would show the limit).
func (p *barProgress) End() {
	if p.bar == nil {
		return
	}
	_ = p.bar.Exit()
	fmt.Fprintln(p.w)
	p.bar = nil
}

func (p *barProgress) Log(msg string) { fmt.Fprintln(p.w, msg) }
