// Package autodiff is metabench's reverse-mode automatic differentiation
// engine, with exact derivatives of any order.
//
// # Reverse mode
//
// A computation is recorded on a Tape as a DAG of variables (Var). Every
// operation y = op(x_1, ..., x_n) stores its value and a backward rule, the
// vector-Jacobian product
//
//	gy  ↦  (gx_1, ..., gx_n),    gx_i = (∂y/∂x_i)ᵀ gy.
//
// Grad(y, xs) seeds gy = 1 (GradWith takes any gy of y's shape, i.e. it
// differentiates F = sum(gy ⊙ y)), visits the recorded nodes in reverse
// topological order, applies each rule and accumulates (adds) the gradients
// of variables used more than once.
//
// # Double backward
//
// Every backward rule is written with the package's own differentiable
// operations on tape variables, never with raw loops on tensors. So when
// Grad runs with createGraph = true, the backward pass is itself recorded:
// the returned gradients g(x, gy) are ordinary variables and can be
// differentiated again. A Hessian-vector product is
//
//	h = Σ_k sum(v_k ⊙ g_k(x)),    Hv = ∂h/∂x,
//
// and because gy can be a parameter too, ∂h/∂gy (the derivative of the
// backward with respect to the upstream gradient) is available as well.
// MAML's meta-gradient through T inner steps θ_{t+1} = θ_t − α ∇L(θ_t) and
// BASE/DARTS unrolled architecture gradients are exactly this. With
// createGraph = false the backward rules run with recording switched off,
// so they compute values only and no second graph is built (first-order
// MAML, plain training).
//
// # The rules
//
// Broadcasting ops reduce their gradients back to each operand's shape with
// SumTo, whose backward is BroadcastTo and vice versa.
//
//	Add/Sub      ga = SumTo(gy),  gb = ±SumTo(gy)
//	Mul          ga = SumTo(gy·b),  gb = SumTo(gy·a)
//	Div y=a/b    ga = SumTo(gy/b),  gb = SumTo(−(gy/b)·y)
//	Neg, Scale   gx = −gy,  c·gy;   AddScalar gx = gy
//	Exp          gx = gy·y;   Log gx = gy/x;   Sqrt gx = gy/(2y)
//	Square       gx = 2x·gy;  Pow(x,p) gx = p·x^(p−1)·gy
//	Tanh         gx = gy·(1 − y²);   Sigmoid gx = gy·y·(1 − y)
//	ReLU         gx = gy·step(x), step a constant mask: linear in gy, so
//	             ∂²/∂x² = 0 almost everywhere while ∂gx/∂gy = step(x)
//	Abs          gx = gy·sign(x) (constant mask);  Max: one-hot of the argmax
//	Sum(axes)    gx = BroadcastTo(Reshape(gy, kept shape));  Mean = Sum/n
//	Reshape      gx = Reshape(gy, shape of x);  Permute: inverse permutation
//	Slice        gx = scatter of gy into zeros at the sliced positions; the
//	             scatter's backward is the same slice (a linear pair)
//	Pad          gx = slice of gy (the other direction of the same pair)
//	Concat       gx_i = Slice(gy) over x_i's range
//	MatMul C=AB  gA = gy·Bᵀ,  gB = Aᵀ·gy (transposed products, no copies)
//	Softmax      gx = y ⊙ (gy − Σ_axis gy ⊙ y)
//	LogSoftmax   gx = gy − exp(y) ⊙ Σ_axis gy
//	CrossEntropy mean_n(logsumexp(z_n) − z_n[y_n]) = −(1/N) Σ onehot ⊙
//	             LogSoftmax(z): a constant mask on a twice-differentiable op
//	GumbelSoftmax softmax((z + g)/τ) with constant noise g; hard: onehot −
//	             stopgrad(s) + s (value one-hot, gradient of the soft s)
//
// Because each rule is linear in gy and built from the rules above, the
// derivative of a backward is obtained by the same machinery: any order.
//
// # Memory
//
// Grad only runs the backward of nodes that lead to xs (the inner steps
// behind θ_t are not revisited when differentiating with respect to θ_t),
// drops each node's gradient once its backward has run, and sums the
// several contributions of a shared node in place (values only) or with one
// AddN (recorded). GradRelease also drops the graph during the sweep (the
// last backward of a training step or meta-gradient). Two fusions keep
// full-size intermediates out of the graph: BatchNorm's recorded backward
// is one per-channel combination a[c]·g + b[c]·x̂ + d[c] (chanFMA) with
// per-channel coefficients, and MaxPool2d of a ReLU output is one op on the
// ReLU's input whose backward is a scatter through the argmax indices with
// the ReLU mask folded in (its adjoint is the masked gather);
// ReLUMaxPool2d computes that pair without the full-size ReLU output at all
// (maxpool∘relu = relu∘maxpool, same argmax where the maximum is positive).
//
// Buffers are recycled through the tape's workspace arena
// (tensor.Workspace, Tape.SetWorkspace): between ws.Begin() and the scope's
// End, every op output and gradient is lent by the arena, and End takes them
// all back for the next task, which then runs on memory that is already
// mapped (no page faults, no garbage collection of hundreds of megabytes per
// meta-iteration). Inside a scope, GradRelease hands a gradient buffer back
// as soon as no pending gradient refers to it (counted per buffer, and only
// after the node's parents have all received theirs, since rules pass
// tensors through), and Discard returns an activation that model code knows
// is dead (Conv4's batch-norm output once ReLUMaxPool2d has consumed it), so
// the peak stays near the live set. Results that outlive a scope must be
// copied out (maml.TaskMetaGrad does). Without a workspace every buffer is a
// fresh Go allocation, as before.
//
// # Numerics and determinism
//
// Values are float32 (training) or float64 (checks). Reductions run in a
// fixed order that depends only on the lengths; no sum is ever split by the
// number of workers, so results are bit-identical for any GOMAXPROCS. The
// float32 batch-norm reductions and maps, the 2x2 max pool and its masked
// unpool, ReLU and its step mask, and the element-wise adds run on
// internal/vec's AVX-512 or AVX2 bodies when built with GOEXPERIMENT=simd;
// each has a scalar body giving the same bits (tested), so the SIMD build
// changes speed, not numbers. Softmax and log-softmax
// subtract the maximum and accumulate in float64. Matrix products go
// through internal/gemm.
//
// Caller mistakes (shape mismatches, bad axes) panic with "autodiff: ..."
// messages; data-dependent failures are returned as errors.
//
// CheckGradients verifies any function built from ops against central
// finite differences, to first and second order.
package autodiff
