package config

import (
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"

	"github.com/metabench/metabench/maml"
)

// MethodBlocks are the methods' own sections of an experiment file
// (reptile:, mamlpp:), one per registered method with options, by method
// name: each holds the pointer that the method's maml.Def.Options returns,
// decoded strictly from the file onto the method's defaults. The keys sit
// at the top level of the file beside the common ones, and a file may hold
// the block of a method other than its own only at its defaults (unless the
// method's Def says SharedBlock). A method added in its own file brings its
// block with it: nothing here names one.
//
// Set replaces a block it changes (copy on write), so a Config copied by
// value never changes the blocks of its original through Set; code that
// writes a block's fields directly should Clone the Config first.
type MethodBlocks map[string]any

// defaultBlocks returns every registered method's options at their
// defaults.
func defaultBlocks() MethodBlocks {
	b := MethodBlocks{}
	keys := yamlKeys(reflect.TypeOf(Config{}))
	for _, name := range maml.Names() {
		d, _ := maml.Lookup(name)
		if d.Options == nil {
			continue
		}
		if slices.Contains(keys, name) {
			panic(fmt.Sprintf("config: method %s's option block would hide the experiment key %s", name, name))
		}
		b[name] = d.Options()
	}
	return b
}

// names are the block names, sorted.
func (b MethodBlocks) names() []string { return slices.Sorted(maps.Keys(b)) }

// Clone returns a copy of the blocks whose values are copies too.
func (b MethodBlocks) Clone() MethodBlocks {
	c := make(MethodBlocks, len(b))
	for k, v := range b {
		c[k] = cloneBlock(v)
	}
	return c
}

func cloneBlock(v any) any {
	p := reflect.New(reflect.TypeOf(v).Elem())
	p.Elem().Set(reflect.ValueOf(v).Elem())
	return p.Interface()
}

// Options returns the option block of the file's method (nil when the
// method has none): what maml.NewWith builds the method with.
func (c *Config) Options() any { return c.Blocks[c.Method] }

// Caps returns what the file's method declares about itself (nothing for an
// unknown name).
func (c *Config) Caps() maml.Caps {
	d, _ := maml.Lookup(c.Method)
	return d.Caps
}

// Clone returns a copy of c that shares nothing with it.
func (c *Config) Clone() *Config {
	d := *c
	d.Blocks = c.Blocks.Clone()
	return &d
}

// setBlock applies the override "block.key=value" to a copy of the block,
// which then replaces it; ok is false when key names no block.
func (c *Config) setBlock(key, val string) (ok bool, err error) {
	name, rest, _ := strings.Cut(key, ".")
	opts, ok := c.Blocks[name]
	if !ok {
		return false, nil
	}
	if rest == "" {
		return true, fmt.Errorf("override %s: is a section; set one of its keys (%s)", key, strings.Join(yamlKeys(reflect.TypeOf(opts).Elem()), ", "))
	}
	fresh := cloneBlock(opts)
	if err := setAt(fresh, key, rest, val); err != nil {
		return true, err
	}
	blocks := make(MethodBlocks, len(c.Blocks))
	for k, v := range c.Blocks {
		blocks[k] = v
	}
	blocks[name] = fresh
	c.Blocks = blocks
	return true, nil
}

// checkBlocks checks every block with its own Validate, and that the blocks
// of other methods than the file's stand at their defaults.
func (c *Config) checkBlocks() []fieldCheck {
	var checks []fieldCheck
	for _, name := range c.Blocks.names() {
		opts := c.Blocks[name]
		if v, ok := opts.(maml.OptionsValidator); ok {
			if err := v.Validate(); err != nil {
				field, msg := name, err.Error()
				if key, m, found := strings.Cut(msg, ": "); found {
					field, msg = name+"."+key, m
				}
				checks = append(checks, fieldCheck{true, field, msg})
				continue
			}
		}
		d, _ := maml.Lookup(name)
		if name != c.Method && !d.SharedBlock && !reflect.DeepEqual(opts, d.Options()) {
			checks = append(checks, fieldCheck{true, name, fmt.Sprintf("options of method %s, not of %q: remove the block or use its defaults", name, c.Method)})
		}
	}
	return checks
}

// blockDoc returns the value that yaml decodes and encodes for doc (a
// *Config or *SearchFile): doc's own keys, inline, then one key per method
// block holding that block's pointer. Its type is made at run time
// (reflect.StructOf), since the blocks are known only then; rename turns
// its name in yaml's messages back into doc's ("field x not found in type
// config.Config").
func blockDoc(doc any, blocks MethodBlocks) (v reflect.Value, rename func(string) string) {
	names := blocks.names()
	fields := []reflect.StructField{{Name: "Doc", Type: reflect.TypeOf(doc), Tag: `yaml:",inline"`}}
	for i, n := range names {
		fields = append(fields, reflect.StructField{Name: fmt.Sprintf("Block%d", i), Type: reflect.TypeOf(blocks[n]), Tag: reflect.StructTag(fmt.Sprintf("yaml:%q", n))})
	}
	v = reflect.New(reflect.StructOf(fields))
	v.Elem().Field(0).Set(reflect.ValueOf(doc))
	for i, n := range names {
		v.Elem().Field(i + 1).Set(reflect.ValueOf(blocks[n]))
	}
	dyn, own := v.Elem().Type().String(), reflect.TypeOf(doc).Elem().String()
	return v, func(msg string) string { return strings.ReplaceAll(msg, dyn, own) }
}

// decodeWithBlocks decodes an experiment file strictly onto doc (holding
// its defaults), its method blocks onto *blocks, which it replaces with
// fresh blocks.
func decodeWithBlocks(b []byte, doc any, blocks *MethodBlocks) error {
	fresh := blocks.Clone()
	v, rename := blockDoc(doc, fresh)
	if err := decodeStrictRenamed(b, v.Interface(), rename); err != nil {
		return err
	}
	for i, n := range fresh.names() {
		if p := v.Elem().Field(i + 1); !p.IsNil() { // a block written as null keeps its defaults
			fresh[n] = p.Interface()
		}
	}
	*blocks = fresh
	return nil
}

// toMapWithBlocks is toMap of doc with its method blocks.
func toMapWithBlocks(doc any, blocks MethodBlocks) map[string]any {
	v, _ := blockDoc(doc, blocks)
	return toMap(v.Interface())
}
