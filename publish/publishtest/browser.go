package publishtest

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

// Environment of scripts/chromium.sh: ChromiumEnv names the Chromium binary
// it found or installed; ChromiumMissingEnv says why it found none.
const (
	ChromiumEnv        = "METABENCH_CHROMIUM"
	ChromiumMissingEnv = "METABENCH_CHROMIUM_MISSING"
)

// Chromium returns the path of a Chromium binary: $METABENCH_CHROMIUM
// (set by `bash scripts/chromium.sh COMMAND`, as `make test` runs the
// tests), else what scripts/chromium.sh prints (it finds Chromium, or
// installs Debian's chromium package when run as root). Without one the
// test is skipped with the reason, except under CI=true, where it fails.
func Chromium(t testing.TB) string {
	t.Helper()
	if p := os.Getenv(ChromiumEnv); p != "" {
		return p
	}
	why := os.Getenv(ChromiumMissingEnv)
	if why == "" {
		script := filepath.Join(repoRoot(), "scripts", "chromium.sh")
		var stdout, stderr bytes.Buffer
		cmd := exec.Command("bash", script)
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		if err := cmd.Run(); err == nil {
			if p := strings.TrimSpace(stdout.String()); p != "" {
				return p
			}
			why = "scripts/chromium.sh printed no path"
		} else {
			why = fmt.Sprintf("scripts/chromium.sh: %v: %s", err, strings.TrimSpace(stderr.String()))
		}
	}
	msg := "no headless Chromium for the browser test (" + why + "); as root, scripts/chromium.sh installs Debian's chromium package"
	if os.Getenv("CI") == "true" {
		t.Fatal(msg + "; CI=true requires it")
	}
	t.Skip(msg)
	return ""
}

// repoRoot is the module's root folder, found from this file's path.
func repoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..")
}

// Browser runs headless Chromium, one process per page, each with a
// profile folder of its own under Dir.
type Browser struct {
	Path string
	Dir  string
	// Timeout bounds one page (default 60 s).
	Timeout time.Duration
	n       int
}

// Page is what Chromium made of a page: the DOM after loading (and after
// any script ran) and every console message, uncaught errors included.
type Page struct {
	DOM     string
	Console []string
}

// flags are Chromium's flags for a quiet, sandbox-free (root in a
// container), network-free headless run that logs the console to stderr.
func (b *Browser) flags() []string {
	b.n++
	return []string{
		"--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic",
		"--no-first-run", "--no-default-browser-check", "--disable-background-networking",
		"--disable-component-update", "--disable-sync", "--disable-extensions", "--hide-scrollbars",
		"--user-data-dir=" + filepath.Join(b.Dir, fmt.Sprintf("profile-%d", b.n)),
		"--enable-logging=stderr", "--v=0",
	}
}

func (b *Browser) run(ctx context.Context, args ...string) (stdout, stderr string, err error) {
	timeout := b.Timeout
	if timeout == 0 {
		timeout = 60 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var o, e bytes.Buffer
	cmd := exec.CommandContext(ctx, b.Path, args...)
	cmd.Stdout, cmd.Stderr = &o, &e
	cmd.WaitDelay = 5 * time.Second
	if err := cmd.Run(); err != nil {
		return o.String(), e.String(), fmt.Errorf("%s %s: %w: %s", b.Path, args[len(args)-1], err, lastLines(e.String(), 5))
	}
	return o.String(), e.String(), nil
}

// Open loads the file at path and returns its DOM (--dump-dom) and its
// console messages.
func (b *Browser) Open(ctx context.Context, path string) (*Page, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, err
	}
	stdout, stderr, err := b.run(ctx, append(b.flags(), "--dump-dom", "file://"+abs)...)
	if err != nil {
		return nil, err
	}
	return &Page{DOM: stdout, Console: ConsoleLines(stderr)}, nil
}

// Screenshot writes a PNG of the page at path, w x h pixels, to png.
func (b *Browser) Screenshot(ctx context.Context, path, png string, w, h int) error {
	abs, err := filepath.Abs(path)
	if err != nil {
		return err
	}
	_, _, err = b.run(ctx, append(b.flags(), "--screenshot="+png, fmt.Sprintf("--window-size=%d,%d", w, h), "file://"+abs)...)
	if err != nil {
		return err
	}
	if fi, err := os.Stat(png); err != nil || fi.Size() == 0 {
		return fmt.Errorf("no screenshot written to %s", png)
	}
	return nil
}

// ConsoleLines picks the page's console messages out of Chromium's
// stderr log: with --enable-logging=stderr every console call, and every
// uncaught error, is logged as "[pid:tid:time:INFO:CONSOLE:line] "text",
// source: URL (line)" (older versions: "CONSOLE(line)"), whatever its
// level; the rest of the log (D-Bus, sandbox warnings) is the browser's own.
func ConsoleLines(stderr string) []string {
	var out []string
	for _, l := range strings.Split(stderr, "\n") {
		l = strings.TrimSpace(l)
		head, _, ok := strings.Cut(l, "] ")
		if (ok && strings.HasPrefix(head, "[") && strings.Contains(head, ":CONSOLE")) || strings.Contains(l, "Uncaught") {
			out = append(out, l)
		}
	}
	return out
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, " | ")
}
