package config

import (
	"fmt"
	"path/filepath"
	"strings"
)

// Data paths written in an experiment file are relative to the file's
// folder, so that a shipped file names its data the same way on every
// clone (benchmarks/x.yaml reaching ../../shared/data/mnist means the
// shared folder beside the clone). Paths given by --set, a flag or the
// environment keep their usual meaning: relative to the working folder.
// The embedded data ("embedded", "default", "embedded:...") and absolute
// paths are left alone; a "FORMAT:" prefix (idx:, cifar10:, ...) is kept
// and the path after it resolved. A model named by a genotype file
// (model.name genotype:FILE[,sizes], FILE a path or a .yaml/.yml/.json
// name; see GenotypeFileRef) follows the same rule; a built-in genotype
// name (darts-v2) is left alone.

// dataPathKeys are the override keys that name a data source.
var dataPathKeys = []string{"data.path", "data.val_path", "data.test_path", "data.pool_path"}

// ResolveOverride resolves the path of a "key=value" override written in a
// file in dir (a suite's set), as the experiment file's own paths are: a
// data source key's value becomes relative to dir; other overrides are
// returned as they are.
func ResolveOverride(dir, kv string) string {
	k, v, ok := strings.Cut(kv, "=")
	if !ok {
		return kv
	}
	for _, key := range dataPathKeys {
		if strings.TrimSpace(k) == key {
			return k + "=" + resolveIn(dir, strings.TrimSpace(v))
		}
	}
	if strings.TrimSpace(k) == "model.name" {
		return k + "=" + mapGenotypeFile(strings.TrimSpace(v), func(p string) string { return resolveIn(dir, p) })
	}
	return kv
}

// GenotypeFileRef reports whether ref (the part of a model name after
// "genotype:" and before the first ",") names a genotype file rather than
// a built-in genotype: it holds a path separator or ends in .yaml, .yml
// or .json. Built-in names (darts-v2, base-cifar) have neither.
func GenotypeFileRef(ref string) bool {
	if strings.ContainsRune(ref, '/') || strings.ContainsRune(ref, filepath.Separator) {
		return true
	}
	switch strings.ToLower(filepath.Ext(ref)) {
	case ".yaml", ".yml", ".json":
		return true
	}
	return false
}

// mapGenotypeFile applies f to the genotype file a model name
// genotype:FILE[,sizes] names; other names are returned as they are.
func mapGenotypeFile(name string, f func(string) string) string {
	rest, ok := strings.CutPrefix(name, "genotype:")
	if !ok {
		return name
	}
	ref, sizes, _ := strings.Cut(rest, ",")
	if !GenotypeFileRef(ref) {
		return name
	}
	out := "genotype:" + f(ref)
	if sizes != "" {
		out += "," + sizes
	}
	return out
}

// relTo rewrites p, a path relative to the working folder, as a path
// relative to dir, keeping a "FORMAT:" prefix; embedded data and empty
// paths are left alone, and so are absolute paths unless all is set. It
// is resolveIn's inverse for a file written into dir.
func relTo(dir, p string, all bool) (string, error) {
	if isEmbedded(p) || filepath.IsAbs(p) && !all {
		return p, nil
	}
	if i := strings.Index(p, ":"); i > 0 && isFormatName(p[:i]) {
		r, err := relTo(dir, p[i+1:], all)
		return p[:i+1] + r, err
	}
	ad, err := filepath.Abs(dir)
	if err != nil {
		return p, err
	}
	ap, err := filepath.Abs(p)
	if err != nil {
		return p, err
	}
	r, err := filepath.Rel(ad, ap)
	if err != nil {
		return p, fmt.Errorf("%s relative to %s: %w", p, dir, err)
	}
	return filepath.ToSlash(r), nil
}

// RelativeTo returns a copy of c whose relative data paths and genotype
// file (absolute or not) are written relative to dir, for an experiment
// file written into dir (a search's train.yaml beside its genotype.yaml):
// loading that file resolves them back to the same files, and a genotype
// kept beside it names no machine path. Absolute data paths stay absolute.
func (c Config) RelativeTo(dir string) (Config, error) {
	d := &c.Data
	var err error
	for _, p := range []*string{&d.Path, &d.ValPath, &d.TestPath, &d.PoolPath} {
		if *p, err = relTo(dir, *p, false); err != nil {
			return c, err
		}
	}
	var ferr error
	c.Model.Name = mapGenotypeFile(c.Model.Name, func(p string) string {
		r, err := relTo(dir, p, true)
		if err != nil && ferr == nil {
			ferr = err
		}
		return r
	})
	return c, ferr
}

// resolveIn resolves p against dir as described above.
func resolveIn(dir, p string) string {
	if isEmbedded(p) || filepath.IsAbs(p) {
		return p
	}
	if i := strings.Index(p, ":"); i > 0 && isFormatName(p[:i]) {
		return p[:i+1] + resolveIn(dir, p[i+1:])
	}
	return filepath.Join(dir, p)
}

// isEmbedded reports whether p names no file: empty, or the embedded data.
func isEmbedded(p string) bool {
	return p == "" || p == "default" || p == "embedded" || strings.HasPrefix(p, "embedded:")
}

// isFormatName reports whether s looks like a dataset format name (lower
// case letters, digits and hyphens), not part of a file name.
func isFormatName(s string) bool {
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-') {
			return false
		}
	}
	return true
}

// resolvePaths makes the data paths of c relative to dir.
func (c *Config) resolvePaths(dir string) {
	d := &c.Data
	d.Path, d.ValPath, d.TestPath = resolveIn(dir, d.Path), resolveIn(dir, d.ValPath), resolveIn(dir, d.TestPath)
	d.PoolPath = resolveIn(dir, d.PoolPath)
	c.Model.Name = mapGenotypeFile(c.Model.Name, func(p string) string { return resolveIn(dir, p) })
}

// resolvePaths makes the source paths of c relative to dir.
func (c *MetatrainFile) resolvePaths(dir string) {
	for i := range c.Sources {
		c.Sources[i].Path = resolveIn(dir, c.Sources[i].Path)
	}
}

// resolvePaths makes the target paths and the prior folder of c relative
// to dir.
func (c *AdaptFile) resolvePaths(dir string) {
	for i := range c.Targets {
		c.Targets[i].Path = resolveIn(dir, c.Targets[i].Path)
	}
	c.Prior = resolveIn(dir, c.Prior)
}

// file is what every kind of experiment file can do.
type file interface {
	Set(kv string) error
	Validate() error
	resolvePaths(dir string)
}

// load reads path, decodes it with parse, resolves its data paths against
// its folder, applies the overrides in order and validates it. Errors name
// the file (or, for an override, the key).
func load[T file](path string, overrides []string, parse func([]byte) (T, error)) (T, error) {
	var zero T
	b, err := ReadFile(path)
	if err != nil {
		return zero, err
	}
	c, err := parse(b)
	if err != nil {
		return zero, fmt.Errorf("%s: %w", path, err)
	}
	c.resolvePaths(filepath.Dir(path))
	for _, o := range overrides {
		if err := c.Set(o); err != nil {
			return zero, err
		}
	}
	if err := c.Validate(); err != nil {
		return zero, fmt.Errorf("%s: %w", path, err)
	}
	return c, nil
}
