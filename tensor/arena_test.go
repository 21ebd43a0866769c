package tensor

import "testing"

func TestArenaScopes(t *testing.T) {
	ws := NewWorkspace()
	if a := Make[float32](ws, 3, 4); len(a.Data) != 12 {
		t.Fatal("Make outside a scope")
	}
	if n, _ := ws.Idle(); n != 0 {
		t.Fatalf("a buffer made outside a scope was kept (%d)", n)
	}
	outer := ws.Begin()
	a := Make[float32](ws, 3, 4)
	for i := range a.Data {
		a.Data[i] = 7
	}
	idx := MakeIndex(ws, 5)
	idx[2] = 9
	inner := ws.Begin()
	b := Make[float64](ws, 2)
	b.Data[0] = 1
	inner.End()
	if n, _ := ws.Idle(); n != 1 {
		t.Fatalf("inner End kept %d buffers, want 1", n)
	}
	c := Make[float64](ws, 2) // recycled from the inner scope, zeroed
	if &c.Data[0] != &b.Data[0] || c.Data[0] != 0 {
		t.Fatalf("inner buffer not recycled zeroed: same=%v value %v", &c.Data[0] == &b.Data[0], c.Data[0])
	}
	outer.End()
	if n, bytes := ws.Idle(); n != 3 || bytes != 12*4+5*4+2*8 {
		t.Fatalf("outer End: %d buffers, %d bytes", n, bytes)
	}
	s := ws.Begin()
	a2 := Make[float32](ws, 4, 3) // same length, other shape
	if &a2.Data[0] != &a.Data[0] || a2.Data[5] != 0 || a2.Shape[0] != 4 {
		t.Fatal("float32 buffer not recycled, or not zeroed")
	}
	if i2 := MakeIndex(ws, 5); &i2[0] != &idx[0] {
		t.Fatal("index buffer not recycled")
	}
	s.End()
	s = ws.Begin()
	if r := MakeRaw[float32](ws, 12); &r.Data[0] != &a.Data[0] {
		t.Fatal("MakeRaw did not recycle")
	}
	s.End()

	s1 := ws.Begin()
	s2 := ws.Begin()
	func() {
		defer func() {
			if recover() == nil {
				t.Fatal("ending the outer scope first did not panic")
			}
		}()
		s1.End()
	}()
	s2.End()
	s1.End()

	var nilWS *Workspace
	nilWS.Begin().End()
	if x := Make[float32](nilWS, 2); len(x.Data) != 2 {
		t.Fatal("Make with a nil workspace")
	}
	var pool *WorkPool
	if pool.Get() != nil {
		t.Fatal("nil pool gave a workspace")
	}
	p := NewWorkPool()
	w1, w2 := p.Get(), p.Get()
	if w1 == w2 {
		t.Fatal("two concurrent users share a workspace")
	}
	p.Put(w1)
	if p.Get() != w1 {
		t.Fatal("pool did not hand back the idle workspace")
	}
}
