package genotype

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// Op names of the DARTS search space, in α column order. Column 0 (none) is
// never selected by a decoding rule.
const (
	None        = "none"
	MaxPool3x3  = "max_pool_3x3"
	AvgPool3x3  = "avg_pool_3x3"
	SkipConnect = "skip_connect"
	SepConv3x3  = "sep_conv_3x3"
	SepConv5x5  = "sep_conv_5x5"
	DilConv3x3  = "dil_conv_3x3"
	DilConv5x5  = "dil_conv_5x5"
	// Optional columns (SPEC 1.2, A1): in the official op dictionaries but
	// in no released genotype; a search network may add them after the 8.
	SepConv7x7  = "sep_conv_7x7"
	Conv7x1_1x7 = "conv_7x1_1x7"
)

// OpNames returns the 8 DARTS operations in the column order of the
// architecture logits (SPEC 1.2). A fresh slice is returned on every call.
func OpNames() []string {
	return []string{None, MaxPool3x3, AvgPool3x3, SkipConnect, SepConv3x3, SepConv5x5, DilConv3x3, DilConv5x5}
}

// KnownOps returns every operation a genotype may use: OpNames followed by
// the optional sep_conv_7x7 and conv_7x1_1x7.
func KnownOps() []string { return append(OpNames(), SepConv7x7, Conv7x1_1x7) }

// Steps is the number of intermediate nodes of a cell; NumEdges the number of
// mixed edges.
const (
	Steps    = 4
	NumEdges = 14
)

// EdgeIndex is the canonical row e(i,j) = (i-2)(i+1)/2 + j of edge (i <- j),
// 2 <= i <= 5, 0 <= j < i. It panics on an edge that does not exist.
func EdgeIndex(i, j int) int {
	if i < 2 || i >= 2+Steps || j < 0 || j >= i {
		panic(fmt.Sprintf("genotype: no edge (%d <- %d)", i, j))
	}
	return (i-2)*(i+1)/2 + j
}

// EdgeNodes is the inverse of EdgeIndex: the (i, j) of row e.
func EdgeNodes(e int) (i, j int) {
	for i = 2; i < 2+Steps; i++ {
		for j = 0; j < i; j++ {
			if EdgeIndex(i, j) == e {
				return i, j
			}
		}
	}
	panic(fmt.Sprintf("genotype: no edge row %d", e))
}

// Edge is one selected (operation, input node) pair of a discrete cell.
type Edge struct {
	Op    string `json:"op" yaml:"op"`
	Input int    `json:"input" yaml:"input"`
}

// Genotype is a discrete architecture: eight edges per cell type, two per
// intermediate node in node order, and the nodes concatenated at the output.
type Genotype struct {
	Name         string `json:"name,omitempty" yaml:"name,omitempty"`
	Normal       []Edge `json:"normal" yaml:"normal"`
	NormalConcat []int  `json:"normal_concat" yaml:"normal_concat,flow"`
	Reduce       []Edge `json:"reduce" yaml:"reduce"`
	ReduceConcat []int  `json:"reduce_concat" yaml:"reduce_concat,flow"`
}

func validCell(kind string, edges []Edge, concat []int, ops map[string]bool) error {
	if len(edges) != 2*Steps {
		return fmt.Errorf("%s cell has %d edges, want %d (two per intermediate node)", kind, len(edges), 2*Steps)
	}
	for k, e := range edges {
		node := 2 + k/2
		if !ops[e.Op] {
			return fmt.Errorf("%s edge %d: unknown op %q", kind, k, e.Op)
		}
		if e.Op == None {
			return fmt.Errorf("%s edge %d: op none cannot be selected", kind, k)
		}
		if e.Input < 0 || e.Input >= node {
			return fmt.Errorf("%s edge %d: input %d is not a predecessor of node %d", kind, k, e.Input, node)
		}
	}
	if len(concat) == 0 {
		return fmt.Errorf("%s cell concatenates no node", kind)
	}
	for _, c := range concat {
		if c < 0 || c >= 2+Steps {
			return fmt.Errorf("%s cell concatenates node %d, which does not exist", kind, c)
		}
	}
	return nil
}

// Validate checks that g is a well-formed genotype of the DARTS space.
func (g *Genotype) Validate() error {
	ops := map[string]bool{}
	for _, o := range KnownOps() {
		ops[o] = true
	}
	if err := validCell("normal", g.Normal, g.NormalConcat, ops); err != nil {
		return fmt.Errorf("genotype %q: %w", g.Name, err)
	}
	if err := validCell("reduce", g.Reduce, g.ReduceConcat, ops); err != nil {
		return fmt.Errorf("genotype %q: %w", g.Name, err)
	}
	return nil
}

