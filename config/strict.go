package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"

	"gopkg.in/yaml.v3"
)

// decodeStrict decodes b onto dst (pre-filled with defaults) with unknown
// keys rejected and the version checked first.
func decodeStrict(b []byte, dst any) error { return decodeStrictRenamed(b, dst, nil) }

// decodeStrictRenamed is decodeStrict with yaml's messages passed through
// rename first (blockDoc), when it is set.
func decodeStrictRenamed(b []byte, dst any, rename func(string) string) error {
	if len(bytes.TrimSpace(b)) == 0 {
		return errors.New("empty experiment file")
	}
	var head struct {
		Version *int `yaml:"version"`
	}
	if err := yaml.Unmarshal(b, &head); err != nil {
		return YAMLError(err)
	}
	if head.Version == nil {
		return errors.New("version: missing (this binary reads version 1)")
	}
	if *head.Version != Version {
		return fmt.Errorf("version: %d is not supported (this binary reads version %d)", *head.Version, Version)
	}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(dst); err != nil {
		if errors.Is(err, io.EOF) {
			return errors.New("empty experiment file")
		}
		var te *yaml.TypeError
		if rename != nil && errors.As(err, &te) {
			for i, m := range te.Errors {
				te.Errors[i] = rename(m)
			}
		}
		return YAMLError(err)
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		return errors.New("more than one YAML document")
	}
	return nil
}

// setPath applies "key=value" to the struct *root (dotted YAML path).
func setPath(root any, kv string) error {
	key, val, ok := strings.Cut(kv, "=")
	key = strings.TrimSpace(key)
	if !ok || key == "" {
		return fmt.Errorf("override %q: want key=value", kv)
	}
	return setAt(root, key, key, val)
}

// setAt decodes val as YAML into the field of *root at the dotted YAML path;
// errors name the field as key (the path as the user wrote it).
func setAt(root any, key, path, val string) error {
	f, err := fieldByPath(reflect.ValueOf(root).Elem(), path)
	if err != nil {
		return fmt.Errorf("override %s: %w", key, err)
	}
	if f.Kind() == reflect.Struct && f.Type() != reflect.TypeOf(Duration{}) {
		return fmt.Errorf("override %s: is a section; set one of its keys (%s)", key, strings.Join(yamlKeys(f.Type()), ", "))
	}
	nv := reflect.New(f.Type())
	if err := yaml.Unmarshal([]byte(val), nv.Interface()); err != nil {
		return fmt.Errorf("override %s=%s: %v", key, val, YAMLError(err))
	}
	f.Set(nv.Elem())
	return nil
}

func toMap(v any) map[string]any {
	b, err := yaml.Marshal(v)
	if err != nil {
		return nil
	}
	var m map[string]any
	if err := yaml.Unmarshal(b, &m); err != nil {
		return nil
	}
	return m
}

// fieldCheck is one check of a Validate: the field it names, and the
// message when bad holds.
type fieldCheck struct {
	bad   bool
	field string
	msg   string
}

// firstBad is the error of the first failed check, or nil.
func firstBad(checks []fieldCheck) error {
	for _, k := range checks {
		if k.bad {
			return fmt.Errorf("%s: %s", k.field, k.msg)
		}
	}
	return nil
}
