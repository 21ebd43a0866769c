package autodiff

import (
	"errors"
	"fmt"

	"github.com/metabench/metabench/internal/vec"
	"github.com/metabench/metabench/tensor"
)

// Float is the element type of the engine (float32 or float64).
type Float = tensor.Float

// Tape records the operations applied to variables so that gradients can be
// computed. A tape is not safe for concurrent use: give every goroutine (every
// task of a meta-batch) its own tape. There is no package-level state.
type Tape[T Float] struct {
	noGrad bool // while true, operations record nothing (first-order backward, evaluation)
	nextID int
	work   *tensor.Workspace
}

// SetWorkspace makes the tape's kernels (convolutions) draw their scratch
// buffers from ws. A caller that builds a new tape per task can keep one
// workspace per worker goroutine and hand it to every tape it makes, so the
// im2col buffers are allocated once per run instead of once per call.
func (tp *Tape[T]) SetWorkspace(ws *tensor.Workspace) { tp.work = ws }

// Workspace returns the tape's scratch pool, creating one on first use.
func (tp *Tape[T]) Workspace() *tensor.Workspace {
	if tp.work == nil {
		tp.work = tensor.NewWorkspace()
	}
	return tp.work
}

// NewTape returns an empty tape.
func NewTape[T Float]() *Tape[T] { return &Tape[T]{} }

// NewScopedTape returns an empty tape that records into a workspace lent by
// work, inside an arena scope (tensor.Workspace.Begin), and the function
// that ends the scope and gives the workspace back. Nothing the tape made
// may be used after that (copy results out with tensor.Clone first). A nil
// work gives a plain tape and a no-op function.
func NewScopedTape[T Float](work *tensor.WorkPool) (*Tape[T], func()) {
	tp := NewTape[T]()
	ws := work.Get()
	if ws == nil {
		return tp, func() {}
	}
	scope := ws.Begin()
	tp.SetWorkspace(ws)
	return tp, func() { scope.End(); work.Put(ws) }
}

// NoGrad runs f with recording switched off: every variable created inside
// is a constant. It is how evaluation and first-order updates avoid building
// a graph.
func (tp *Tape[T]) NoGrad(f func()) {
	prev := tp.noGrad
	tp.noGrad = true
	defer func() { tp.noGrad = prev }()
	f()
}

// Recording reports whether operations on this tape are being recorded.
func (tp *Tape[T]) Recording() bool { return !tp.noGrad }

// Var is a node of the computation: a value and, when it requires a gradient,
// the rule that maps the gradient of its output to the gradients of its
// parents.
type Var[T Float] struct {
	tape         *Tape[T]
	id           int
	val          *tensor.Tensor[T]
	requiresGrad bool
	parents      []*Var[T]
	// backward maps the upstream gradient gy (same shape as val) to one
	// gradient per parent (nil where a parent needs none). It must build its
	// result from differentiable operations on tape variables so that the
	// gradient itself can be differentiated.
	backward func(gy *Var[T]) []*Var[T]
	name     string
	// reluIn is set on the output of a recorded ReLU: its input. MaxPool2d
	// of such a variable differentiates max-pool∘ReLU as one op with
	// respect to reluIn (see MaxPool2dHW), so neither the ReLU output nor
	// the full-size intermediate gradient between the two is kept.
	reluIn *Var[T]
}

// Param returns a leaf variable that requires a gradient.
func (tp *Tape[T]) Param(t *tensor.Tensor[T]) *Var[T] {
	tp.nextID++
	return &Var[T]{tape: tp, id: tp.nextID, val: t, requiresGrad: true}
}

// Const returns a leaf variable that does not require a gradient.
func (tp *Tape[T]) Const(t *tensor.Tensor[T]) *Var[T] {
	tp.nextID++
	return &Var[T]{tape: tp, id: tp.nextID, val: t}
}

// Scalar returns a constant 0-d variable.
func (tp *Tape[T]) Scalar(v T) *Var[T] { return tp.Const(tensor.Scalar(v)) }

// Value is the variable's tensor. Callers must not modify it.
func (v *Var[T]) Value() *tensor.Tensor[T] { return v.val }

// Shape is the shape of the value.
func (v *Var[T]) Shape() []int { return v.val.Shape }

// Data is the flat data of the value. Callers must not modify it.
func (v *Var[T]) Data() []T { return v.val.Data }

// Item is the value of a one-element variable.
func (v *Var[T]) Item() T { return v.val.Item() }

// RequiresGrad reports whether gradients flow to this variable.
func (v *Var[T]) RequiresGrad() bool { return v.requiresGrad }

// Tape is the tape the variable belongs to.
func (v *Var[T]) Tape() *Tape[T] { return v.tape }

// Detach returns a constant with the same value (shared, not copied).
func (v *Var[T]) Detach() *Var[T] { return v.tape.Const(v.val) }