// String is the compact one-line form "normal=[op:j ...] reduce=[op:j ...]".
func (g *Genotype) String() string {
	f := func(es []Edge) string {
		s := make([]string, len(es))
		for i, e := range es {
			s[i] = fmt.Sprintf("%s:%d", e.Op, e.Input)
		}
		return strings.Join(s, " ")
	}
	return fmt.Sprintf("normal=[%s] reduce=[%s]", f(g.Normal), f(g.Reduce))
}

// Equal reports whether two genotypes select the same cells (names ignored).
func Equal(a, b *Genotype) bool {
	eqE := func(x, y []Edge) bool {
		if len(x) != len(y) {
			return false
		}
		for i := range x {
			if x[i] != y[i] {
				return false
			}
		}
		return true
	}
	eqI := func(x, y []int) bool {
		if len(x) != len(y) {
			return false
		}
		for i := range x {
			if x[i] != y[i] {
				return false
			}
		}
		return true
	}
	return eqE(a.Normal, b.Normal) && eqE(a.Reduce, b.Reduce) && eqI(a.NormalConcat, b.NormalConcat) && eqI(a.ReduceConcat, b.ReduceConcat)
}

// SameArchitecture reports whether two genotypes build the same network:
// node i sums its two edges, so their order within the node does not matter
// (the decoding rules list them by strength, and a change in which of a
// node's two edges is the stronger is no change of architecture), nor does
// the order of the concatenated nodes' list. Names are ignored.
func SameArchitecture(a, b *Genotype) bool {
	return Equal(a.Canonical(), b.Canonical())
}

// Canonical is a copy of g with each node's two edges in (input, op) order
// and the concatenated nodes sorted: two genotypes build the same network
// exactly when their canonical forms are Equal.
func (g *Genotype) Canonical() *Genotype {
	c := func(es []Edge) []Edge {
		out := slices.Clone(es)
		for i := 0; i+1 < len(out); i += 2 {
			if x, y := out[i], out[i+1]; y.Input < x.Input || (y.Input == x.Input && y.Op < x.Op) {
				out[i], out[i+1] = y, x
			}
		}
		return out
	}
	nc, rc := slices.Clone(g.NormalConcat), slices.Clone(g.ReduceConcat)
	slices.Sort(nc)
	slices.Sort(rc)
	return &Genotype{Name: g.Name, Normal: c(g.Normal), NormalConcat: nc, Reduce: c(g.Reduce), ReduceConcat: rc}
}

func cell(pairs ...any) []Edge {
	out := make([]Edge, 0, len(pairs)/2)
	for i := 0; i < len(pairs); i += 2 {
		out = append(out, Edge{Op: pairs[i].(string), Input: pairs[i+1].(int)})
	}
	return out
}

func concat() []int { return []int{2, 3, 4, 5} }

// Builtin returns a fresh copy of a built-in genotype:
//
//   - base-cifar: the CIFAR-10-tuned BASE cell released with the official code;
//   - base-imagenet: the ImageNet-tuned BASE cell;
//   - darts-v2: DARTS (second order) as published by Liu et al. 2019.
func Builtin(name string) (*Genotype, bool) {
	switch name {
	case "base-cifar":
		return &Genotype{Name: name,
			Normal: cell(SkipConnect, 0, DilConv3x3, 1, MaxPool3x3, 0, DilConv5x5, 0,
				MaxPool3x3, 0, SepConv5x5, 0, MaxPool3x3, 1, DilConv5x5, 1),
			NormalConcat: concat(),
			Reduce: cell(SepConv3x3, 0, SepConv5x5, 0, MaxPool3x3, 0, SepConv3x3, 0,
				SkipConnect, 0, AvgPool3x3, 3, MaxPool3x3, 1, SkipConnect, 2),
			ReduceConcat: concat()}, true
	case "base-imagenet":
		return &Genotype{Name: name,
			Normal: cell(SkipConnect, 0, MaxPool3x3, 1, AvgPool3x3, 0, SepConv5x5, 1,
				SepConv5x5, 0, DilConv5x5, 3, SepConv5x5, 0, SepConv5x5, 2),
			NormalConcat: concat(),
			Reduce: cell(MaxPool3x3, 0, SepConv5x5, 0, MaxPool3x3, 0, AvgPool3x3, 0,
				SepConv5x5, 2, DilConv5x5, 2, AvgPool3x3, 0, SepConv5x5, 3),
			ReduceConcat: concat()}, true
	case "darts-v2":
		return &Genotype{Name: name,
			Normal: cell(SepConv3x3, 0, SepConv3x3, 1, SepConv3x3, 0, SepConv3x3, 1,
				SepConv3x3, 1, SkipConnect, 0, SkipConnect, 0, DilConv3x3, 2),
			NormalConcat: concat(),
			Reduce: cell(MaxPool3x3, 0, MaxPool3x3, 1, SkipConnect, 2, MaxPool3x3, 1,
				MaxPool3x3, 0, SkipConnect, 2, SkipConnect, 2, MaxPool3x3, 1),
			ReduceConcat: concat()}, true
	}
	return nil, false
}

