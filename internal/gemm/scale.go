package gemm

// scaleF32 sets C = beta*C on an m x n block (C = 0 when beta == 0, so NaNs
// in C do not survive, as BLAS specifies).
func scaleF32(m, n int, beta float32, c []float32, ldc int) {
	if beta == 1 {
		return
	}
	for i := 0; i < m; i++ {
		row := c[i*ldc : i*ldc+n]
		if beta == 0 {
			clear(row)
			continue
		}
		for j := range row {
			row[j] *= beta
		}
	}
}