// SetName attaches a name used in error messages and debugging.
func (v *Var[T]) SetName(n string) *Var[T] { v.name = n; return v }

func (v *Var[T]) String() string {
	return fmt.Sprintf("Var#%d%s%v", v.id, v.name, v.val.Shape)
}

// NewOp creates the output variable of an operation. value is the computed
// output; backward is called during Grad with the upstream gradient and must
// return one gradient per parent (nil for a parent that needs none), built
// from differentiable operations. Nothing is recorded when the tape is not
// recording or when no parent requires a gradient.
func NewOp[T Float](tp *Tape[T], value *tensor.Tensor[T], parents []*Var[T], backward func(gy *Var[T]) []*Var[T]) *Var[T] {
	tp.nextID++
	out := &Var[T]{tape: tp, id: tp.nextID, val: value}
	if tp.noGrad {
		return out
	}
	for _, p := range parents {
		if p != nil && p.requiresGrad {
			out.requiresGrad = true
			break
		}
	}
	if out.requiresGrad {
		out.parents = parents
		out.backward = backward
	}
	return out
}

// ErrNotScalar is returned by Grad when y has more than one element and no
// upstream gradient is given.
var ErrNotScalar = errors.New("autodiff: Grad of a non-scalar output without an upstream gradient")

// Grad returns the gradients of sum(y) (or of sum(gy*y) when gy is given with
// GradWith) with respect to xs. With createGraph the backward pass is
// recorded, so the returned gradients are differentiable functions of the
// inputs (exact higher-order derivatives, PyTorch's create_graph=True);
// without it the backward pass computes values only. A variable of xs that y
// does not depend on gets a zero gradient.
func Grad[T Float](y *Var[T], xs []*Var[T], createGraph bool) ([]*Var[T], error) {
	if y.val.Len() != 1 {
		return nil, ErrNotScalar
	}
	tp := y.tape
	var gy *Var[T]
	tp.NoGrad(func() { gy = tp.Const(tensor.Full(T(1), y.val.Shape...)) })
	return GradWith(y, gy, xs, createGraph)
}

// GradWith is Grad with an explicit upstream gradient gy of y's shape: it
// differentiates sum(gy * y). gy may itself require a gradient (double
// backward with respect to the upstream gradient).
//
// Memory: a node's gradient is dropped as soon as its backward has run
// (except for the variables of xs), so only the gradients of the current
// "frontier" of the reverse sweep are alive at any time. Variables used
// more than once get several contributions: without createGraph they are
// summed in place into one buffer owned by the sweep (the first
// contribution is never written to: it may be shared with another node);
// with createGraph they are collected and summed by one AddN op when the
// node is reached, so the recorded graph has one sum node, not a chain of
// k-1 Adds. Either way the sum runs left to right in the order the
// contributions arrive, as a chain of Adds would.
func GradWith[T Float](y, gy *Var[T], xs []*Var[T], createGraph bool) ([]*Var[T], error) {
	return gradWith(y, gy, xs, createGraph, false)
}

// GradRelease is Grad without createGraph that also releases the graph as
// it goes (PyTorch's backward with retain_graph=False): once a node's
// backward has run, its backward rule and its links to its parents are
// dropped, so the tensors the rule saved and the values of intermediate
// nodes become garbage during the sweep instead of after it. Values stay
// readable, but no variable on the path from xs to y can be differentiated
// through afterwards (a second Grad would see constants). Use it for the
// last backward pass over a graph (a training step, a meta-gradient).
func GradRelease[T Float](y *Var[T], xs []*Var[T]) ([]*Var[T], error) {
	if y.val.Len() != 1 {
		return nil, ErrNotScalar
	}
	tp := y.tape
	var gy *Var[T]
	tp.NoGrad(func() { gy = tp.Const(tensor.Full(T(1), y.val.Shape...)) })
	return gradWith(y, gy, xs, false, true)
}

