package autodiff

import (
	"fmt"

	"github.com/metabench/metabench/internal/gemm"
	"github.com/metabench/metabench/tensor"
)

// gemmInto computes c = op(a) op(b) (overwriting c), with op(a) m×k and
// op(b) k×n, row-major, through internal/gemm for float32 and float64 and a
// plain loop for other named float types.
func gemmInto[T Float](ta, tb bool, m, n, k int, a, b, c []T) {
	if m == 0 || n == 0 {
		return
	}
	lda, ldb := k, n
	if ta {
		lda = m
	}
	if tb {
		ldb = k
	}
	switch cc := any(c).(type) {
	case []float64:
		gemm.F64(ta, tb, m, n, k, 1, any(a).([]float64), max(lda, 1), any(b).([]float64), max(ldb, 1), 0, cc, n)
		return
	case []float32:
		gemm.F32(ta, tb, m, n, k, 1, any(a).([]float32), max(lda, 1), any(b).([]float32), max(ldb, 1), 0, cc, n)
		return
	}
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			var s T
			for p := 0; p < k; p++ {
				var av, bv T
				if ta {
					av = a[p*lda+i]
				} else {
					av = a[i*lda+p]
				}
				if tb {
					bv = b[j*ldb+p]
				} else {
					bv = b[p*ldb+j]
				}
				s += av * bv
			}
			c[i*n+j] = s
		}
	}
}

// MatMul returns the matrix product a @ b: 2-D [m,k] @ [k,n] -> [m,n], or
// batched 3-D [B,m,k] @ [B,k,n] -> [B,m,n] (equal batch sizes).
func MatMul[T Float](a, b *Var[T]) *Var[T] { return matmulT(a, b, false, false) }

// MatMulT returns op(a) @ op(b) where op transposes the last two axes when
// the flag is set (no transposed copy is made).
func MatMulT[T Float](a, b *Var[T], transA, transB bool) *Var[T] {
	return matmulT(a, b, transA, transB)
}

func matmulT[T Float](a, b *Var[T], ta, tb bool) *Var[T] {
	tp := sameTape("MatMul", a, b)
	as, bs := a.val.Shape, b.val.Shape
	if len(as) != len(bs) || (len(as) != 2 && len(as) != 3) {
		panic(fmt.Sprintf("autodiff: MatMul: shapes %v and %v (want 2-D or batched 3-D)", as, bs))
	}
	batch := 1
	if len(as) == 3 {
		if as[0] != bs[0] {
			panic(fmt.Sprintf("autodiff: MatMul: batch sizes differ in %v and %v", as, bs))
		}
		batch = as[0]
	}
	r := len(as) - 2
	m, k := as[r], as[r+1]
	if ta {
		m, k = k, m
	}
	k2, n := bs[r], bs[r+1]
	if tb {
		k2, n = n, k2
	}
	if k != k2 {
		panic(fmt.Sprintf("autodiff: MatMul: inner dimensions differ in %v and %v (transA=%v transB=%v)", as, bs, ta, tb))
	}
	var out *tensor.Tensor[T]
	if batch == 1 && len(as) == 2 {
		out = tensor.Make[T](a.tape.work, m, n)
	} else {
		out = tensor.Make[T](a.tape.work, batch, m, n)
	}
	sa, sb, sc := m*k, k*n, m*n
	for i := 0; i < batch; i++ {
		gemmInto(ta, tb, m, n, k, a.val.Data[i*sa:i*sa+sa], b.val.Data[i*sb:i*sb+sb], out.Data[i*sc:i*sc+sc])
	}
	return NewOp(tp, out, []*Var[T]{a, b}, func(gy *Var[T]) []*Var[T] {
		var ga, gb *Var[T]
		if a.requiresGrad {
			if !ta {
				ga = matmulT(gy, b, false, !tb) // gy op(b)^T
			} else {
				ga = matmulT(b, gy, tb, true) // op(b) gy^T
			}
		}
		if b.requiresGrad {
			if !tb {
				gb = matmulT(a, gy, !ta, false) // op(a)^T gy
			} else {
				gb = matmulT(gy, a, true, ta) // gy^T op(a)
			}
		}
		return []*Var[T]{ga, gb}
	})
}

// Linear returns x @ w + b for x [N,in], w [in,out] and b [out] (b may be
// nil).
func Linear[T Float](x, w, b *Var[T]) *Var[T] {
	if len(x.val.Shape) != 2 || len(w.val.Shape) != 2 {
		panic(fmt.Sprintf("autodiff: Linear: x %v and w %v must be 2-D", x.val.Shape, w.val.Shape))
	}
	y := MatMul(x, w)
	if b == nil {
		return y
	}
	if len(b.val.Shape) != 1 || b.val.Shape[0] != w.val.Shape[1] {
		panic(fmt.Sprintf("autodiff: Linear: bias %v for weight %v", b.val.Shape, w.val.Shape))
	}
	return Add(y, b)
}
