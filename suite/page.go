package suite

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"

	"github.com/metabench/metabench/config"
	"github.com/metabench/metabench/reports"
)

// File is the name under which a suite's records folder keeps the suite
// file that produced them (read for its reference unit only).
const File = "suite.yaml"

// WritePage writes the whole results page of set, the records read from
// path (reports.ReadRecordSet): reports.WriteResultsPage, then, when path
// is a folder, the sections of the suites whose records are in its
// subfolders (WritePageSections).
func WritePage(w io.Writer, set *reports.RecordSet, src reports.PageSource, path string) error {
	if err := reports.WriteResultsPage(w, set, src); err != nil {
		return err
	}
	if fi, err := os.Stat(path); err == nil && fi.IsDir() {
		return WritePageSections(w, path)
	}
	return nil
}

// WritePageSections writes to a results page (Markdown) one section per
// subfolder of dir that holds records of a suite, in name order: the
// suite's table (each row paired with the reference unit that the folder's
// suite.yaml names, if any), the genotypes of its search units across
// seeds with their convergence (arch.svg), the validation curves read for a
// plateau budget (plateau.svg), and its adaptation curves (Figure 4) with
// their paired tests (figure4.svg), each figure linked when the folder has
// it (make results draws them). Like the page itself, the
// sections depend on the records alone; links assume the page is written
// beside dir.
func WritePageSections(w io.Writer, dir string) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("suite pages: %w", err)
	}
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		if err := writeSection(w, dir, e.Name()); err != nil {
			return err
		}
		if err := writeEqualTasks(w, dir, e.Name()); err != nil {
			return err
		}
	}
	return nil
}

// EqualTasksPlots is the base name of the plots of a comparison at equal
// tasks that make results draws (metabench vsref --plots DIR --name) into
// the folder of the comparison's section.
const EqualTasksPlots = "maml_vs_torch"

// writeEqualTasks writes the section of metabench's MAML against the
// PyTorch reference at equal tasks when dir/sub holds the runs
// (reports.FindEqualTasks), with the plots of dir/sub when it has them.
func writeEqualTasks(w io.Writer, dir, sub string) error {
	out, err := reports.FindEqualTasks(filepath.Join(dir, sub))
	if err != nil || out == "" {
		return err
	}
	ref, ours, err := reports.ReadEqualTasks(out)
	if err != nil {
		return err
	}
	rows, err := reports.CompareAtTasks(ref, ours)
	if err != nil {
		return fmt.Errorf("%s: %w", out, err)
	}
	rel, err := filepath.Rel(dir, out)
	if err != nil {
		return err
	}
	base := filepath.Base(dir)
	var figs []reports.PageFigure
	for _, f := range []struct{ suffix, alt string }{{"_tasks", "accuracy against meta-training tasks"}, {"_wallclock", "accuracy against training wall clock"}} {
		file := EqualTasksPlots + f.suffix + ".svg"
		if _, err := os.Stat(filepath.Join(dir, sub, file)); err == nil {
			figs = append(figs, reports.PageFigure{Alt: "metabench and PyTorch MAML, " + f.alt, Link: filepath.ToSlash(filepath.Join(base, sub, file))})
		}
	}
	return reports.WriteEqualTasksSection(w, filepath.ToSlash(filepath.Join(base, rel)), rows, "pytorch", "metabench", figs)
}

