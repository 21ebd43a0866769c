package cli

import (
	"runtime"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/metabench/metabench/internal/gemm"
	"github.com/metabench/metabench/reports"
)

// TestVersion: metabench version (and --version) prints this binary's Go
// version, platform and matrix path, and "unknown" for the commit of a test
// binary, which carries no VCS stamps; it takes no arguments and is listed
// in the usage text.
func TestVersion(t *testing.T) {
	for _, args := range [][]string{{"version"}, {"--version"}} {
		code, out, errOut := runCLI(args...)
		require.Equal(t, 0, code, errOut)
		assert.Empty(t, errOut)
		assert.True(t, strings.HasPrefix(out, "metabench "), out)
		for _, line := range []string{"commit:      unknown", "go:          " + runtime.Version(),
			"platform:    " + runtime.GOOS + "/" + runtime.GOARCH, "matrix path: " + gemm.Path()} {
			assert.Contains(t, out, line+"\n")
		}
	}
	code, _, errOut := runCLI("version", "extra")
	assert.Equal(t, 2, code)
	assert.Equal(t, "metabench version: unexpected argument \"extra\" (run `metabench version -h`)\n", errOut)
	code, _, errOut = runCLI("help")
	assert.Equal(t, 0, code)
	assert.Contains(t, errOut, "  version   print the module version")
}

// TestVersionText: a stamped binary prints its module version and its
// commit, marked when the tree was modified.
func TestVersionText(t *testing.T) {
	env := reports.Env{Module: "v0.0.0-20261207013311-f0c623adcde9+dirty", Commit: "f0c623adcde9bc15ed65d049a2ac6654160f264b",
		Modified: true, GoVersion: "go1.26.8", GOOS: "linux", GOARCH: "amd64", GemmPath: "simd-avx512"}
	assert.Equal(t, `metabench v0.0.0-20261207013311-f0c623adcde9+dirty
commit:      f0c623adcde9bc15ed65d049a2ac6654160f264b (modified)
go:          go1.26.8
platform:    linux/amd64
matrix path: simd-avx512
`, versionText(env))
}
