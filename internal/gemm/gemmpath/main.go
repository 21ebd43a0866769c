// Command gemmpath prints the matrix-product path (gemm.Path) a binary built
// with the same flags would use on this machine, and on a second line the
// OpenBLAS kernel family worth trying instead when there is one
// (gemm.SuggestedCore). The Makefile builds it to probe which paths this
// machine can compile and link.
package main

import (
	"fmt"

	"github.com/metabench/metabench/internal/gemm"
)

func main() {
	fmt.Println(gemm.Path())
	if c, ok := gemm.SuggestedCore(); ok {
		fmt.Printf("faster kernels here: OPENBLAS_CORETYPE=%s (check them first: see internal/gemm/doc.go)\n", c)
	}
}
