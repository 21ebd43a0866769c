//go:build goexperiment.simd && amd64

package gemm

import (
	"simd/archsimd"
	"unsafe"

	"github.com/metabench/metabench/internal/gemm/asmkern"
)

// The microkernels are written out in full: Go's register allocator keeps
// the accumulators in vector registers only when each is its own local
// variable, and it has 15 vector registers (X15 is reserved), which is why
// the tiles are 4 rows high: 8 accumulators + 2 B vectors + 4 broadcasts.
// Measured on one Zen 5 core with kc=256 in L1: AVX-512 4x32 ~112 GFLOP/s
// (5x32 79, 6x32 72, 3x48 92, 6x16 85), AVX2 4x16 ~73 (6x16 53).
//
// Each computes the MR x NR tile  acc = Apanel * Bpanel  over kc steps, with
// Apanel packed as kc groups of MR values and Bpanel as kc rows of NR values
// ldb floats apart (NR for a packed sliver, the matrix's own ldb when B is
// read in place), then stores C = acc (add false) or C += acc (add true).

// kernelAVX512x4x32 is the AVX-512 microkernel in Go, a 4x32 tile of C: the
// reference the assembly 8x32 kernel (the one the SIMD path runs) is
// tested against bit for bit.
func kernelAVX512x4x32(kc int, a, b []float32, ldb int, c []float32, ldc int, add bool) {
	var c00, c01 archsimd.Float32x16
	var c10, c11 archsimd.Float32x16
	var c20, c21 archsimd.Float32x16
	var c30, c31 archsimd.Float32x16
	_ = a[kc*4-1] // bounds: the unsafe loads below stay inside a and b
	_ = b[(kc-1)*ldb+31]
	pa := unsafe.Pointer(&a[0])
	pb := unsafe.Pointer(&b[0])
	stride := uintptr(ldb) * 4
	// The last step is peeled so that pa and pb never point past the end of
	// a or b (an invalid pointer for checkptr, which -race enables).
	for p := 1; p < kc; p++ {
		b0 := archsimd.LoadFloat32x16((*[16]float32)(unsafe.Add(pb, 0)))
		b1 := archsimd.LoadFloat32x16((*[16]float32)(unsafe.Add(pb, 64)))
		a0 := archsimd.BroadcastFloat32x16(*(*float32)(unsafe.Add(pa, 0)))
		c00 = a0.MulAdd(b0, c00)
		c01 = a0.MulAdd(b1, c01)
		a1 := archsimd.BroadcastFloat32x16(*(*float32)(unsafe.Add(pa, 4)))
		c10 = a1.MulAdd(b0, c10)
		c11 = a1.MulAdd(b1, c11)
		a2 := archsimd.BroadcastFloat32x16(*(*float32)(unsafe.Add(pa, 8)))
		c20 = a2.MulAdd(b0, c20)
		c21 = a2.MulAdd(b1, c21)
		a3 := archsimd.BroadcastFloat32x16(*(*float32)(unsafe.Add(pa, 12)))
		c30 = a3.MulAdd(b0, c30)
		c31 = a3.MulAdd(b1, c31)
		pa = unsafe.Add(pa, 16)
		pb = unsafe.Add(pb, stride)
	}
	{
		b0 := archsimd.LoadFloat32x16((*[16]float32)(unsafe.Add(pb, 0)))
		b1 := archsimd.LoadFloat32x16((*[16]float32)(unsafe.Add(pb, 64)))
		a0 := archsimd.BroadcastFloat32x16(*(*float32)(unsafe.Add(pa, 0)))
		c00 = a0.MulAdd(b0, c00)
		c01 = a0.MulAdd(b1, c01)
		a1 := archsimd.BroadcastFloat32x16(*(*float32)(unsafe.Add(pa, 4)))
		c10 = a1.MulAdd(b0, c10)
		c11 = a1.MulAdd(b1, c11)
		a2 := archsimd.BroadcastFloat32x16(*(*float32)(unsafe.Add(pa, 8)))
		c20 = a2.MulAdd(b0, c20)
		c21 = a2.MulAdd(b1, c21)
		a3 := archsimd.BroadcastFloat32x16(*(*float32)(unsafe.Add(pa, 12)))
		c30 = a3.MulAdd(b0, c30)
		c31 = a3.MulAdd(b1, c31)
	}
	r0 := c[0*ldc : 0*ldc+32]
	r1 := c[1*ldc : 1*ldc+32]
	r2 := c[2*ldc : 2*ldc+32]
	r3 := c[3*ldc : 3*ldc+32]
	if add {
		c00 = c00.Add(archsimd.LoadFloat32x16Slice(r0[0:16]))
		c01 = c01.Add(archsimd.LoadFloat32x16Slice(r0[16:32]))
		c10 = c10.Add(archsimd.LoadFloat32x16Slice(r1[0:16]))
		c11 = c11.Add(archsimd.LoadFloat32x16Slice(r1[16:32]))
		c20 = c20.Add(archsimd.LoadFloat32x16Slice(r2[0:16]))
		c21 = c21.Add(archsimd.LoadFloat32x16Slice(r2[16:32]))
		c30 = c30.Add(archsimd.LoadFloat32x16Slice(r3[0:16]))
		c31 = c31.Add(archsimd.LoadFloat32x16Slice(r3[16:32]))
	}
	c00.StoreSlice(r0[0:16])
	c01.StoreSlice(r0[16:32])
	c10.StoreSlice(r1[0:16])
	c11.StoreSlice(r1[16:32])
	c20.StoreSlice(r2[0:16])
	c21.StoreSlice(r2[16:32])
	c30.StoreSlice(r3[0:16])
	c31.StoreSlice(r3[16:32])
	archsimd.ClearAVXUpperBits() // the scalar Go code that follows uses SSE encodings
}