func gradWith[T Float](y, gy *Var[T], xs []*Var[T], createGraph, release bool) ([]*Var[T], error) {
	if !tensor.SameShape(y.val.Shape, gy.val.Shape) {
		return nil, fmt.Errorf("autodiff: upstream gradient shape %v does not match output %v", gy.val.Shape, y.val.Shape)
	}
	tp := y.tape
	order := topoOrder(y)
	keep := make(map[*Var[T]]bool, len(xs))
	for _, x := range xs {
		keep[x] = true
	}
	// grads[n] is n's first (or, without createGraph, accumulated)
	// gradient; owned marks buffers the sweep allocated and may add into;
	// extra[n] holds the further contributions when recording.
	grads := make(map[*Var[T]]*Var[T], len(order))
	owned := make(map[*Var[T]]bool)
	extra := make(map[*Var[T]][]*Var[T])
	// Only nodes from which some x is reachable through parents can pass a
	// gradient on to xs; the others (e.g. the earlier inner steps behind
	// θ_t when differentiating with respect to θ_t) are skipped, as
	// PyTorch's autograd.grad does. order lists parents first, so one pass
	// settles it. Skipping changes no result: every contribution to a
	// needed node comes from a needed node.
	needed := make(map[*Var[T]]bool, len(order))
	for _, n := range order {
		need := keep[n]
		for _, p := range n.parents {
			if p != nil && needed[p] {
				need = true
				break
			}
		}
		if need {
			needed[n] = true
		}
	}
	// In release mode with a workspace arena, a gradient buffer made during
	// this sweep goes back to the arena as soon as no entry of grads refers
	// to it (entries share buffers through pass-through rules and reshapes:
	// they are counted by data pointer), so later gradients of the sweep
	// reuse it and the peak stays near that of garbage-collected memory.
	var rec *recycler[T]
	if release && !createGraph && tp.work != nil {
		rec = &recycler[T]{ws: tp.work, mark: tp.work.Mark(), refs: make(map[*T]int), keep: keep}
	}
	grads[y] = gy
	rec.add(gy)
	settle := func(n *Var[T]) *Var[T] {
		g := grads[n]
		if more := extra[n]; len(more) > 0 {
			g = AddN(append([]*Var[T]{g}, more...)...)
			grads[n] = g
			delete(extra, n)
		}
		return g
	}
	accumulate := func(p, g *Var[T]) {
		old := grads[p]
		switch {
		case old == nil:
			grads[p] = g
			rec.add(g)
		case tp.Recording():
			extra[p] = append(extra[p], g)
		case owned[p]:
			addInto(old.val.Data, g.val.Data)
			rec.later(g)
		default:
			buf := tensor.MakeRaw[T](tp.work, old.val.Shape...)
			sumInto(buf.Data, old.val.Data, g.val.Data)
			grads[p] = tp.Const(buf)
			owned[p] = true
			rec.add(grads[p])
			rec.drop(old, p)
			rec.later(g)
		}
	}
	run := func() {
		for i := len(order) - 1; i >= 0; i-- {
			n := order[i]
			g := settle(n)
			if !keep[n] {
				delete(grads, n)
				delete(owned, n)
				// n's buffer may go back once its backward has handed g
				// on (a parent may get g itself): see rec.drop below.
			}
			if g == nil || n.backward == nil || !parentNeeded(n, needed) {
				if !keep[n] {
					rec.drop(g, n)
				}
				continue
			}
			pg := n.backward(g)
			if len(pg) != len(n.parents) {
				panic(fmt.Sprintf("autodiff: backward of %v returned %d gradients for %d parents", n, len(pg), len(n.parents)))
			}
			parents := n.parents
			if release {
				order[i], n.parents, n.backward = nil, nil, nil
			}
			for j, p := range parents {
				if p == nil || !p.requiresGrad || pg[j] == nil || !needed[p] {
					if pg[j] != nil {
						rec.later(pg[j])
					}
					continue
				}
				if !tensor.SameShape(pg[j].val.Shape, p.val.Shape) {
					panic(fmt.Sprintf("autodiff: backward of %v gave gradient %v for parent %v", n, pg[j].val.Shape, p.val.Shape))
				}
				accumulate(p, pg[j])
			}
			if !keep[n] {
				rec.drop(g, n)
			}
			rec.flush()
		}
		for _, x := range xs {
			settle(x) // leaves and xs not visited as interior nodes
		}
	}
	if createGraph {
		prev := tp.noGrad
		tp.noGrad = false
		run()
		tp.noGrad = prev
	} else {
		tp.NoGrad(run)
	}
	out := make([]*Var[T], len(xs))
	for i, x := range xs {
		if g := grads[x]; g != nil {
			out[i] = g
		} else {
			out[i] = tp.Const(tensor.New[T](x.val.Shape...))
		}
	}
	return out, nil
}

// parentNeeded reports whether some parent of n is in needed.
func parentNeeded[T Float](n *Var[T], needed map[*Var[T]]bool) bool {
	for _, p := range n.parents {
		if p != nil && needed[p] {
			return true
		}
	}
	return false
}

// addInto adds src into dst element-wise (dst[i] += src[i]), splitting big
// slices into fixed chunks spread over goroutines (each element is written
// by one goroutine, so the result does not depend on GOMAXPROCS).
func addInto[T Float](dst, src []T) {
	src = src[:len(dst)]
	const chunk = 1 << 16
	forChannels((len(dst)+chunk-1)/chunk, len(dst), func(k int) {
		lo := k * chunk
		hi := min(lo+chunk, len(dst))
		d, s := dst[lo:hi], src[lo:hi]
		if isF32[T]() {
			vec.Add(asF32(d), asF32(s))
			return
		}
		for i := range d {
			d[i] += s[i]
		}
	})
}

