package tensor

import (
	"sync"
	"unsafe"
)

// The output arena of a Workspace. Outside a scope, Make and MakeIndex
// allocate from the Go heap like New. Between ws.Begin() and the matching
// Scope.End(), they lend buffers that End takes back, all at once, into
// free lists keyed by exact length; the next scope gets them again. A
// meta-learning step allocates the same shapes task after task, so from the
// second task on it runs on recycled memory: no page faults, no garbage
// collection of hundreds of megabytes per step, and no madvise traffic from
// the runtime returning that memory to the OS in between.
//
// The contract is the caller's: nothing made inside a scope may be used
// after its End (copy results out first, e.g. with Clone). Scopes nest; End
// returns what was lent since its own Begin.

// Scope is an open arena scope of a Workspace (see Workspace.Begin).
type Scope struct {
	ws             *Workspace
	n32, n64, nIdx int
	depth          int
}

// Begin opens an arena scope: until its End, Make and MakeIndex on ws lend
// recycled buffers. A nil workspace gives a no-op scope.
func (ws *Workspace) Begin() Scope {
	if ws == nil {
		return Scope{}
	}
	ws.mu.Lock()
	defer ws.mu.Unlock()
	ws.depth++
	return Scope{ws: ws, n32: len(ws.lent32), n64: len(ws.lent64), nIdx: len(ws.lentI), depth: ws.depth}
}

// Scoped reports whether an arena scope is open on ws (Make lends).
func (ws *Workspace) Scoped() bool {
	if ws == nil {
		return false
	}
	ws.mu.Lock()
	defer ws.mu.Unlock()
	return ws.depth > 0
}

// End takes back every buffer lent since the scope's Begin. Ending scopes
// out of order panics.
func (s Scope) End() {
	ws := s.ws
	if ws == nil {
		return
	}
	ws.mu.Lock()
	defer ws.mu.Unlock()
	if ws.depth != s.depth {
		panic("tensor: Scope.End out of order")
	}
	ws.depth--
	ws.lent32 = reclaim(ws.lent32, s.n32, &ws.idle32, ws.where)
	ws.lent64 = reclaim(ws.lent64, s.n64, &ws.idle64, ws.where)
	ws.lentI = reclaim(ws.lentI, s.nIdx, &ws.idleI, nil)
}

func reclaim[E any](lent [][]E, from int, idle *map[int][][]E, where map[unsafe.Pointer]int) [][]E {
	if *idle == nil {
		*idle = make(map[int][][]E)
	}
	for i := from; i < len(lent); i++ {
		b := lent[i]
		if b == nil { // recycled early (Recycle)
			continue
		}
		if where != nil {
			delete(where, unsafe.Pointer(unsafe.SliceData(b)))
		}
		(*idle)[len(b)] = append((*idle)[len(b)], b)
		lent[i] = nil
	}
	return lent[:from]
}

// Mark is a position in a workspace's lending (see Recycle).
type Mark struct{ n32, n64 int }

// Mark returns the current position: buffers lent after it may be recycled
// early with Recycle.
func (ws *Workspace) Mark() Mark {
	if ws == nil {
		return Mark{}
	}
	ws.mu.Lock()
	defer ws.mu.Unlock()
	return Mark{len(ws.lent32), len(ws.lent64)}
}

// Recycle takes back, before the end of its scope, the buffer whose data is
// exactly data (the whole of one lent buffer) if it was lent after m, so
// that later Makes in the same scope reuse it. It reports whether it did;
// anything else (a buffer lent before m, a part of one, memory the arena did
// not lend) is left alone. The caller guarantees that nothing uses the
// buffer any more.
func Recycle[T Float](ws *Workspace, m Mark, data []T) bool {
	if ws == nil || len(data) == 0 {
		return false
	}
	ws.mu.Lock()
	defer ws.mu.Unlock()
	p := unsafe.Pointer(unsafe.SliceData(data))
	i, ok := ws.where[p]
	if !ok {
		return false
	}
	if isF32[T]() {
		if i < m.n32 || i >= len(ws.lent32) || len(ws.lent32[i]) != len(data) {
			return false
		}
		b := ws.lent32[i]
		ws.lent32[i] = nil
		ws.idle32[len(b)] = append(ws.idle32[len(b)], b)
	} else {
		if i < m.n64 || i >= len(ws.lent64) || len(ws.lent64[i]) != len(data) {
			return false
		}
		b := ws.lent64[i]
		ws.lent64[i] = nil
		ws.idle64[len(b)] = append(ws.idle64[len(b)], b)
	}
	delete(ws.where, p)
	return true
}

