// Package gemm is the single entry point for dense matrix products in
// metabench. Every convolution and linear layer of the engine goes through
// F32 or F64, so the matrix-product path is chosen in one place and reported
// by Path and by `metabench perf`.
//
// All matrices are row-major:
//
//	C = alpha * op(A) * op(B) + beta * C
//
// with op(X) = X or X^T, op(A) m x k, op(B) k x n, C m x n.
//
// # Paths
//
// The path is fixed when the binary is built, and for SIMD refined at run time:
//
//   - "gonum": the default build (no tags, no experiment); gonum's pure-Go
//     Sgemm/Dgemm. Works everywhere.
//   - "simd-avx512", "simd-avx2": built with GOEXPERIMENT=simd on amd64
//     (files guarded by goexperiment.simd, using simd/archsimd). float32 runs
//     the blocked kernels below when the CPU has AVX-512 (F, CD, BW, DQ, VL)
//     or else AVX2 with FMA; on any other CPU it falls back to gonum. The CPU
//     check reads flags the runtime fills in at start-up, so it is repeated
//     on every call and needs no package state. float64 stays on gonum (it is
//     used for checks, not for training).
//   - "openblas/CORE": built with the tag openblas and cgo; both precisions call
//     cblas_sgemm/cblas_dgemm of the system OpenBLAS (Debian:
//     libopenblas-dev). OpenBLAS is set to one thread at start-up and C is
//     cut into the same tiles as below, one cblas call per tile on our own
//     goroutines: callers that already run products on several goroutines
//     (tensor's convolutions split the batch) do not oversubscribe the cores
//     with OpenBLAS's spinning threads, and the result depends on the shape
//     only. When both the tag and the experiment are set, OpenBLAS is used
//     and the SIMD kernels are still compiled and tested. CORE is the
//     kernel family OpenBLAS runs; records carry it in gemm_path. A
//     DYNAMIC_ARCH OpenBLAS older than the CPU falls back to AVX2 kernels
//     (Debian bookworm's 0.3.21 calls Zen 5 "Haswell"), and some machines
//     pin OPENBLAS_CORETYPE=Haswell on purpose because old builds have
//     crashed or miscomputed on new CPUs. SuggestedCore names the AVX-512
//     family (SkylakeX) when the CPU has it; it is never applied by itself.
//     OpenBLAS runs only when its family is made for the CPU (coreisa.go:
//     the family's widest ISA, SSE for Prescott, Katmai, Nehalem and the
//     like, AVX for Sandybridge, AVX2 for Haswell and Zen, AVX-512 for
//     SkylakeX, Cooperlake and SapphireRapids, is at least the CPU's);
//     otherwise a build with the SIMD kernels runs them, and Path says
//     which family was skipped and why, e.g. "simd-avx512 (openblas/Prescott
//     skipped: its SSE kernels are older than this CPU's AVX-512)": on the
//     2-core Intel Xeon of issue #34 (family 6 model 207), Debian's 0.3.21
//     runs Prescott kernels 1.3-1.8x slower than the SIMD path. A build
//     without the SIMD kernels keeps OpenBLAS whatever its family.
//     On the 2-core Zen 5 with OPENBLAS_CORETYPE=SkylakeX: 1.6-2.5x on the
//     convolution shapes (BenchmarkF32: 64x588x576 77 -> 191 GFLOP/s,
//     1225x64x576 97 -> 221) and 1.22x on MAML training (300 iterations of
//     the 1-shot 30-minute file: 73 s -> 60 s).
//
// The Makefile picks the fastest route that builds on the machine (see its
// comments): OpenBLAS if it links, GOEXPERIMENT=simd if it compiles, else
// gonum. On a 2-core Zen 5, interleaved best-of-40 timings (BenchmarkComparePaths)
// put OpenBLAS at 1.2-2x the SIMD kernels and the SIMD kernels at 4-10x gonum
// on the convolution shapes.
//
// # The SIMD path: blocking
//
// The scheme is the classic Goto/BLIS one, sized for Zen-class cores (48 KiB
// L1d, 1 MiB L2 per core) and for Go's register allocator, which uses only
// the 15 vector registers X0-X14 (X15 is the ABI's zero register):
//
//   - Microkernel: on AVX-512 an 8 x 32 tile of C in 16 zmm accumulators,
//     written in Go assembly (package asmkern: AVX-512 has 32 vector
//     registers, Go's allocator uses 16): each step k loads 2 vectors of a
//     packed B row and issues 16 FMAs, each broadcasting its packed A value
//     from memory ({1to16}). It replaced a 4 x 32 tile in Go (8
//     Float32x16 accumulators, kept for the tests, which check the two
//     agree bit for bit): through the full driver on the conv shapes of the
//     workloads it runs 1.6-1.8x faster (Intel Xeon, family 6 model 207,
//     2 cores). On AVX2 a 4 x 16 tile in 8 Float32x8 accumulators, in Go.
//     Taller tiles in Go (6x32, 5x32, 8x16) spill and measured slower; so
//     did unrolled loops, whose spills are SSE-encoded and, with the upper
//     vector state dirty, cost two orders of magnitude. Each kernel ends
//     with VZEROUPPER so the scalar Go code after it (which uses SSE
//     encodings) does not pay that penalty. The tile height MR is the
//     kernel's (8 or 4); every element of C is the same chain of FMAs over
//     k whatever the tile, so the height moves no bit.
//   - k is cut into ceil(k/256) blocks of equal depth kc <= 256: an MR x kc A
//     sliver and a kc x 32 B sliver (32 KiB) stay in L1.
//   - C is cut into tiles of at most 128 rows x 512 columns (rounded to
//     the microkernel tile, equal sizes, cut finer when C has fewer than 4
//     so two cores stay busy). For each tile and each k block,
//     alpha*op(A)[tile rows, k block] is packed into MR-row slivers (an
//     L2-resident block of at most 128 x kc); then, one 32-column sliver at a
//     time, op(B)[k block, sliver] is packed (kc x 32, L1-resident) and the
//     microkernel runs down the A slivers against it. The transposes are
//     absorbed by the packing, so the kernels see one layout. A
//     non-transposed B is read in place instead when a tile has at most 64
//     rows (a sliver is used too few times to repay its packing) and its
//     rows do not alias in L1 (ldb not a multiple of 64). On AVX-512, with
//     alpha 1, A is read in place too when a tile has at most 128 columns
//     (an A sliver is then used by at most 4 B slivers): a second 8 x 32
//     assembly kernel addresses row r, step p of the panel at r*ars + p*aps
//     bytes, so A and A^T need no copy; only a ragged last sliver is
//     packed. B, when not read in place, is packed once per call instead
//     of once per row tile when there are several row tiles (a transposed
//     B gathered column by column, and the input gradient's W^T gy),
//     and A once per call instead of once per column tile when there are
//     several column tiles and it is not read in place.
//     Ragged edges (m % MR, n % 32) are packed with zeros, computed into a
//     scratch tile, and only the valid part is written to C. None of this
//     changes an FMA chain: the bits are those of the packed 4 x 32 Go
//     kernel (TestAVX512TilesAgreeBitForBit).
//   - Orientation: every element of C is the same FMA chain whichever
//     operand plays A, and an FMA's two factors commute, so the product
//     for C^T = op(B)^T op(A)^T gives C^T bit for bit when alpha is 1
//     (TransposeExact). tensor's convolution weight gradient uses it to
//     put the operand with fewer rows on the columns (gy^T, 64 columns to
//     gather, instead of the 576 rows of the im2col block).
//   - beta: the first k block of a tile stores its product into C when
//     beta == 0 (C is never read, so NaNs in C do not survive), else adds it
//     to beta*C (C scaled first when beta != 1); later blocks add.
//   - Parallelism: the tiles are handed out to min(GOMAXPROCS, tiles)
//     goroutines through an atomic counter (one goroutine below 2^20 flops).
//     Every element of C is computed by one goroutine as the same sequence
//     of FMAs over the same k blocks, in order, whatever tile it falls in
//     and whichever goroutine takes that tile; the k blocks depend on k
//     alone. Results are therefore bit-identical run to run and for any
//     GOMAXPROCS (TestDeterministic checks 1 against 2).
//   - Buffers are allocated per call and per worker, sized by the problem
//     (at most 128*256 + 256*32 floats, about 160 KiB); nothing is cached
//     between calls.
package gemm
