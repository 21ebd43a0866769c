package cli

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
)

func TestDatasetsInfo(t *testing.T) {
	code, out, errs := epRun("datasets", "info", "default")
	if code != 0 {
		t.Fatal(errs)
	}
	for _, w := range []string{"omniglot-npz", "classes:   964", "min 20, max 20", "1x28x28", "groups:    30", "Greek (24)"} {
		if !strings.Contains(out, w) {
			t.Fatalf("output lacks %q:\n%s", w, out)
		}
	}
	code, out, errs = epRun("datasets", "info", "--format", "json", "embedded:omniglot")
	if code != 0 {
		t.Fatal(errs)
	}
	var in struct {
		Format  string   `json:"format"`
		Classes int      `json:"classes"`
		Height  int      `json:"height"`
		Groups  []string `json:"groups"`
	}
	if err := json.Unmarshal([]byte(out), &in); err != nil || in.Classes != 964 || in.Height != 28 || len(in.Groups) != 30 {
		t.Fatalf("%+v %v", in, err)
	}
}

func TestDatasetsInfoShared(t *testing.T) {
	dir := epSharedDir(t, "cifar10-subset")
	code, out, errs := epRun("datasets", "info", dir, "--subset", "test")
	if code != 0 || !strings.Contains(out, "cifar-png") || !strings.Contains(out, "3x32x32") || !strings.Contains(out, "images:    1000") {
		t.Fatalf("exit %d: %s %s", code, out, errs)
	}
	zip := filepath.Join(epSharedDir(t, "omniglot"), "images_background_small1.zip")
	code, out, errs = epRun("datasets", "info", zip)
	if code != 0 || !strings.Contains(out, "omniglot-zip") || !strings.Contains(out, "classes:   136") {
		t.Fatalf("exit %d: %s %s", code, out, errs)
	}
}

func TestDatasetsBadInputs(t *testing.T) {
	dir := t.TempDir()
	cases := []struct {
		args []string
		code int
		want []string
	}{
		{[]string{"info", filepath.Join(dir, "nope")}, 1, []string{"nope"}},
		{[]string{"info", dir}, 1, []string{dir, "not recognised"}},
		{[]string{"info"}, 2, []string{"one PATH"}},
		{[]string{"info", "--bogus", "default"}, 2, []string{"-bogus"}},
		{[]string{"list"}, 2, []string{"unknown action"}},
		{[]string{"info", "--format", "yaml", "default"}, 2, []string{"--format"}},
		{[]string{"info", "svhn:" + filepath.Join(dir, "x.mat")}, 1, []string{"x.mat"}},
	}
	for _, c := range cases {
		code, _, errs := epRun(append([]string{"datasets"}, c.args...)...)
		if code != c.code {
			t.Fatalf("%v: exit %d, want %d (%s)", c.args, code, c.code, errs)
		}
		epCheckOneLine(t, errs, c.want...)
	}
}
