// Package multitask is the multi-task half of BASE (Shaw et al. 2019,
// SPEC 1.6.1, 2.2, 3.4, 3.6, 4.1): a meta-network trained over a
// distribution of 10-class tasks at several image sizes, adapted in a few
// epochs to a dataset it never saw, from which an architecture is decoded
// and trained. The runs are the metatrain kind (experiment.Metatrain,
// `metabench metatrain`: its run folder is the prior) and the adapt kind
// (experiment.Adapt); the package is named after the network they share.
//
// # The meta-network
//
// Net is one search super-network (package search: mixed edges over the
// eight DARTS operations, BN without affine parameters) with a separate
// featurisation head per image size and everything after the heads shared:
//
//	head_s(x)  = BN(conv3x3_s2(... ReLU(BN(conv3x3_s2(x))) ...))     1, 2 or 3 stride-2 convs: 1/2, 1/4, 1/8
//	s0 = s1    = head_s(x)                                           3C channels for every head (SPEC A12)
//	logits     = Linear(GAP(cell_L(... cell_1(s0, s1) ...)))          cells and classifier shared
//
// Θ = (W_shared, α_normal, α_reduce, W_head_1, ..., W_head_H) is the prior.
// A task at size s reads and adapts only W_shared, α and W_head_s.
//
// # From the multi-task ELBO to the variant-B update
//
// With tasks D_1..D_N and per-task posteriors q_n(W, Z) the objective is
// (SPEC 2.2)
//
//	max_Θ (1/N) Σ_n max_{q_n} E_{q_n}[Σ_m log p(y_m | x_m, W, Z)] − KL(q_n || p(W, Z; Θ)).
//
// The optimisation embedding parameterises q_n by T steps of stochastic
// gradient ascent started at the prior, ψ_n^0 = Θ, ψ_n^{t+1} = ψ_n^t − η ⊙
// ∇J_n(ψ_n^t; B_t, g_t), with J the minibatch cross-entropy, λ_KL = 0 and
// deterministic weights (SPEC A4), and the Gumbel-softmax relaxation
// z_e = softmax((α_e + g_e)/τ). Differentiating through the unroll costs
// memory proportional to T; variant B replaces the meta-gradient by the
// finite difference of the unrolled map, as Reptile does:
//
//	Θ ← Θ + β_e (1/K) Σ_k (ψ_k^T − Θ),          β_e linear from β_0 to β_E,
//
// applied to weights and architecture logits alike. A head is adapted only
// by the tasks of its image size, so its difference is averaged over those
// tasks K_h (averaging over all K would shrink each head's step by the
// number of sizes):
//
//	Θ_h ← Θ_h + β_e (1/|K_h|) Σ_{k ∈ K_h} (ψ_k,h^T − Θ_h),    unchanged when K_h is empty.
//
// With T = 0 every ψ_k^T = Θ and the update is the identity; with K = 1 and
// β = 1 it sets Θ = ψ_1^T (both are tests). The inner optimiser is SGD with
// momentum and weight decay on the weights, the same momentum and no decay
// on α, and clipping of the weight gradients' global norm (SPEC 3.4, 6.3);
// its state is fresh for every task, so Θ and the iteration number are the
// whole training state and a resumed run is bit-identical.
//
// # Multi-task validation
//
// The training tasks' own query accuracy measures the fit to the tasks Θ
// was just moved towards; the validation curve (Trainer.Validate) measures
// the prior on classes it never trains on. A share of every source's
// classes is held out of the task stream, and J tasks D'_1..D'_J are drawn
// once from them. After meta-iteration e (the temperature τ_e of that
// iteration) each is adapted from Θ by the training inner loop, T steps,
// with random draws from (validation seed, j) only, and scored on its
// query images with the noise-free weights (or the Eval.Samples average):
//
//	acc_val(e) = (1/J) Σ_j acc(ψ_j^T(Θ_e; D'_j, τ_e), Q'_j),
//
// summed in task order. With the tasks and their draws fixed, a difference
// between two points of a run is the change of Θ alone, so the gain over a
// doubling of the meta-iterations (report --plateau) is paired; the
// estimate's spread over tasks is the CI95 of the point.
//
// # Adaptation ("X-tuned" models, SPEC 3.6)
//
// A new dataset is fitted by the same inner optimiser for a few epochs from
// ψ^0 = Θ on the head of its image size, weights and α together
// (η_α = 0 freezes the architecture: the paper's ablation). Test accuracy
// after each epoch uses the noise-free weights softmax(α/τ) (τ the prior's
// final temperature) and per-batch BN statistics. The genotype is the
// highest-probability architecture of the adapted distribution,
// P_e = softmax(ψ_α,e), decoded by the BASE rule (SPEC 4.2); the prior's own
// genotype decodes softmax(α) of Θ.
//
// # Final networks
//
// A genotype's discrete network (search.FinalNet) is trained from scratch
// with SGD (cosine learning rate, momentum, weight decay, clipping) and
// scored on the test images: TrainFinal returns the error count and rate
// p̂ = e/n; its Wilson 95% interval is reports.Wilson's. The PCA of the
// adapted parameters (Figure 3) is reports.PCA2's, drawn by
// reports.WriteAdaptFigures.
package multitask
