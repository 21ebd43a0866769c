package experiment

import (
	"context"
	"fmt"
	"time"
)

// loop is the run loop of every kind with a checkpoint: it steps until the
// iteration limit or the training budget (whichever comes first), writes a
// checkpoint every CheckpointEvery of wall clock, and on a cancelled context
// (Ctrl-C, SIGTERM) or Options.StopAfter writes one and returns
// ErrInterrupted. All randomness of a step is a function of (seed,
// iteration), so a resumed run that restores the checkpoint ends exactly
// where an uninterrupted one does.
type loop struct {
	// Iter and TrainSec are the checkpoint's counters: iterations done and
	// training seconds spent (they advance here and are saved with it).
	Iter     *int
	TrainSec *float64
	// Limit (0: none) and Budget (0: none) end the loop.
	Limit  int
	Budget time.Duration
	// CheckpointEvery > 0 saves a checkpoint that often.
	CheckpointEvery time.Duration
	// Name heads the progress line; Unit names an iteration in messages.
	Name, Unit string
	// Step runs iteration iter and returns the status line.
	Step func(iter int) (string, error)
	// After, when set, runs after each iteration once the counters have
	// advanced; it returns true when a checkpoint is due now (train saves
	// one after each validation).
	After func() (save bool, err error)
	// Last, when set, runs once the loop has ended, before the final
	// checkpoint.
	Last func() error
	// Save writes the checkpoint; done is true once the loop has ended
	// (resumable.run sets it, and Iter and TrainSec).
	Save func(done bool) error
}

// more reports whether another iteration is due.
func (l *loop) more() bool {
	return (l.Limit == 0 || *l.Iter < l.Limit) && (l.Budget == 0 || *l.TrainSec < l.Budget.Seconds())
}

// run runs the loop and saves the final checkpoint (done) at its end.
func (l *loop) run(ctx context.Context, opt *Options) error {
	p := progressOf(opt)
	started := false
	if l.more() {
		total := -1
		if l.Limit > 0 {
			total = l.Limit
		}
		p.Start(l.Name, *l.Iter, total)
		started = true
	}
	end := func() {
		if started {
			p.End()
			started = false
		}
	}
	defer end()
	lastCk := time.Now()
	ran := 0
	for l.more() {
		if ctx.Err() != nil || (opt.StopAfter > 0 && ran >= opt.StopAfter) {
			if err := l.Save(false); err != nil {
				return err
			}
			end()
			return fmt.Errorf("%w at %s %d; checkpoint saved in %s, from which the run resumes", ErrInterrupted, l.Unit, *l.Iter, opt.Out)
		}
		t0 := time.Now()
		status, err := l.Step(*l.Iter)
		if err != nil {
			return err
		}
		*l.TrainSec += time.Since(t0).Seconds()
		*l.Iter++
		ran++
		p.Step(*l.Iter, status)
		if l.After != nil {
			save, err := l.After()
			if err != nil {
				return err
			}
			if save {
				if err := l.Save(false); err != nil {
					return err
				}
				lastCk = time.Now()
				continue
			}
		}
		if l.CheckpointEvery > 0 && time.Since(lastCk) >= l.CheckpointEvery {
			if err := l.Save(false); err != nil {
				return err
			}
			lastCk = time.Now()
		}
	}
	end()
	if l.Last != nil {
		if err := l.Last(); err != nil {
			return err
		}
	}
	return l.Save(true)
}