// BuiltinNames lists the built-in genotypes, sorted.
func BuiltinNames() []string {
	n := []string{"base-cifar", "base-imagenet", "darts-v2"}
	sort.Strings(n)
	return n
}

// Parse decodes a genotype from YAML or JSON (JSON is valid YAML) with
// strict field checking and validates it.
func Parse(data []byte) (*Genotype, error) {
	var g Genotype
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&g); err != nil {
		return nil, fmt.Errorf("decode genotype: %w", err)
	}
	if len(g.NormalConcat) == 0 {
		g.NormalConcat = concat()
	}
	if len(g.ReduceConcat) == 0 {
		g.ReduceConcat = concat()
	}
	if err := g.Validate(); err != nil {
		return nil, err
	}
	return &g, nil
}

// Load resolves a genotype reference: a built-in name (base-cifar,
// base-imagenet, darts-v2), optionally prefixed "genotype:", or the path of a
// YAML/JSON file.
func Load(ref string) (*Genotype, error) {
	ref = strings.TrimPrefix(ref, "genotype:")
	if g, ok := Builtin(ref); ok {
		return g, nil
	}
	data, err := os.ReadFile(ref)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("genotype %q is neither a built-in (%s) nor a readable file", ref, strings.Join(BuiltinNames(), ", "))
		}
		return nil, fmt.Errorf("read genotype: %w", err)
	}
	g, err := Parse(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", ref, err)
	}
	if g.Name == "" {
		g.Name = strings.TrimSuffix(filepath.Base(ref), filepath.Ext(ref))
	}
	return g, nil
}

// MarshalYAML-free helpers: YAML and JSON encodings of a genotype.

// YAML encodes g as YAML, one edge per line.
func (g *Genotype) YAML() ([]byte, error) {
	var b bytes.Buffer
	fmt.Fprintf(&b, "name: %s\n", yamlString(g.Name))
	for _, part := range []struct {
		key    string
		edges  []Edge
		concat []int
	}{{"normal", g.Normal, g.NormalConcat}, {"reduce", g.Reduce, g.ReduceConcat}} {
		fmt.Fprintf(&b, "%s:\n", part.key)
		for _, e := range part.edges {
			fmt.Fprintf(&b, "  - {op: %s, input: %d}\n", e.Op, e.Input)
		}
		cs := make([]string, len(part.concat))
		for i, c := range part.concat {
			cs[i] = fmt.Sprint(c)
		}
		fmt.Fprintf(&b, "%s_concat: [%s]\n", part.key, strings.Join(cs, ", "))
	}
	return b.Bytes(), nil
}

func yamlString(s string) string {
	out, err := yaml.Marshal(s)
	if err != nil {
		return `""`
	}
	return strings.TrimSpace(string(out))
}

// JSON encodes g as indented JSON.
func (g *Genotype) JSON() ([]byte, error) {
	return json.MarshalIndent(g, "", "  ")
}

// ParseString decodes the one-line form of String ("normal=[op:j ...]
// reduce=[op:j ...]", as search records carry it) and validates it.
func ParseString(s string) (*Genotype, error) {
	var g Genotype
	rest := strings.TrimSpace(s)
	for _, part := range []struct {
		key   string
		edges *[]Edge
	}{{"normal=[", &g.Normal}, {"reduce=[", &g.Reduce}} {
		if !strings.HasPrefix(rest, part.key) {
			return nil, fmt.Errorf("genotype %q: want %s...]", s, part.key)
		}
		end := strings.IndexByte(rest, ']')
		if end < 0 {
			return nil, fmt.Errorf("genotype %q: unclosed %s", s, part.key)
		}
		for _, f := range strings.Fields(rest[len(part.key):end]) {
			op, in, ok := strings.Cut(f, ":")
			j, err := strconv.Atoi(in)
			if !ok || err != nil {
				return nil, fmt.Errorf("genotype %q: edge %q: want op:input", s, f)
			}
			*part.edges = append(*part.edges, Edge{Op: op, Input: j})
		}
		rest = strings.TrimSpace(rest[end+1:])
	}
	if rest != "" {
		return nil, fmt.Errorf("genotype %q: trailing %q", s, rest)
	}
	g.NormalConcat, g.ReduceConcat = concat(), concat()
	if err := g.Validate(); err != nil {
		return nil, err
	}
	return &g, nil
}
