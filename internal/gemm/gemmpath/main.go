// Command gemmpath prints the matrix-product path (gemm.Path) a binary built
// with the same flags would use on this machine. The Makefile builds it to
// probe which paths this machine can compile and link.
package main

import (
	"fmt"

	"github.com/metabench/metabench/internal/gemm"
)

func main() { fmt.Println(gemm.Path()) }
