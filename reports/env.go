package reports

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"hash/fnv"
	"os"
	"runtime"
	"runtime/debug"
	"strings"
	"time"
)

// NewEnv describes the running binary and machine: the code's identity from
// the build information (readBuild), Go version, OS and architecture, CPU
// count and model (from /proc/cpuinfo where it exists) and host name. Fields
// it cannot find are left empty; GemmPath is for the caller to fill.
func NewEnv() Env {
	host, _ := os.Hostname()
	e := Env{
		GoVersion: runtime.Version(),
		GOOS:      runtime.GOOS,
		GOARCH:    runtime.GOARCH,
		CPUs:      runtime.NumCPU(),
		Host:      host,
		CPUModel:  cpuModel("/proc/cpuinfo"),
	}
	if bi, ok := debug.ReadBuildInfo(); ok {
		e.readBuild(bi)
	}
	return e
}

// readBuild sets Module, Commit and Modified from a binary's build
// information: the main module's version and the vcs.revision and
// vcs.modified settings that `go build` stamps in a git checkout. Without
// them (go run, go test, -buildvcs=false) Commit stays empty: the code is
// then unknown, rather than guessed from whatever checkout the run starts
// in.
func (e *Env) readBuild(bi *debug.BuildInfo) {
	e.Module = bi.Main.Version
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			e.Commit = s.Value
		case "vcs.modified":
			e.Modified = s.Value == "true"
		}
	}
}

// cpuModel returns the first "model name" of a /proc/cpuinfo-style file, or ""
func cpuModel(path string) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// NewRunID returns "kind-method-YYYYMMDDTHHMMSSZ-xxxxxxxx": the start time in
// UTC and eight hex digits of an FNV-1a hash of (kind, method, t in
// nanoseconds, seed, process id). It is deterministic for one process and
// distinct across runs started at different instants or with different seeds;
// the store rejects a duplicate run id rather than overwriting.
func NewRunID(kind, method string, t time.Time, seed int64) string {
	h := fnv.New64a()
	var buf [8]byte
	h.Write([]byte(kind))
	h.Write([]byte{0})
	h.Write([]byte(method))
	h.Write([]byte{0})
	binary.LittleEndian.PutUint64(buf[:], uint64(t.UnixNano()))
	h.Write(buf[:])
	binary.LittleEndian.PutUint64(buf[:], uint64(seed))
	h.Write(buf[:])
	binary.LittleEndian.PutUint64(buf[:], uint64(os.Getpid()))
	h.Write(buf[:])
	return fmt.Sprintf("%s-%s-%s-%08x", kind, method, t.UTC().Format("20060102T150405Z"), uint32(h.Sum64()))
}
