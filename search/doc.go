// Package search implements the DARTS search space and BASE (Bayesian Meta
// Architecture SEarch, Shaw et al. 2019): the eight candidate operations,
// mixed edges, search cells, the softmax and Gumbel-softmax relaxations, the
// few-shot search super-network, the three meta-updates of BASE, and the
// discrete final networks built from genotypes (package search/genotype).
//
// # Networks as declared parameters
//
// Every network (SearchNet, FinalNet) is built once by declaring its
// parameters (a Layout of named shapes); forward passes read the parameter
// variables by position. The parameter count printed by `metabench params`
// is the sum of the declared shapes of the same construction that training
// uses (auxiliary head excluded). FinalNet.Cost walks the same modules with
// each feature map's size and counts the parameters again and the
// multiply-accumulates of one image's forward pass; MatchChannels picks the
// init channels C that bring the count to a target (a parameter-matched
// row of the few-shot table, docs/DECISIONS.md R26).
//
// # Operations (SPEC 1.2)
//
// Columns of α, in order: none, max_pool_3x3, avg_pool_3x3, skip_connect,
// sep_conv_3x3, sep_conv_5x5, dil_conv_3x3, dil_conv_5x5. With stride s (2
// on edges out of the input nodes of a reduction cell, 1 elsewhere):
//
//	none          0 of size ceil(H/s)
//	pool          3x3 pool, stride s, pad 1 (avg: count_include_pad=false) [+ BN in the search net]
//	skip          identity (s=1) or FactorizedReduce (s=2)
//	sep_conv_k    (ReLU, dwconv_k stride s, conv1x1, BN, ReLU, dwconv_k, conv1x1, BN)
//	dil_conv_k    ReLU, dwconv_k dilation 2 stride s, conv1x1, BN
//	FactorizedReduce(x) = BN(concat(conv1x1_s2(r), conv1x1_s2(pad_br(r[:, :, 1:, 1:])))),  r = ReLU(x)
//
// pad_br zero-pads one row and column at the bottom and right, so odd sizes
// work (84 -> 42 -> 21 -> 11); for even sizes the result equals DARTS.
// Search networks use BN without affine parameters; final networks use
// affine BN. Every BN normalises with the batch statistics (eps 1e-5).
//
// # Cells and relaxations
//
// Node i of a search cell is
//
//	h_i = sum_{j<i} sum_o Z[e(i,j), o] op_{e,o}(h_j),     e(i,j) = (i-2)(i+1)/2 + j,
//
// and the cell outputs concat(h2..h5). Z is 14 x J per cell type, shared by
// every cell of that type:
//
//	softmax:  Z_e = softmax(α_e)
//	Gumbel:   Z_e = softmax((α_e + g_e)/τ),   g = -log(-log u),  u ~ U(1e-10, 1-1e-10)
//	hard:     forward onehot(argmax Z_e), backward through the soft Z_e
//	          (onehot - stopgrad(Z) + Z)
//
// One noise matrix g is drawn per cell type per forward pass and shared by
// all cells of the type and all images of the batch. The temperature falls
// linearly over the meta-iterations e = 0..E-1:
//
//	τ_e = τ_max - (τ_max - τ_min) e/(E-1)     (1.0 -> 0.1 by default)
//
// # BASE, Algorithm 1 (SPEC 3)
//
// Θ = (W, α_normal, α_reduce) is the meta-network. For each of K tasks with
// support set S and query set Q, the optimisation embedding runs T inner
// steps on the task loss J (mean cross-entropy) from ψ^0 = Θ, with fresh
// noise g_t at every step:
//
//	ψ^{t+1} = ψ^t - η ⊙ ∇_ψ J(ψ^t; S, g_t)        (η = η_W on W, η_α on α)
//
// Variant A (exact, MetaGrad mode Exact) differentiates the query loss
// through all T steps, Hessian terms included (the inner gradients are
// recorded with createGraph):
//
//	G_k = d J(ψ^T(Θ); Q, g') / dΘ,    Θ <- Adam(Θ, mean_k G_k)
//
// (Adam lr 1e-3 on W; Adam lr 3e-4, betas (0.5, 0.999), L2 1e-3 on α;
// element-wise clip to [-10, 10]).
//
// Variant A' (FiniteDiff) obtains the same G_k storing only ψ^0..ψ^T. With
// H_t the Hessian of J(·; S, g_t) at ψ^t and D = diag(η),
// ∂ψ^{t+1}/∂ψ^t = I - H_t D, so back-propagating a cotangent v:
//
//	v <- ∇_ψ J(ψ^T; Q, g')
//	for t = T-1 .. 0:
//	    u  = η ⊙ v,   r = ε/||u||₂      (ε = 0.01, DARTS)
//	    v <- v - [∇J(ψ^t + r u; S, g_t) - ∇J(ψ^t - r u; S, g_t)] / (2r)
//	G_k = v
//
// The recursion replays the batches and the noise of each step exactly. It
// is exact up to O(ε²) in smooth regions; the ReLU, max-pool and batch-norm
// kinks of a real network make ε = 0.01 coarse (see the tests), so ε is a
// setting (fd_eps).
//
// First-order (FirstOrder) takes G_k = ∇_ψ J(ψ^T; Q, g'), i.e. dψ^T/dΘ = I.
//
// Variant B (Reptile-like parallel update, ReptileUpdate) needs no query set
// and no second-order term:
//
//	Θ <- Θ + β_e (1/K) Σ_k (ψ_k^T - Θ),    β_e linear from β_0 to β_final.
//
// # Deriving a genotype (SPEC 4)
//
// After the search, N meta-train tasks are adapted from Θ with T inner steps
// at the final temperature; their architecture distributions are averaged,
// P̄_e = (1/N) Σ_n softmax(α_e^(n)), and decoded with the BASE rule (top-2
// (predecessor, op) pairs per node, none excluded) or the DARTS rule (top-2
// distinct edges, then the argmax op); see package genotype. N = 0 decodes
// softmax of the prior's α.
package search
