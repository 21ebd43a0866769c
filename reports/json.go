package reports

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/metabench/metabench/internal/atomicfile"
)

// Validate reports the first missing field that every stored or compared
// record needs.
func (r *Record) Validate() error {
	switch {
	case r == nil:
		return errors.New("reports: nil record")
	case r.RunID == "":
		return errors.New("reports: record has no run_id")
	case r.Kind == "":
		return fmt.Errorf("reports: record %s has no kind", r.RunID)
	case r.Method == "":
		return fmt.Errorf("reports: record %s has no method", r.RunID)
	}
	return nil
}

// MarshalRecord encodes r as indented JSON with a trailing newline.
func MarshalRecord(r *Record) ([]byte, error) {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("reports: encoding record %s: %w", r.RunID, err)
	}
	return append(b, '\n'), nil
}

// UnmarshalRecord decodes one record, rejecting unknown fields and a schema
// newer than SchemaVersion, and upgrades an older one (Upgrade).
func UnmarshalRecord(data []byte) (*Record, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var r Record
	if err := dec.Decode(&r); err != nil {
		return nil, fmt.Errorf("reports: decoding record: %w", err)
	}
	if r.Schema > SchemaVersion {
		return nil, fmt.Errorf("reports: record %s has schema %d, newer than this binary's %d", r.RunID, r.Schema, SchemaVersion)
	}
	Upgrade(&r)
	return &r, nil
}

// WriteJSON writes r to path atomically: the JSON goes to a temporary file in
// the same folder, is synced, and is renamed over path, so a reader never sees
// a half-written record. A record without a schema version gets SchemaVersion.
func WriteJSON(path string, r *Record) error {
	if r.Schema == 0 {
		cp := *r
		cp.Schema = SchemaVersion
		r = &cp
	}
	b, err := MarshalRecord(r)
	if err != nil {
		return err
	}
	if err := atomicfile.Write(path, b); err != nil {
		return fmt.Errorf("reports: %w", err)
	}
	return nil
}

// ReadJSON reads a record written by WriteJSON.
func ReadJSON(path string) (*Record, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reports: %w", err)
	}
	r, err := UnmarshalRecord(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return r, nil
}

// Portable returns a copy of r in which every absolute file path, whole
// string or embedded in one (in the dataset, the configuration, the extra
// fields and the environment alike), is replaced by its last element, so
// that the record names nothing of the machine it ran on and can be kept in
// a repository.
// The dataset's checksum still identifies the data.
func Portable(r *Record) (*Record, error) {
	b, err := MarshalRecord(r)
	if err != nil {
		return nil, err
	}
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		return nil, fmt.Errorf("reports: portable record: %w", err)
	}
	b, err = json.Marshal(stripPaths(v))
	if err != nil {
		return nil, fmt.Errorf("reports: portable record: %w", err)
	}
	return UnmarshalRecord(b)
}

// absPath is an absolute path inside a string: after its start, ':', '=',
// ',' or a space (a model name "genotype:/x/g.yaml,cells=5", an option
// "prior=/x"), up to a ',', ';', quote or space; not "//" (a URL).
var absPath = regexp.MustCompile(`(^|[:=, ])(/[^/,; "\n][^,; "\n]*)`)

func stripPaths(v any) any {
	switch x := v.(type) {
	case string:
		return absPath.ReplaceAllStringFunc(x, func(m string) string {
			i := strings.IndexByte(m, '/')
			return m[:i] + filepath.Base(m[i:])
		})
	case []any:
		for i := range x {
			x[i] = stripPaths(x[i])
		}
	case map[string]any:
		for k := range x {
			x[k] = stripPaths(x[k])
		}
	}
	return v
}
