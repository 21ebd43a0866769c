package suite

import (
	"fmt"
	"path/filepath"
	"slices"

	"github.com/metabench/metabench/config"
	"github.com/metabench/metabench/experiment"
)

// A train unit with From meta-trains the network a search unit listed
// before it derived with the same seed: the train.yaml of the search's run
// folder, with the suite's, the unit's and the caller's overrides and the
// seed, in place of an experiment file. So one searched genotype can be
// trained twice, e.g. at its natural size (the search unit's final) and at
// Conv-4's parameter count (a from-unit setting model.match_params), and
// both rows are that genotype by construction.

// DerivedFile is the experiment a search writes into its run folder to
// meta-train its derived network.
const DerivedFile = "train.yaml"

// dependsOn is the unit whose run (with seed depSeed) a job of u needs
// first: an adapt unit's prior, a from-unit's search; "" for none.
func (u *Unit) dependsOn() string {
	if u.Prior != "" {
		return u.Prior
	}
	return u.From
}

// depSeed is the seed of the dependency's run that u's job with seed sd
// needs: the unit's prior_seed when set, else sd.
func (u *Unit) depSeed(sd int64) int64 {
	if u.PriorSeed != nil {
		return *u.PriorSeed
	}
	return sd
}

// checkDependency checks u's prior or from against the units listed before
// it (before): the right kind, and a run for every seed of u.
func checkDependency(u *Unit, f string, before map[string]Unit) error {
	switch {
	case (u.Prior != "") != (u.Kind == KindAdapt):
		return fmt.Errorf("%s.prior: an adapt unit, and only an adapt unit, names the metatrain unit of its prior", f)
	case u.From != "" && u.Kind != KindTrain:
		return fmt.Errorf("%s.from: only a train unit meta-trains a search unit's derived network", f)
	case u.From != "" && u.File != "":
		return fmt.Errorf("%s.file: a unit with from trains the %s its search writes; remove file", f, DerivedFile)
	case u.PriorSeed != nil && u.Prior == "":
		return fmt.Errorf("%s.prior_seed: only an adapt unit with a prior names the seed of the prior's run", f)
	}
	dep := u.dependsOn()
	if dep == "" {
		return nil
	}
	kind, key := KindMetatrain, "prior"
	if u.From != "" {
		kind, key = KindSearch, "from"
	}
	d, ok := before[dep]
	if !ok || d.Kind != kind {
		return fmt.Errorf("%s.%s: %q is not a %s unit listed before it", f, key, dep, kind)
	}
	if u.PriorSeed != nil && !containsSeed(d.Seeds, *u.PriorSeed) {
		return fmt.Errorf("%s.prior_seed: seed %d has no run of prior unit %q", f, *u.PriorSeed, dep)
	}
	for _, sd := range u.Seeds {
		if !containsSeed(d.Seeds, u.depSeed(sd)) {
			return fmt.Errorf("%s.seeds: seed %d has no run of %s unit %q", f, sd, key, dep)
		}
	}
	return nil
}

// loadFrom checks a from-unit's overrides for seed sd on the experiment its
// search will write (config.SearchFile.FinalTrain), with the built-in
// darts-v2 standing in for the genotype the search derives: the genotype
// changes the network, not which keys and values are valid.
func (s *Suite) loadFrom(u *Unit, sd int64) (*config.Config, error) {
	i := slices.IndexFunc(s.Units, func(x Unit) bool { return x.ID == u.From })
	src := &s.Units[i]
	sf, err := config.LoadSearch(s.FilePath(src), s.sets(src, sd))
	if err != nil {
		return nil, fmt.Errorf("from %s: %w", u.From, err)
	}
	cfg := sf.FinalTrain("darts-v2")
	for _, o := range s.sets(u, sd) {
		if err := cfg.Set(o); err != nil {
			return nil, err
		}
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &cfg, nil
}

// derived loads the experiment the search unit's run with seed sd wrote,
// with the overrides sets.
func (r *runner) derived(search string, sd int64, sets []string) (*config.Config, error) {
	return config.Load(filepath.Join(r.dir(search, sd, StepRun), DerivedFile), sets)
}

// load is Suite.load, except that a from-unit's experiment is the one its
// search wrote for the seed.
func (r *runner) load(u *Unit, sd int64) (*loaded, error) {
	if u.From == "" {
		return r.s.load(u, sd)
	}
	k, err := experiment.LookupKind(u.Kind)
	if err != nil {
		return nil, err
	}
	cfg, err := r.derived(u.From, sd, r.s.sets(u, sd))
	if err != nil {
		return nil, fmt.Errorf("from %s: %w", u.From, err)
	}
	return &loaded{kind: k, file: cfg}, nil
}
