// Package nn holds layers and models written as functions of explicit
// parameters.
//
// A model owns no weights: Init draws a Params (named tensors, in a fixed
// order) from an explicit *rand.Rand, and Forward maps parameter variables
// and an input to logits on a caller-given tape. This is what MAML needs: the
// same Forward is evaluated at θ, at the adapted θ' = θ - α∇L(θ) (variables
// that depend on θ), and at plain constants during evaluation, and every task
// of a meta-batch can run on its own tape in its own goroutine.
//
// # Conv-4 (Finn et al. 2017)
//
// Four blocks, then a linear classifier:
//
//	h_0 = x                                          N x C_in x S x S
//	h_b = maxpool_2x2( relu( BN_b( conv3x3_b(h_{b-1}) ) ) )     b = 1..4
//	logits = flatten(h_4) @ W_fc + b_fc              W_fc: [F·s·s, ways]
//
// conv3x3 has stride 1, padding 1 and a bias; BN_b normalises each channel
// with the statistics of the current batch (transductive, at train and test
// time, eps = 1e-5, biased variance) and applies an affine scale γ and shift
// β; the max-pool is 2x2 with stride 2 and floor rounding, so
// s = ⌊⌊⌊⌊S/2⌋/2⌋/2⌋/2⌋ (28 -> 1, 84 -> 5). F is 64 for Omniglot and 32 for
// mini-ImageNet.
//
// Parameter names and order: conv{b}.w [F, C, 3, 3], conv{b}.b [F],
// bn{b}.gamma [F], bn{b}.beta [F] for b = 1..4, then fc.w [F·s·s, ways] and
// fc.b [ways] (the layout of ../shared/golden/maml_conv4.json).
//
// # Initialisation
//
// PyTorch's defaults, drawn from the given generator in parameter order:
// conv and linear weights and biases ~ U(-1/√fan_in, 1/√fan_in) (Kaiming
// uniform with a = √5), γ = 1, β = 0. With InitXavier conv and linear weights
// are Glorot-uniform ~ U(-√(6/(fan_in+fan_out)), +√(6/(fan_in+fan_out)))
// and biases 0 (the original MAML code).
package nn