// kernelAVX2x4x16 is the AVX2+FMA microkernel in Go, a 4x16 tile of C: the
// reference the assembly 6x16 kernel is tested against bit for bit.
func kernelAVX2x4x16(kc int, a, b []float32, ldb int, c []float32, ldc int, add bool) {
	var c00, c01 archsimd.Float32x8
	var c10, c11 archsimd.Float32x8
	var c20, c21 archsimd.Float32x8
	var c30, c31 archsimd.Float32x8
	_ = a[kc*4-1] // bounds: the unsafe loads below stay inside a and b
	_ = b[(kc-1)*ldb+15]
	pa := unsafe.Pointer(&a[0])
	pb := unsafe.Pointer(&b[0])
	stride := uintptr(ldb) * 4
	// The last step is peeled so that pa and pb never point past the end of
	// a or b (an invalid pointer for checkptr, which -race enables).
	for p := 1; p < kc; p++ {
		b0 := archsimd.LoadFloat32x8((*[8]float32)(unsafe.Add(pb, 0)))
		b1 := archsimd.LoadFloat32x8((*[8]float32)(unsafe.Add(pb, 32)))
		a0 := archsimd.BroadcastFloat32x8(*(*float32)(unsafe.Add(pa, 0)))
		c00 = a0.MulAdd(b0, c00)
		c01 = a0.MulAdd(b1, c01)
		a1 := archsimd.BroadcastFloat32x8(*(*float32)(unsafe.Add(pa, 4)))
		c10 = a1.MulAdd(b0, c10)
		c11 = a1.MulAdd(b1, c11)
		a2 := archsimd.BroadcastFloat32x8(*(*float32)(unsafe.Add(pa, 8)))
		c20 = a2.MulAdd(b0, c20)
		c21 = a2.MulAdd(b1, c21)
		a3 := archsimd.BroadcastFloat32x8(*(*float32)(unsafe.Add(pa, 12)))
		c30 = a3.MulAdd(b0, c30)
		c31 = a3.MulAdd(b1, c31)
		pa = unsafe.Add(pa, 16)
		pb = unsafe.Add(pb, stride)
	}
	{
		b0 := archsimd.LoadFloat32x8((*[8]float32)(unsafe.Add(pb, 0)))
		b1 := archsimd.LoadFloat32x8((*[8]float32)(unsafe.Add(pb, 32)))
		a0 := archsimd.BroadcastFloat32x8(*(*float32)(unsafe.Add(pa, 0)))
		c00 = a0.MulAdd(b0, c00)
		c01 = a0.MulAdd(b1, c01)
		a1 := archsimd.BroadcastFloat32x8(*(*float32)(unsafe.Add(pa, 4)))
		c10 = a1.MulAdd(b0, c10)
		c11 = a1.MulAdd(b1, c11)
		a2 := archsimd.BroadcastFloat32x8(*(*float32)(unsafe.Add(pa, 8)))
		c20 = a2.MulAdd(b0, c20)
		c21 = a2.MulAdd(b1, c21)
		a3 := archsimd.BroadcastFloat32x8(*(*float32)(unsafe.Add(pa, 12)))
		c30 = a3.MulAdd(b0, c30)
		c31 = a3.MulAdd(b1, c31)
	}
	r0 := c[0*ldc : 0*ldc+16]
	r1 := c[1*ldc : 1*ldc+16]
	r2 := c[2*ldc : 2*ldc+16]
	r3 := c[3*ldc : 3*ldc+16]
	if add {
		c00 = c00.Add(archsimd.LoadFloat32x8Slice(r0[0:8]))
		c01 = c01.Add(archsimd.LoadFloat32x8Slice(r0[8:16]))
		c10 = c10.Add(archsimd.LoadFloat32x8Slice(r1[0:8]))
		c11 = c11.Add(archsimd.LoadFloat32x8Slice(r1[8:16]))
		c20 = c20.Add(archsimd.LoadFloat32x8Slice(r2[0:8]))
		c21 = c21.Add(archsimd.LoadFloat32x8Slice(r2[8:16]))
		c30 = c30.Add(archsimd.LoadFloat32x8Slice(r3[0:8]))
		c31 = c31.Add(archsimd.LoadFloat32x8Slice(r3[8:16]))
	}
	c00.StoreSlice(r0[0:8])
	c01.StoreSlice(r0[8:16])
	c10.StoreSlice(r1[0:8])
	c11.StoreSlice(r1[8:16])
	c20.StoreSlice(r2[0:8])
	c21.StoreSlice(r2[8:16])
	c30.StoreSlice(r3[0:8])
	c31.StoreSlice(r3[8:16])
	archsimd.ClearAVXUpperBits() // the scalar Go code that follows uses SSE encodings
}