// sumInto sets dst = a + b (the same chunks as addInto).
func sumInto[T Float](dst, a, b []T) {
	a, b = a[:len(dst)], b[:len(dst)]
	const chunk = 1 << 16
	forChannels((len(dst)+chunk-1)/chunk, len(dst), func(k int) {
		lo := k * chunk
		hi := min(lo+chunk, len(dst))
		d, x, y := dst[lo:hi], a[lo:hi], b[lo:hi]
		if isF32[T]() {
			vec.Sum2(asF32(d), asF32(x), asF32(y))
			return
		}
		for i := range d {
			d[i] = x[i] + y[i]
		}
	})
}

// AddN returns x_1 + x_2 + ... + x_k for variables of one shape, summed left
// to right ((x_1 + x_2) + x_3 ...) in one pass with one output. It is linear:
// its backward hands gy to every operand that requires a gradient.
func AddN[T Float](xs ...*Var[T]) *Var[T] {
	if len(xs) == 0 {
		panic("autodiff: AddN: no operands")
	}
	tp := sameTape("AddN", xs...)
	for _, x := range xs[1:] {
		if !tensor.SameShape(x.val.Shape, xs[0].val.Shape) {
			panic(fmt.Sprintf("autodiff: AddN: shapes %v and %v differ", xs[0].val.Shape, x.val.Shape))
		}
	}
	if len(xs) == 1 {
		return xs[0]
	}
	out := tensor.MakeRaw[T](tp.work, xs[0].val.Shape...)
	sumInto(out.Data, xs[0].val.Data, xs[1].val.Data)
	for _, x := range xs[2:] {
		addInto(out.Data, x.val.Data)
	}
	parents := append([]*Var[T](nil), xs...)
	return NewOp(tp, out, parents, func(gy *Var[T]) []*Var[T] {
		gs := make([]*Var[T], len(parents))
		for i, p := range parents {
			if p.requiresGrad {
				gs[i] = gy
			}
		}
		return gs
	})
}

// topoOrder lists the variables y depends on through recorded operations,
// parents before children (iterative depth-first search, so deep unrolled
// graphs cannot overflow the stack).
func topoOrder[T Float](y *Var[T]) []*Var[T] {
	type frame struct {
		v    *Var[T]
		next int
	}
	visited := map[*Var[T]]bool{y: true}
	var order []*Var[T]
	stack := []frame{{v: y}}
	for len(stack) > 0 {
		top := &stack[len(stack)-1]
		if top.next < len(top.v.parents) {
			p := top.v.parents[top.next]
			top.next++
			if p != nil && p.requiresGrad && !visited[p] {
				visited[p] = true
				stack = append(stack, frame{v: p})
			}
			continue
		}
		order = append(order, top.v)
		stack = stack[:len(stack)-1]
	}
	return order
}

// recycler counts the grads entries that refer to each gradient buffer and
// hands a buffer back to the workspace arena (tensor.Recycle) when the count
// falls to zero. Only buffers lent after mark (made during the sweep) can go
// back; gradients of the requested variables never do. A nil recycler does
// nothing.
type recycler[T Float] struct {
	ws      *tensor.Workspace
	mark    tensor.Mark
	refs    map[*T]int
	keep    map[*Var[T]]bool
	pending []*Var[T]
}

func (r *recycler[T]) add(g *Var[T]) {
	if r == nil || g == nil || len(g.val.Data) == 0 {
		return
	}
	r.refs[&g.val.Data[0]]++
}

// later notes a gradient that may be dead once the current node's parents
// have all been handed their gradients (a contribution summed into another
// buffer, or one nobody needs); flush then recycles those no entry of grads
// refers to. Deferring matters: a rule may hand the same tensor to several
// parents.
func (r *recycler[T]) later(g *Var[T]) {
	if r == nil || len(g.val.Data) == 0 {
		return
	}
	r.pending = append(r.pending, g)
}

func (r *recycler[T]) flush() {
	if r == nil {
		return
	}
	for i, g := range r.pending {
		if r.refs[&g.val.Data[0]] == 0 {
			tensor.Recycle(r.ws, r.mark, g.val.Data) // a no-op if already recycled
		}
		r.pending[i] = nil
	}
	r.pending = r.pending[:0]
}

// drop removes the entry of node n (whose gradient was g).
func (r *recycler[T]) drop(g, n *Var[T]) {
	if r == nil || g == nil || len(g.val.Data) == 0 {
		return
	}
	p := &g.val.Data[0]
	r.refs[p]--
	if r.refs[p] > 0 {
		return
	}
	delete(r.refs, p)
	if !r.keep[n] {
		tensor.Recycle(r.ws, r.mark, g.val.Data)
	}
}
