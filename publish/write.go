package publish

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// CheckOut says whether Write may write a site to dir: dir is missing, an
// empty folder, or a folder holding MarkerFile (a site written before, which
// Write replaces whole). A file, or a folder with anything else in it, is
// refused.
func CheckOut(dir string) error {
	fi, err := os.Lstat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil
	case err != nil:
		return fmt.Errorf("site folder %s: %w", dir, err)
	case !fi.IsDir():
		return fmt.Errorf("site folder %s exists and is not a folder", dir)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("site folder %s: %w", dir, err)
	}
	if len(entries) == 0 {
		return nil
	}
	if _, err := os.Lstat(filepath.Join(dir, MarkerFile)); err != nil {
		return fmt.Errorf("site folder %s is a folder that holds no site of metabench publish (no %s): refusing to replace it", dir, MarkerFile)
	}
	return nil
}

// Write puts files (flat names) into dir as a whole: it writes them into a
// new temporary folder beside dir, then renames that folder to dir (a
// previous site, see CheckOut, is first moved aside and then removed). On
// any error nothing is left: dir is as it was.
func Write(dir string, files map[string][]byte) (err error) {
	if err := CheckOut(dir); err != nil {
		return err
	}
	dir = filepath.Clean(dir)
	parent, base := filepath.Split(dir)
	if parent == "" {
		parent = "."
	}
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return fmt.Errorf("site folder %s: %w", dir, err)
	}
	tmp, err := os.MkdirTemp(parent, "."+base+".tmp-")
	if err != nil {
		return fmt.Errorf("site folder %s: a temporary folder: %w", dir, err)
	}
	defer func() {
		if err != nil {
			os.RemoveAll(tmp)
		}
	}()
	if err := os.Chmod(tmp, 0o755); err != nil {
		return fmt.Errorf("site folder %s: %w", dir, err)
	}
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		if n == "" || strings.ContainsAny(n, `/\`) || n == "." || n == ".." {
			return fmt.Errorf("site folder %s: bad file name %q", dir, n)
		}
		if err := os.WriteFile(filepath.Join(tmp, n), files[n], 0o644); err != nil {
			return fmt.Errorf("site folder %s: writing %s: %w", dir, n, err)
		}
	}
	if _, statErr := os.Lstat(dir); statErr != nil {
		if err := os.Rename(tmp, dir); err != nil {
			return fmt.Errorf("site folder %s: %w", dir, err)
		}
		return nil
	}
	// a previous site (or an empty folder): move it aside, put the new one
	// in place, then remove the old one
	old, err := os.MkdirTemp(parent, "."+base+".old-")
	if err != nil {
		return fmt.Errorf("site folder %s: a temporary folder: %w", dir, err)
	}
	if err := os.Remove(old); err != nil {
		return fmt.Errorf("site folder %s: %w", dir, err)
	}
	if err := os.Rename(dir, old); err != nil {
		return fmt.Errorf("site folder %s: moving the previous site aside: %w", dir, err)
	}
	if err := os.Rename(tmp, dir); err != nil {
		if back := os.Rename(old, dir); back != nil {
			return fmt.Errorf("site folder %s: %w (and putting the previous site back: %v; it is in %s)", dir, err, back, old)
		}
		return fmt.Errorf("site folder %s: %w", dir, err)
	}
	if err := os.RemoveAll(old); err != nil {
		return fmt.Errorf("site folder %s: removing the previous site %s: %w", dir, old, err)
	}
	return nil
}
