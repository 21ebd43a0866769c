package experiment

import (
	"context"
	"fmt"
	"time"

	"github.com/metabench/metabench/internal/checkpoint"
	"github.com/metabench/metabench/internal/gemm"
	"github.com/metabench/metabench/reports"
)

// resumable is what every kind with a checkpoint (train, search,
// metatrain) does around its own work: it owns the run folder (created,
// and checked against Options.Resume), the resume (the checkpoint's
// counters and curve continue; the kind restores its own state), the run
// loop's checkpoints (the kind's state, captured, with the counters and the
// curve), the curve, and the record's common fields, wall clock and CPU
// time. The kind keeps what is its own: its data, model and trainer, its
// step, its state, its outputs and its record's own fields.
type resumable struct {
	kind    *Kind
	opt     *Options
	path    string // the checkpoint
	started time.Time
	cpu0    float64
	// cpuLost says the run resumed from a checkpoint that kept no CPU
	// time (written before Header.CPUSec), so the record's covers only
	// the processes since.
	cpuLost bool
	hdr     checkpoint.Header // iterations done, training seconds, done
	curve   []checkpoint.Point
}

// ownPart is what a kind with a checkpoint does itself (trainRun,
// searchRun, metatrainRun): restore and capture its state, and its loop.
type ownPart interface {
	restore(checkpoint.Header, *checkpoint.State) error
	capture() (*checkpoint.State, error)
	loop() *loop
}

// runToEnd runs the kind called name in opt.Out: begins the run, builds the
// kind's own part with build, resumes it with Options.Resume and runs its
// loop to the end. It returns the own part for the kind's outputs and
// record.
func runToEnd[P ownPart](ctx context.Context, name string, opt *Options, build func(*resumable) (P, error)) (P, error) {
	var zero P
	r, err := begin(kindNamed(name), opt)
	if err != nil {
		return zero, err
	}
	p, err := build(r)
	if err != nil {
		return zero, err
	}
	if err := r.resume(p.restore); err != nil {
		return zero, err
	}
	if err := r.run(ctx, p.loop(), p.capture); err != nil {
		return zero, err
	}
	return p, nil
}

// begin starts a run of kind k in opt.Out: the folder is created, and a
// checkpoint in it is an error unless opt.Resume (and missing one an error
// if it is).
func begin(k *Kind, opt *Options) (*resumable, error) {
	r := &resumable{kind: k, opt: opt, started: time.Now(), cpu0: cpuSeconds()}
	var err error
	r.path, err = opt.prepareOut(k.format.File, k.What)
	return r, err
}

// resume, with Options.Resume, reads the checkpoint and hands its state to
// restore (the kind checks it against its run and loads it); the
// iterations, the training seconds and the curve continue from it.
func (r *resumable) resume(restore func(checkpoint.Header, *checkpoint.State) error) error {
	if !r.opt.Resume {
		return nil
	}
	h, st, err := r.kind.format.Load(r.path)
	if err != nil {
		return fmt.Errorf("resume: %w", err)
	}
	if err := restore(h, st); err != nil {
		return fmt.Errorf("resume: %s: %w", r.path, err)
	}
	r.hdr.Iter, r.hdr.TrainSec, r.hdr.CPUSec, r.curve = h.Iter, h.TrainSec, h.CPUSec, st.Curve
	r.cpuLost = h.Iter > 0 && h.CPUSec == 0
	r.cpu0 -= h.CPUSec // cpuSpent counts the earlier processes' time too
	return nil
}

// run runs l on the run's counters, saving the state capture returns, with
// the curve, at every checkpoint (loop).
func (r *resumable) run(ctx context.Context, l *loop, capture func() (*checkpoint.State, error)) error {
	l.Iter, l.TrainSec = &r.hdr.Iter, &r.hdr.TrainSec
	l.Save = func(done bool) error {
		st, err := capture()
		if err != nil {
			return err
		}
		st.Curve, r.hdr.Done, r.hdr.CPUSec = r.curve, done, r.cpuSpent()
		return r.kind.format.Save(r.path, r.hdr, st)
	}
	return l.run(ctx, r.opt)
}