// kernelAVX512x8x32 is the AVX-512 microkernel of the SIMD path, an 8x32
// tile of C, in assembly (package asmkern): 16 accumulators, which Go's
// register allocator (16 vector registers) cannot hold beside the B
// vectors. Its arithmetic is kernelAVX512x4x32's, element by element.
func kernelAVX512x8x32(kc int, a, b []float32, ldb int, c []float32, ldc int, add bool) {
	_ = a[kc*8-1] // bounds: the kernel reads a[:8kc], b[:(kc-1)ldb+32] and 8 rows of c
	_ = b[(kc-1)*ldb+31]
	_ = c[7*ldc+31]
	asmkern.AVX512x8x32(kc, a, b, ldb, c, ldc, add)
}

// kernelAVX2x6x16 is the AVX2+FMA microkernel of the SIMD path, a 6x16 tile
// of C in assembly (package asmkern): 12 accumulators, 2 B vectors and a
// broadcast fill the 16 ymm registers, which Go's allocator cannot do
// without spilling. Its arithmetic is kernelAVX2x4x16's, element by
// element.
func kernelAVX2x6x16(kc int, a, b []float32, ldb int, c []float32, ldc int, add bool) {
	_ = a[kc*6-1] // bounds: the kernel reads a[:6kc], b[:(kc-1)ldb+16] and 6 rows of c
	_ = b[(kc-1)*ldb+15]
	_ = c[5*ldc+15]
	asmkern.AVX2x6x16(kc, a, b, ldb, c, ldc, add)
}

// kernelAVX512x8x32S is kernelAVX512x8x32 reading the 8 x kc A panel in
// place: element (r, p) at byte offset r*ars + p*aps of a (ars, aps >= 4
// and multiples of 4). The same FMAs in the same order, so the same bits.
func kernelAVX512x8x32S(kc int, a []float32, ars, aps int, b []float32, ldb int, c []float32, ldc int, add bool) {
	_ = a[(7*ars+(kc-1)*aps)/4] // bounds: the last element the kernel reads
	_ = b[(kc-1)*ldb+31]
	_ = c[7*ldc+31]
	asmkern.AVX512x8x32S(kc, a, ars, aps, b, ldb, c, ldc, add)
}
