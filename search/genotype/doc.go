// Package genotype holds discrete cell architectures ("genotypes") as plain
// data, the built-in released cells, and the rules that decode a continuous
// architecture distribution into a genotype.
//
// # Cells and edges
//
// A cell has two input nodes (0 and 1: the outputs of the previous two cells)
// and four intermediate nodes 2..5; its output concatenates nodes 2..5. An
// edge (i <- j), j < i, has the canonical row index
//
//	e(i, j) = (i-2)(i+1)/2 + j            (14 edges: 2+3+4+5)
//
// A genotype lists, per cell type (normal, reduce), eight (op, input) pairs:
// two per intermediate node in node order, so node i is
//
//	h_i = op_a(h_{j_a}) + op_b(h_{j_b}).
//
// # Decoding rules
//
// Given a probability table P (14 rows, one per edge; columns are the ops of
// OpNames, column 0 = none), for each intermediate node i:
//
// BASE rule (recommended, reproduces every released BASE cell): score every
// (predecessor j < i, op o != none) pair by P[e(i,j), o] and keep the two
// best pairs. Both may come from the same predecessor. Ties are broken by
// lower j, then lower op column.
//
// DARTS rule: the strength of edge (i <- j) is max_{o != none} P[e(i,j), o];
// keep the two strongest distinct edges (ties: lower j), and on each take the
// argmax non-none op (ties: lower column).
//
// # Averaging over adapted tasks
//
// The architecture distribution decoded for a data set is the mean of the
// per-task probabilities after adaptation,
//
//	P̄_e = (1/N) sum_n softmax(alpha_e^(n)),
//
// computed row by row with the max-subtraction trick (Average).
package genotype
