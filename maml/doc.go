// Package maml implements few-shot meta-learning behind one Method
// interface: MAML with the exact second-order meta-gradient, first-order
// MAML, Reptile, and the baselines Prototypical Networks, ANIL, Meta-SGD and
// MAML++. A method is one file: a type that implements Method and an init
// function that registers it (Register) with its capabilities (Caps) and,
// if it has options of its own, its block of an experiment file
// (Def.Options); the file may live in any package (docs/BASELINES.md walks
// through one).
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
// # Prototypical Networks (Snell et al. 2017)
//
// No inner loop. The body f_θ of the model (nn.Embedder; for Conv-4 the four
// blocks, 64 features on 28x28 images) embeds the support and the query
// images, as one batch; the prototype of class k is the mean of its support
// embeddings and the logits are minus the squared Euclidean distances:
//
//	c_k = (1/|S_k|) Σ_{x ∈ S_k} f_θ(x)
//	logit_k(x) = -‖f_θ(x) - c_k‖²
//	L(θ) = (1/|Q|) Σ_{(x,y) ∈ Q} -log softmax(logit(x))_y
//
// The task's direction is ∇L(θ) (first derivatives only); a test episode is
// scored by the nearest prototype.
//
// # ANIL (Raghu et al. 2020)
//
// MAML whose inner loop adapts only the head h = (W, b) of θ = (φ, h), on the
// body's features F_S = f_φ(X_S), F_Q = f_φ(X_Q), computed once per task:
//
//	h_{t+1} = h_t - α ∇_h L_S(F_S W_t + b_t)
//	L_Q(φ, h_T(φ, h)) = CE(F_Q W_T + b_T, Y_Q)
//
// The meta-gradient with respect to φ and h is exact: ∇_h L_S depends on F_S,
// so the second-order terms reach the body through the support features.
//
// # Meta-SGD (Li et al. 2017)
//
// The inner rate is a meta-learned tensor α of θ's shape:
//
//	θ_{t+1} = θ_t - α ⊙ ∇L_S(θ_t)
//	min_{θ, α} (1/B) Σ_τ L_Q^τ(θ_T)
//
// with the exact gradient with respect to θ and α (for one step,
// ∂L_Q/∂α = -∇L_S(θ) ⊙ ∇L_Q(θ_1)), both taken by one reverse pass.
//
// # MAML++ (Antoniou et al. 2019)
//
// MAML with per-step, meta-learned learning rates per layer ℓ, α_{t,ℓ}, and
// batch-norm weights per step, (γ_t, β_t), not adapted by the inner loop:
//
//	θ_{t+1,ℓ} = θ_{t,ℓ} - α_{t,ℓ} ∇_ℓ L_S(θ_t; γ_t, β_t)
//
// the multi-step loss, weighted per step with weights v(i) annealed towards
// the last step over the first iterations i (see mslWeights),
//
//	L(θ, α, γ, β) = Σ_{t=1}^{T} v_t(i) L_Q(θ_t; γ_{t-1}, β_{t-1})
//
// derivative-order annealing (first-order meta-gradients, ∇L_S treated as a
// constant, for the first iterations) and cosine annealing of the Adam rate.
// With every option off it is MAML.
//
// # Meta-parameters beyond θ
//
// Meta-SGD's α and MAML++'s per-step tables are meta-learned with θ by the
// same outer Adam. Such a method implements MetaParamsMethod: NewOuter creates
// the tensors, TaskGrad returns their gradients after θ's, the Trainer hands
// θ and them to the outer optimiser together, and the outer state
// (OuterState, saved in every checkpoint) carries their values, so a resumed
// run and `metabench eval` restore them exactly.
//
// # Outer loop
//
// MAML, first-order MAML and the baselines update θ with Adam (β1 = 0.9,
// β2 = 0.999, eps = 1e-8) on the mean meta-gradient, optionally clipped
// element-wise to [-c, c] (cbfinn's mini-ImageNet setting, c = 10). The Adam
// rate is constant, or decays linearly over the planned iterations, or is
// cosine-annealed, or decayed in steps (Settings.MetaLRSchedule):
//
//	lr_i = lr_0 + (lr_final - lr_0) · min(i / N, 1)
//	lr_i = lr_final + (lr_0 - lr_final) · (1 + cos(π min(i / N, 1))) / 2
//	lr_i = lr_0 · γ^⌊i / S⌋   (Snell et al. 2017: γ = 1/2, S = 2000 episodes)
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
