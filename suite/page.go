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

// WritePageSections writes to a results page (Markdown) one section per
// subfolder of dir that holds records of a suite, in name order: the
// suite's table (each row paired with the reference unit that the folder's
// suite.yaml names, if any), the genotypes of its search units across
// seeds, and its adaptation curves (Figure 4) with their paired tests and a
// link to figure4.svg when the folder has one. Like the page itself, the
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
	}
	return nil
}

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
	ref, reproduction := "", false
	if b, err := config.ReadFile(filepath.Join(path, File)); err == nil {
		s, err := parse(b)
		if err != nil {
			return fmt.Errorf("%s: %w", filepath.Join(path, File), err)
		}
		ref, reproduction = s.Reference, s.Reproduction
	}
	link := filepath.ToSlash(filepath.Join(filepath.Base(dir), sub))
	for _, name := range names {
		label := Labels(recs, name)[0]
		sel, version := Select(recs, name, label)
		rows := Rows(sel)
		if _, err := fmt.Fprintf(w, "\n## Suite %s\n\nRecords: `%s/` (%d), label %s.\n\n", name, link, len(sel), label); err != nil {
			return err
		}
		r := ref
		if !slices.ContainsFunc(rows, func(x *Row) bool { return x.Unit == r }) {
			r = ""
		}
		if err := Table(name, version, label, rows, r, Against(rows, r)).Render(w, reports.FormatMarkdown); err != nil {
			return err
		}
		if reproduction {
			if err := writeReproduction(w, dir, name, rows); err != nil {
				return err
			}
		}
		sts, err := GenotypeStability(rows)
		if err != nil {
			return err
		}
		for _, st := range sts {
			fmt.Fprintln(w)
			if err := StabilityTable(st).Render(w, reports.FormatMarkdown); err != nil {
				return err
			}
		}
		if curves := Curves(rows); len(curves) > 0 {
			fmt.Fprintln(w)
			if err := CurvesTable(name, version, label, curves, Contrasts(curves)).Render(w, reports.FormatMarkdown); err != nil {
				return err
			}
			if _, err := os.Stat(filepath.Join(path, "figure4.svg")); err == nil {
				fmt.Fprintf(w, "\n![Figure 4, %s](%s/figure4.svg)\n", name, link)
			}
		}
	}
	return nil
}

// writeReproduction prints the Reproduction table of suite name's rows,
// its units read from the shipped suite file (sourceSuite).
func writeReproduction(w io.Writer, dir, name string, rows []*Row) error {
	s, ok, err := sourceSuite(dir, name)
	if err != nil {
		return fmt.Errorf("reproduction table of %s: %w", name, err)
	}
	if !ok {
		return nil
	}
	others, err := reports.ReadRecordSet(dir)
	if err != nil {
		return fmt.Errorf("reproduction table of %s: %w", name, err)
	}
	var recs []*reports.Record
	for _, r := range others.All() {
		recs = append(recs, &r)
	}
	t, err := ReproductionTable(s, rows, recs)
	if err != nil {
		return fmt.Errorf("reproduction table of %s: %w", name, err)
	}
	fmt.Fprintln(w)
	return t.Render(w, reports.FormatMarkdown)
}
