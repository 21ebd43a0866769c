// Package tensor holds dense row-major arrays and the raw numeric kernels of
// the engine (element-wise loops, reductions, im2col convolution, pooling)
// with no notion of gradients. Package autodiff builds differentiable
// operations on top of it.
//
// Element (i0, ..., ik) of a tensor of shape (d0, ..., dk) is at
//
//	offset = sum_j i_j * stride_j,   stride_j = prod_{l>j} d_l
//
// Kernels never split a reduction by the number of workers: any parallel
// split is over independent outputs (images of a batch, output channels), so
// results are bit-identical for every GOMAXPROCS.
//
// Convolutions run as per-chunk products W x im2col(x) over fixed chunks of
// images (ConvGeom.chunking). Work that reads a chunk's output or output
// gradient anyway is done inside the chunk, while it is in cache: the bias
// add of Conv2dBias, and the caller's per-chunk reduction of gy in
// Conv2dWeightGradEach (autodiff takes the bias gradient's plane sums
// there). The weight gradient is the sum of the chunks' partial products in
// chunk order, element by element, whatever the number of workers.
//
// Memory: a Workspace holds the kernels' scratch buffers (im2col columns) and
// an output arena (arena.go). Kernels that take a workspace make their
// outputs with Make/MakeRaw, which lend recycled buffers while a scope
// (ws.Begin ... scope.End) is open and allocate normally otherwise; Recycle
// returns one buffer early. WorkPool hands workspaces to concurrent tasks.
package tensor