func lend[E any](lent *[][]E, idle map[int][][]E, n int, zero bool) []E {
	var b []E
	if free := idle[n]; len(free) > 0 {
		b = free[len(free)-1]
		free[len(free)-1] = nil
		idle[n] = free[:len(free)-1]
		if zero {
			clear(b)
		}
	} else {
		b = make([]E, n)
	}
	*lent = append(*lent, b)
	return b
}

// Make returns a zero tensor of the given shape: lent by ws's arena while a
// scope is open, else a fresh one (as New; also when ws is nil).
func Make[T Float](ws *Workspace, shape ...int) *Tensor[T] { return makeIn[T](ws, true, shape) }

// MakeRaw is Make for an output the caller overwrites in full: a recycled
// buffer is not cleared first (its contents are undefined).
func MakeRaw[T Float](ws *Workspace, shape ...int) *Tensor[T] { return makeIn[T](ws, false, shape) }

func makeIn[T Float](ws *Workspace, zero bool, shape []int) *Tensor[T] {
	n := Numel(shape)
	if ws == nil || n == 0 {
		return New[T](shape...)
	}
	ws.mu.Lock()
	defer ws.mu.Unlock()
	if ws.depth == 0 {
		return New[T](shape...)
	}
	if ws.where == nil {
		ws.where = make(map[unsafe.Pointer]int)
	}
	if ws.idle32 == nil {
		ws.idle32 = make(map[int][][]float32)
	}
	if ws.idle64 == nil {
		ws.idle64 = make(map[int][][]float64)
	}
	var data []T
	if isF32[T]() {
		data = fromF32[T](lend(&ws.lent32, ws.idle32, n, zero))
		ws.where[unsafe.Pointer(unsafe.SliceData(data))] = len(ws.lent32) - 1
	} else {
		data = fromF64[T](lend(&ws.lent64, ws.idle64, n, zero))
		ws.where[unsafe.Pointer(unsafe.SliceData(data))] = len(ws.lent64) - 1
	}
	return &Tensor[T]{Shape: append([]int(nil), shape...), Data: data}
}

// MakeIndex returns an []int32 of length n from ws's arena (see Make) for
// the caller to overwrite in full: a recycled buffer is not cleared.
func MakeIndex(ws *Workspace, n int) []int32 {
	if ws == nil || n == 0 {
		return make([]int32, n)
	}
	ws.mu.Lock()
	defer ws.mu.Unlock()
	if ws.depth == 0 {
		return make([]int32, n)
	}
	return lend(&ws.lentI, ws.idleI, n, false)
}

// Idle reports the number of buffers and of bytes the arena holds between
// scopes (for tests and memory accounting).
func (ws *Workspace) Idle() (buffers int, bytes int64) {
	if ws == nil {
		return 0, 0
	}
	ws.mu.Lock()
	defer ws.mu.Unlock()
	for n, l := range ws.idle32 {
		buffers += len(l)
		bytes += int64(4 * n * len(l))
	}
	for n, l := range ws.idle64 {
		buffers += len(l)
		bytes += int64(8 * n * len(l))
	}
	for n, l := range ws.idleI {
		buffers += len(l)
		bytes += int64(4 * n * len(l))
	}
	return buffers, bytes
}

// Clone returns a copy of t on the Go heap (for results that must outlive
// an arena scope).
func Clone[T Float](t *Tensor[T]) *Tensor[T] {
	return &Tensor[T]{Shape: append([]int(nil), t.Shape...), Data: append([]T(nil), t.Data...)}
}

// WorkPool hands out workspaces to concurrent users (the tasks of a
// meta-batch on their goroutines): Get takes an idle one or makes one, Put
// gives it back. It keeps as many workspaces as were ever in use at once. A
// nil *WorkPool is valid: Get returns nil (no workspace, no arena).
type WorkPool struct {
	mu   sync.Mutex
	free []*Workspace
}

// NewWorkPool returns an empty pool.
func NewWorkPool() *WorkPool { return &WorkPool{} }

// Get returns an idle workspace, or a new one.
func (p *WorkPool) Get() *Workspace {
	if p == nil {
		return nil
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if n := len(p.free); n > 0 {
		ws := p.free[n-1]
		p.free = p.free[:n-1]
		return ws
	}
	return NewWorkspace()
}

// Put returns ws, obtained from Get, to the pool.
func (p *WorkPool) Put(ws *Workspace) {
	if p == nil || ws == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.free = append(p.free, ws)
}
