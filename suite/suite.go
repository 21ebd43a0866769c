package suite

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/metabench/metabench/config"
	"github.com/metabench/metabench/experiment"
)

// The kinds of unit a suite treats apart (a unit's kind is any kind of the
// experiment registry that runs from a file: experiment.FileKinds).
const (
	KindTrain     = experiment.KindTrain
	KindSearch    = experiment.KindSearch
	KindMetatrain = experiment.KindMetatrain
	KindAdapt     = experiment.KindAdapt
)

// Suite is a suite file: a named, versioned list of units.
type Suite struct {
	Name    string `yaml:"name"`
	Version int    `yaml:"version"`
	// Description says what the suite is and at what scale it runs; the
	// results page prints it under the suite's records line.
	Description string `yaml:"description"`
	// Seeds are the seeds of every unit that names none.
	Seeds []int64 `yaml:"seeds"`
	// Set are overrides applied to every unit's experiment file before the
	// unit's own.
	Set   []string `yaml:"set"`
	Units []Unit   `yaml:"units"`
	// Reference is the unit every other row of the suite's table is compared
	// with, paired on the same test episodes (the paper's baseline); empty
	// for none.
	Reference string `yaml:"reference"`
	// Reproduction marks a suite of published results, one train unit per
	// number at its paper's protocol: its results page section adds the
	// Reproduction table (ReproductionTable). Its units must be train
	// units.
	Reproduction bool `yaml:"reproduction"`

	// Path is the suite file; experiment files are relative to its folder.
	Path string `yaml:"-"`
	// override are the caller's overrides (Options.Set), after the unit's.
	override []string
}

// Unit is one experiment of a suite, run once per seed.
type Unit struct {
	ID   string `yaml:"id"`
	Kind string `yaml:"kind"` // a kind of experiment.FileKinds: train (default), search, metatrain, adapt
	// File is the experiment file, relative to the suite file.
	File  string   `yaml:"file"`
	Set   []string `yaml:"set"`
	Seeds []int64  `yaml:"seeds"`
	// Evals are further evaluation protocols of a train unit's (or a search
	// unit's final network's) checkpoint, each a record of its own.
	Evals []Eval `yaml:"evals"`
	// Final, on a search unit, meta-trains the derived network (the
	// train.yaml the search writes) with these overrides; its record is
	// the unit's accuracy.
	Final *Final `yaml:"final"`
	// Prior, on an adapt unit, names the metatrain unit whose run with the
	// same seed is the prior to adapt.
	Prior string `yaml:"prior"`
	// PriorSeed, on an adapt unit, adapts the prior unit's run with this
	// seed for every seed of the unit: one prior meta-trained once (to a
	// plateau, say), adapted with several seeds. Unset: the same seed.
	PriorSeed *int64 `yaml:"prior_seed"`
	// From, on a train unit without a file, names the search unit whose run
	// with the same seed wrote the experiment to run (from.go).
	From string `yaml:"from"`
}

// Eval is an extra evaluation protocol; zero fields keep the run's values.
// StepsGrid and LRGrid, when either is set, choose the test-time steps and
// rate per network on SelectEpisodes validation episodes of the run
// (experiment.TestLoopChoice: the same rule for every row of a table)
// instead of Steps and LR.
type Eval struct {
	ID             string    `yaml:"id"`
	Shots          int       `yaml:"shots"`
	Queries        int       `yaml:"queries"`
	Episodes       int       `yaml:"episodes"`
	Steps          *int      `yaml:"steps"`
	LR             float64   `yaml:"lr"`
	StepsGrid      []int     `yaml:"steps_grid"`
	LRGrid         []float64 `yaml:"lr_grid"`
	SelectEpisodes int       `yaml:"select_episodes"`
}

// checkGrid checks the test-time loop grid of an eval; the error starts
// with the key it names.
func (e *Eval) checkGrid() error {
	grid := len(e.StepsGrid)+len(e.LRGrid) > 0
	switch {
	case !grid && e.SelectEpisodes != 0:
		return errors.New("select_episodes: scores a steps_grid or lr_grid, and there is none")
	case grid && e.SelectEpisodes < 1:
		return errors.New("select_episodes: the validation episodes each grid pair is scored on: must be at least 1")
	case len(e.StepsGrid) > 0 && e.Steps != nil, len(e.LRGrid) > 0 && e.LR > 0:
		return errors.New("steps_grid: steps and lr are chosen by the grid: give one or the other")
	case slices.ContainsFunc(e.StepsGrid, func(s int) bool { return s < 0 }):
		return errors.New("steps_grid: steps must not be negative")
	case slices.ContainsFunc(e.LRGrid, func(lr float64) bool { return !(lr > 0) }):
		return errors.New("lr_grid: rates must be above 0")
	}
	return nil
}