// add appends p to the curve as the point of the iterations and training
// seconds done.
func (r *resumable) add(p checkpoint.Point) {
	p.Iter, p.TrainSec = r.hdr.Iter, r.hdr.TrainSec
	r.curve = append(r.curve, p)
}

// lastPoint is the curve's last point (false when it has none).
func (r *resumable) lastPoint() (checkpoint.Point, bool) {
	if len(r.curve) == 0 {
		return checkpoint.Point{}, false
	}
	return r.curve[len(r.curve)-1], true
}

// lastPointOf is the curve's last validation point (val) or last point of
// training statistics (!val); false when it has none.
func (r *resumable) lastPointOf(val bool) (checkpoint.Point, bool) {
	for i := len(r.curve) - 1; i >= 0; i-- {
		if r.curve[i].Validation == val {
			return r.curve[i], true
		}
	}
	return checkpoint.Point{}, false
}

// record is the run's record with the common fields (newRecord), the
// iterations, the training seconds and the curve: validation accuracy, or
// the training statistics of each point, versus iteration and training
// wall clock.
func (r *resumable) record(method, model string, cfg map[string]any, seed int64) *reports.Record {
	rec := newRecord(r.kind.Name, method, method, model, r.started, cfg, seed)
	rec.Iters, rec.TrainSec = r.hdr.Iter, r.hdr.TrainSec
	for _, p := range r.curve {
		rec.Curve = append(rec.Curve, reports.Point{Iter: p.Iter, WallSec: p.TrainSec, Accuracy: p.Acc, CI95: p.CI95, Loss: p.Loss, Validation: p.Validation})
	}
	return rec
}

// finish sets rec's wall clock and CPU time, writes it to the run folder's
// record.json and hands it to Options.Save.
func (r *resumable) finish(rec *reports.Record) (*reports.Record, error) {
	rec.WallSec = time.Since(r.started).Seconds()
	rec.CPUSec = r.cpuSpent()
	if r.cpuLost {
		if rec.Extra == nil {
			rec.Extra = map[string]any{}
		}
		rec.Extra[reports.ExtraCPUPartial] = "cpu_sec counts only the sittings since a resume from a checkpoint that kept no CPU time"
	}
	if err := r.opt.finish(rec, RecordFile(r.opt.Out)); err != nil {
		return nil, err
	}
	return rec, nil
}

// cpuSpent is the run's CPU seconds: this process's since it began the run,
// plus what the checkpoint it resumed from had counted.
func (r *resumable) cpuSpent() float64 { return cpuSeconds() - r.cpu0 }

// newRecord is the skeleton of every record: schema, run id (of kind, id
// and the start), kind, method, model, start, configuration, seed and the
// provenance of the code and the machine.
func newRecord(kind, method, id, model string, started time.Time, cfg map[string]any, seed int64) *reports.Record {
	env := reports.NewEnv()
	env.GemmPath = gemm.Path()
	return &reports.Record{Schema: reports.SchemaVersion, RunID: reports.NewRunID(kind, id, started, seed), Kind: kind,
		Method: method, Model: model, Started: started.UTC(), Config: cfg, Seed: seed, Env: env}
}

// stretch averages a run's statistics over the iterations since the last
// curve point (search and metatrain draw a point every so many iterations,
// train one per validation): weighted means by key.
type stretch[K comparable] struct {
	sum, weight map[K]float64
}

// add adds value v of key k with weight w.
func (s *stretch[K]) add(k K, v, w float64) {
	if s.sum == nil {
		s.sum, s.weight = map[K]float64{}, map[K]float64{}
	}
	s.sum[k] += v * w
	s.weight[k] += w
}

// take returns the means by key (0 for a key with nothing added) and starts
// a new stretch.
func (s *stretch[K]) take() map[K]float64 {
	out := map[K]float64{}
	for k, v := range s.sum {
		out[k] = v / s.weight[k]
	}
	s.sum, s.weight = nil, nil
	return out
}

// pointDue reports whether a curve drawn every `every` iterations has a
// point at iteration iter (and at the loop's last).
func pointDue(iter, every int, l *loop) bool { return iter%every == 0 || !l.more() }
