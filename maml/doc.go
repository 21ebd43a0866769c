// Package maml implements gradient-based meta-learning behind one Method
// interface: MAML with the exact second-order meta-gradient, first-order
// MAML, and Reptile. A new baseline is one type that implements Method plus
// one entry in Registry.
//
// # MAML (Finn et al. 2017)
//
// For a task τ with support set S and query set Q, the inner loop adapts the
// shared initialisation θ by T steps of plain gradient descent on the support
// loss (mean cross-entropy) with inner learning rate α:
//
//	θ_0 = θ
//	θ_{t+1} = θ_t - α ∇_θ L_S(θ_t)          t = 0 .. T-1
//
// and the meta-objective is the query loss after adaptation, averaged over a
// meta-batch of B tasks:
//
//	min_θ  (1/B) Σ_τ L_Q^τ( θ_T^τ(θ) )
//
// Its exact gradient back-propagates through the unroll, Hessians included:
//
//	dL_Q(θ_T)/dθ = Π_{t=0}^{T-1} ( I - α ∇²L_S(θ_t) ) · ∇L_Q(θ_T)
//
// computed here without forming any Hessian: the inner gradients are taken
// with createGraph (autodiff.Grad), so θ_T is a differentiable function of θ
// and one reverse pass gives the product above.
//
// # First-order MAML
//
// Drops the Hessian terms (I - α∇²L_S ≈ I), so the meta-gradient is the query
// gradient at the adapted parameters, with θ_T treated as a constant:
//
//	g_FO = ∇L_Q(θ_T)
//
// The inner loop then builds no second graph.
//
// # Reptile (Nichol et al. 2018)
//
// Reptile has no query loss. Each task runs k steps of SGD or Adam on
// minibatches of its examples, from θ to φ_τ, and the meta step moves θ
// towards the adapted weights:
//
//	θ ← θ + ε_i · (1/B) Σ_τ (φ_τ - θ)
//	ε_i = ε_0 + (ε_final - ε_0) · i / N          (linear decay over N iterations)
//
// In this package every method returns a per-task direction g_τ and an outer
// optimiser consumes their mean; for Reptile g_τ = θ - φ_τ and the outer
// optimiser is SGD with step ε_i.
//
// # Outer loop
//
// MAML and first-order MAML update θ with Adam (β1 = 0.9, β2 = 0.999,
// eps = 1e-8) on the mean meta-gradient, optionally clipped element-wise to
// [-c, c] (cbfinn's mini-ImageNet setting, c = 10). The Adam rate is constant,
// or decays linearly over the planned iterations:
//
//	lr_i = lr_0 + (lr_final - lr_0) · min(i / N, 1)
//
// # Determinism and parallelism
//
// The tasks of a meta-batch run in parallel goroutines, each with its own
// autodiff.Tape; their directions are stored per task and summed in task
// order, so the result does not depend on scheduling or GOMAXPROCS. Every
// random choice of meta-iteration i, task k derives from (seed, i, k) alone
// (TaskRand), so training resumed from a checkpoint at iteration i ends with
// exactly the parameters of an uninterrupted run.
//
// # Evaluation
//
// A fixed set of test episodes (EvalSet in package episodes) from classes
// never seen in training; each episode is adapted from θ with the test-time
// inner steps and scored by query accuracy. Batch norm uses the batch
// statistics at test time as at training time (transductive, as in MAML).
package maml