// Final is the final training of a search unit's derived network.
type Final struct {
	Set []string `yaml:"set"`
}

var idPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]*$`)

// Load reads and checks a suite file: strict keys, unique unit ids, every
// experiment file present and valid with the unit's overrides and seeds. Every
// error is one line naming the file and the key.
func Load(path string) (*Suite, error) {
	b, err := config.ReadFile(path)
	if err != nil {
		return nil, err
	}
	s, err := parse(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	s.Path = path
	if err := s.check(); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return s, nil
}

func parse(b []byte) (*Suite, error) {
	var s Suite
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(&s); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, errors.New("empty suite file")
		}
		return nil, config.YAMLError(err)
	}
	return &s, nil
}

// check validates the suite and loads every unit's experiment file.
func (s *Suite) check() error {
	switch {
	case !idPattern.MatchString(s.Name):
		return fmt.Errorf("name: %q: want lower-case letters, digits, '.', '_' or '-'", s.Name)
	case s.Version < 1:
		return fmt.Errorf("version: %d: want 1 or more (bump it when a unit changes meaning)", s.Version)
	case len(s.Units) == 0:
		return errors.New("units: none")
	}
	ids := map[string]Unit{}
	for i := range s.Units {
		u := &s.Units[i]
		f := fmt.Sprintf("units[%d]", i)
		if u.Kind == "" {
			u.Kind = KindTrain
		}
		if len(u.Seeds) == 0 {
			u.Seeds = s.Seeds
		}
		switch {
		case !idPattern.MatchString(u.ID):
			return fmt.Errorf("%s.id: %q: want lower-case letters, digits, '.', '_' or '-'", f, u.ID)
		case ids[u.ID].ID != "":
			return fmt.Errorf("%s.id: %q used twice", f, u.ID)
		case !isFileKind(u.Kind):
			return fmt.Errorf("%s.kind: %q: want %s", f, u.Kind, experiment.KindNames(experiment.FileKinds()))
		case u.File == "" && u.From == "":
			return fmt.Errorf("%s.file: missing", f)
		case len(u.Seeds) == 0:
			return fmt.Errorf("%s.seeds: none (set seeds on the unit or the suite)", f)
		case u.Final != nil && u.Kind != KindSearch:
			return fmt.Errorf("%s.final: only a search unit has a final network", f)
		case len(u.Evals) > 0 && u.Kind != KindTrain && (u.Kind != KindSearch || u.Final == nil):
			return fmt.Errorf("%s.evals: only train units and search units with a final network have checkpoints to evaluate", f)
		}
		if err := checkDependency(u, f, ids); err != nil {
			return err
		}
		seen := map[string]bool{}
		for j, e := range u.Evals {
			if !idPattern.MatchString(e.ID) || seen[e.ID] {
				return fmt.Errorf("%s.evals[%d].id: %q: want a unique lower-case id", f, j, e.ID)
			}
			if e.Shots < 0 || e.Queries < 0 || e.Episodes < 0 || (e.Steps != nil && *e.Steps < 0) || e.LR < 0 {
				return fmt.Errorf("%s.evals[%d]: shots, queries, episodes, steps and lr must not be negative", f, j)
			}
			if err := e.checkGrid(); err != nil {
				return fmt.Errorf("%s.evals[%d].%w", f, j, err)
			}
			seen[e.ID] = true
		}
		for _, sd := range u.Seeds {
			l, err := s.load(u, sd)
			if err != nil {
				return fmt.Errorf("%s (%s): %w", f, u.ID, err)
			}
			tuning, err := l.tuning(u)
			if err != nil {
				return fmt.Errorf("%s (%s): %w", f, u.ID, err)
			}
			if tuning {
				if err := s.checkTuning(u, f); err != nil {
					return err
				}
			}
			if cfg := l.train(); cfg != nil && cfg.Caps().NoInnerLoop {
				for j, e := range u.Evals {
					if (e.Steps != nil && *e.Steps > 0) || e.LR > 0 || len(e.StepsGrid)+len(e.LRGrid) > 0 {
						return fmt.Errorf("%s.evals[%d] (%s): steps and lr adapt an inner loop, and %s has none", f, j, u.ID, cfg.Method)
					}
				}
			}
		}
		ids[u.ID] = *u
	}
	for _, u := range s.Units {
		if s.Reproduction && u.Kind != KindTrain {
			return fmt.Errorf("units.%s: a reproduction suite holds train units only", u.ID)
		}
	}
	if _, ok := ids[s.Reference]; s.Reference != "" && !ok {
		return fmt.Errorf("reference: %q is not a unit of the suite", s.Reference)
	}
	return nil
}

func containsSeed(xs []int64, x int64) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

// FilePath is a unit's experiment file, resolved against the suite file.
func (s *Suite) FilePath(u *Unit) string {
	if filepath.IsAbs(u.File) {
		return u.File
	}
	return filepath.Join(filepath.Dir(s.Path), u.File)
}

// sets are the overrides of a unit's run with seed sd: the suite's, the
// unit's (their data paths relative to the suite file), the caller's
// (relative to the working folder), then the seed.
func (s *Suite) sets(u *Unit, sd int64) []string {
	var out []string
	for _, kv := range append(append([]string(nil), s.Set...), u.Set...) {
		out = append(out, config.ResolveOverride(filepath.Dir(s.Path), kv)) // data paths relative to the suite file
	}
	out = append(out, s.override...)
	return append(out, fmt.Sprintf("seed=%d", sd))
}

// isFileKind reports whether name is a kind that runs from an experiment
// file.
func isFileKind(name string) bool {
	k, err := experiment.LookupKind(name)
	return err == nil && k.HasFile()
}

// loaded is a unit's experiment file decoded for one seed, and its kind.
type loaded struct {
	kind *experiment.Kind
	file experiment.File
}

// train is a train unit's experiment (nil for another kind).
func (l *loaded) train() *config.Config {
	c, _ := l.file.(*config.Config)
	return c
}

// tuning says whether the run that scores unit u is a tuning run with no
// test evaluation (eval.episodes 0, docs/DECISIONS.md R36): a train
// unit's run, or a search unit's final network (the search file's
// experiment keys with final.set).
func (l *loaded) tuning(u *Unit) (bool, error) {
	if cfg := l.train(); cfg != nil {
		return cfg.Eval.Episodes == 0, nil
	}
	sf, ok := l.file.(*config.SearchFile)
	if !ok || u.Final == nil {
		return false, nil
	}
	cfg := sf.FinalTrain("darts-v2")
	for _, kv := range u.Final.Set {
		if err := cfg.Set(kv); err != nil {
			return false, fmt.Errorf("final.set: %w", err)
		}
	}
	return cfg.Eval.Episodes == 0, nil
}

// checkTuning refuses what a tuning unit u (field f of the file) cannot
// have: a test evaluation of another protocol (evals), a place in a
// reproduction suite, or the role of the reference.
func (s *Suite) checkTuning(u *Unit, f string) error {
	const why = "is a tuning run (eval.episodes 0): it runs no test evaluation"
	switch {
	case len(u.Evals) > 0:
		return fmt.Errorf("%s.evals (%s): the unit %s, and an extra evaluation protocol is a test evaluation: drop evals, or set eval.episodes above 0", f, u.ID, why)
	case s.Reproduction:
		return fmt.Errorf("%s (%s): the unit %s, and a reproduction suite sets every unit's test accuracy beside the paper's: set eval.episodes above 0", f, u.ID, why)
	case s.Reference == u.ID:
		return fmt.Errorf("reference: %s %s, so the other rows have no test episodes to be paired with", u.ID, why)
	}
	return nil
}

// load decodes the unit's experiment file with the suite's, the unit's and
// the seed's overrides.
func (s *Suite) load(u *Unit, sd int64) (*loaded, error) {
	k, err := experiment.LookupKind(u.Kind)
	if err != nil {
		return nil, err
	}
	l := &loaded{kind: k}
	if u.From == "" {
		l.file, err = k.Load(s.FilePath(u), s.sets(u, sd))
	} else if cfg, ferr := s.loadFrom(u, sd); ferr != nil {
		err = ferr
	} else {
		l.file = cfg
		_, err = experiment.CheckMethod(cfg)
	}
	if err != nil {
		return nil, err
	}
	return l, nil
}

// Only keeps the units named by ids, in that order (metabench run
// --methods).
func (s *Suite) Only(ids []string) error {
	var units []Unit
	for _, id := range ids {
		i := slices.IndexFunc(s.Units, func(u Unit) bool { return u.ID == strings.TrimSpace(id) })
		if i < 0 {
			return fmt.Errorf("%s: not a unit of %s", strings.TrimSpace(id), s.Path)
		}
		units = append(units, s.Units[i])
	}
	s.Units = units
	return nil
}