// writeSection writes the sections of the suites whose records are in
// dir/sub (reports.WriteSuiteSection), the reference unit, whether to
// show the reproduction table and the description (on the section of the
// suite it names) read from its suite.yaml.
func writeSection(w io.Writer, dir, sub string) error {
	path := filepath.Join(dir, sub)
	set, err := reports.ReadRecordSet(path)
	if err != nil {
		return err
	}
	recs := set.All()
	var names []string
	for i := range recs {
		if s := recs[i].Suite; s != nil && !slices.Contains(names, s.Name) {
			names = append(names, s.Name)
		}
	}
	slices.Sort(names)
	var file Suite // the folder's suite.yaml, when it has one
	if b, err := config.ReadFile(filepath.Join(path, File)); err == nil {
		s, err := parse(b)
		if err != nil {
			return fmt.Errorf("%s: %w", filepath.Join(path, File), err)
		}
		file = *s
	}
	link := filepath.ToSlash(filepath.Join(filepath.Base(dir), sub))
	for _, name := range names {
		sec, err := section(dir, sub, link, name, recs, file.Reference, file.Reproduction)
		if err != nil {
			return err
		}
		if name == file.Name {
			sec.Description = file.Description
		}
		if err := reports.WriteSuiteSection(w, sec); err != nil {
			return err
		}
	}
	return nil
}

// section is suite name's section of the page from the records of
// dir/sub (link: that folder as the page links it): its table (paired with the reference unit ref when the suite
// has it), with reproduction its Reproduction table, the genotypes of its
// search units across seeds, and its adaptation curves with their paired
// tests and Figure 4 (figure4.svg, when the folder has it).
func section(dir, sub, link, name string, recs []reports.Record, ref string, reproduction bool) (*reports.SuiteSection, error) {
	label := Labels(recs, name)[0]
	sel, version := Select(recs, name, label)
	rows := Rows(sel)
	sec := &reports.SuiteSection{Name: name, Folder: link, Label: label, Records: len(sel)}
	if !slices.ContainsFunc(rows, func(x *Row) bool { return x.Unit == ref }) {
		ref = ""
	}
	sec.Tables = append(sec.Tables, Table(name, version, label, rows, ref, Against(rows, ref)))
	if reproduction {
		t, err := reproductionTable(dir, name, rows)
		if err != nil {
			return nil, err
		}
		if t != nil {
			sec.Tables = append(sec.Tables, t)
		}
	}
	sts, err := GenotypeStability(rows)
	if err != nil {
		return nil, err
	}
	for _, st := range sts {
		sec.Tables = append(sec.Tables, StabilityTable(st))
	}
	figure := func(file, alt string) {
		if _, err := os.Stat(filepath.Join(dir, sub, file)); err == nil {
			sec.Figures = append(sec.Figures, reports.PageFigure{Alt: alt, Link: link + "/" + file})
		}
	}
	if len(sts) > 0 {
		figure("arch.svg", "Search convergence, "+name)
	}
	if ps := Plateaus(rows, DefaultPlateauGain); slices.ContainsFunc(ps, hasDoubling) { // a curve that can be read for a budget
		sec.Tables = append(sec.Tables, PlateauTable(name, version, label, ps))
		figure("plateau.svg", "Validation curves, "+name)
	}
	if curves := Curves(rows); len(curves) > 0 {
		sec.Tables = append(sec.Tables, CurvesTable(name, version, label, curves, Contrasts(curves)))
		figure("figure4.svg", "Figure 4, "+name)
	}
	return sec, nil
}

// reproductionTable is the Reproduction table of suite name's rows, its
// units read from the shipped suite file (sourceSuite); nil when there is
// none.
func reproductionTable(dir, name string, rows []*Row) (*reports.Table, error) {
	s, ok, err := sourceSuite(dir, name)
	if err != nil {
		return nil, fmt.Errorf("reproduction table of %s: %w", name, err)
	}
	if !ok {
		return nil, nil
	}
	others, err := reports.ReadRecordSet(dir)
	if err != nil {
		return nil, fmt.Errorf("reproduction table of %s: %w", name, err)
	}
	var recs []*reports.Record
	for _, r := range others.All() {
		recs = append(recs, &r)
	}
	t, err := ReproductionTable(s, rows, recs)
	if err != nil {
		return nil, fmt.Errorf("reproduction table of %s: %w", name, err)
	}
	return t, nil
}
