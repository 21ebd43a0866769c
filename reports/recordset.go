package reports

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// NamedRecord is a record read from a JSON file, with the file's base name.
type NamedRecord struct {
	Name   string
	Record Record
}

// NamedCrossVals is a saved cross-validation summary (the output of
// `metabench report --crossval --format json`) read from a JSON file, with
// the file's base name.
type NamedCrossVals struct {
	Name      string
	CrossVals []CrossVal
}

// RecordSet is what a folder of JSON files holds: run records, saved
// cross-validation summaries, and the names of the .json files that are
// neither.
type RecordSet struct {
	Records   []NamedRecord    // by start time, then file name
	CrossVals []NamedCrossVals // by file name
	Skipped   []string         // by file name
}

// All returns the records of s, in the order of s.Records.
func (s *RecordSet) All() []Record {
	out := make([]Record, len(s.Records))
	for i := range s.Records {
		out[i] = s.Records[i].Record
	}
	return out
}

// RecordSetOf is the set of records that were not read from files (a
// store's), in their order, each named by its run id.
func RecordSetOf(recs []Record) *RecordSet {
	s := &RecordSet{}
	for _, r := range recs {
		s.Records = append(s.Records, NamedRecord{Name: r.RunID, Record: r})
	}
	return s
}

// ReadRecordSet reads path: a folder, whose *.json files (not those of its
// subfolders) are read, or one JSON file. A JSON object is decoded as a
// Record and a JSON array as a list of CrossVal, both strictly (an unknown
// field makes the file neither); a file that is neither is listed in
// Skipped. Other files are ignored. Only base names are kept, so nothing
// computed from the set depends on where the folder is.
func ReadRecordSet(path string) (*RecordSet, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("reports: records: %w", err)
	}
	files := []string{path}
	if fi.IsDir() {
		entries, err := os.ReadDir(path)
		if err != nil {
			return nil, fmt.Errorf("reports: records: %w", err)
		}
		files = files[:0]
		for _, e := range entries {
			if !e.IsDir() && strings.HasSuffix(e.Name(), ".json") {
				files = append(files, filepath.Join(path, e.Name()))
			}
		}
	}
	s := &RecordSet{}
	for _, f := range files { // os.ReadDir sorts by name
		data, err := os.ReadFile(f)
		if err != nil {
			return nil, fmt.Errorf("reports: records: %w", err)
		}
		name := filepath.Base(f)
		switch trimmed := bytes.TrimSpace(data); {
		case len(trimmed) > 0 && trimmed[0] == '{':
			r, err := UnmarshalRecord(trimmed)
			if err != nil || r.Validate() != nil {
				s.Skipped = append(s.Skipped, name)
				continue
			}
			s.Records = append(s.Records, NamedRecord{Name: name, Record: *r})
		case len(trimmed) > 0 && trimmed[0] == '[':
			dec := json.NewDecoder(bytes.NewReader(trimmed))
			dec.DisallowUnknownFields()
			var cvs []CrossVal
			if err := dec.Decode(&cvs); err != nil || len(cvs) == 0 {
				s.Skipped = append(s.Skipped, name)
				continue
			}
			s.CrossVals = append(s.CrossVals, NamedCrossVals{Name: name, CrossVals: cvs})
		default:
			s.Skipped = append(s.Skipped, name)
		}
	}
	sort.SliceStable(s.Records, func(i, j int) bool {
		return s.Records[i].Record.Started.Before(s.Records[j].Record.Started)
	})
	return s, nil
}

// CrossValSource is a cross-validation with where it came from: Source is
// "" when it was computed from records, else the name of the file that
// saved it.
type CrossValSource struct {
	CrossVal
	Source string
}

// CrossValidations returns the cross-validations computed from the records
// of s (CrossValidate), then the saved ones whose folds are not all among
// the records' runs: a summary is recomputed whenever its fold records are
// at hand and taken as saved only when they are not.
func (s *RecordSet) CrossValidations() ([]CrossValSource, error) {
	computed, err := CrossValidate(s.All())
	if err != nil {
		return nil, err
	}
	out := make([]CrossValSource, 0, len(computed))
	for _, cv := range computed {
		out = append(out, CrossValSource{CrossVal: cv})
	}
	have := map[string]bool{}
	for i := range s.Records {
		have[s.Records[i].Record.RunID] = true
	}
	for _, f := range s.CrossVals {
		for _, cv := range f.CrossVals {
			covered := len(cv.Folds) > 0
			for _, fold := range cv.Folds {
				covered = covered && have[fold.RunID]
			}
			if !covered {
				out = append(out, CrossValSource{CrossVal: cv, Source: f.Name})
			}
		}
	}
	return out, nil
}
