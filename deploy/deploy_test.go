package deploy

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/yaml"

	"github.com/metabench/metabench/internal/cli"
)

// The shard contract of `metabench suite`: --shard i/n, or, without the
// flag, i from the variable Kubernetes sets in an Indexed Job's pods and n
// from METABENCH_SHARDS.
const (
	indexEnv  = "JOB_COMPLETION_INDEX"
	shardsEnv = "METABENCH_SHARDS"
	// imageRoot is where the image puts the repository's benchmarks/.
	imageRoot = "/opt/metabench/"
)

// readStrict decodes a manifest into out, refusing fields that the
// Kubernetes API type does not have (a misspelt key would otherwise be
// dropped silently, as the API server does with unknown fields).
func readStrict(t *testing.T, path string, out any) {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	require.NoError(t, yaml.UnmarshalStrict(b, out), path)
}

func job(t *testing.T) *batchv1.Job {
	t.Helper()
	var j batchv1.Job
	readStrict(t, "job.yaml", &j)
	require.Equal(t, "batch/v1", j.APIVersion)
	require.Equal(t, "Job", j.Kind)
	return &j
}

func envOf(c corev1.Container) map[string]corev1.EnvVar {
	m := map[string]corev1.EnvVar{}
	for _, e := range c.Env {
		m[e.Name] = e
	}
	return m
}

// expand resolves Kubernetes' $(VAR) references in s against env, as the
// kubelet does for a container's command and args; unresolved references
// are an error.
func expand(t *testing.T, s string, env map[string]corev1.EnvVar, secrets map[string]string) string {
	t.Helper()
	return regexp.MustCompile(`\$\(([A-Za-z_][A-Za-z0-9_]*)\)`).ReplaceAllStringFunc(s, func(ref string) string {
		name := ref[2 : len(ref)-1]
		e, ok := env[name]
		require.True(t, ok, "%s refers to %s, which the container does not define", s, name)
		if e.ValueFrom != nil && e.ValueFrom.SecretKeyRef != nil {
			v, ok := secrets[e.ValueFrom.SecretKeyRef.Name+"/"+e.ValueFrom.SecretKeyRef.Key]
			require.True(t, ok, "secret %s key %s not in secret.example.yaml", e.ValueFrom.SecretKeyRef.Name, e.ValueFrom.SecretKeyRef.Key)
			return v
		}
		return e.Value
	})
}

func TestJobIsAnIndexedSuiteWithShardsAndSecret(t *testing.T) {
	j := job(t)
	require.NotNil(t, j.Spec.CompletionMode)
	assert.Equal(t, batchv1.IndexedCompletion, *j.Spec.CompletionMode)
	require.NotNil(t, j.Spec.Completions)
	n := int(*j.Spec.Completions)
	require.Positive(t, n)
	require.NotNil(t, j.Spec.Parallelism)
	assert.LessOrEqual(t, int(*j.Spec.Parallelism), n)
	assert.Equal(t, corev1.RestartPolicyNever, j.Spec.Template.Spec.RestartPolicy)
	require.Len(t, j.Spec.Template.Spec.Containers, 1)
	c := j.Spec.Template.Spec.Containers[0]
	env := envOf(c)

	// Shards: Kubernetes sets the index; the count must equal completions.
	_, overridden := env[indexEnv]
	assert.False(t, overridden, "%s is set by Kubernetes in an Indexed Job; do not override it", indexEnv)
	assert.Equal(t, strconv.Itoa(n), env[shardsEnv].Value, "%s must equal spec.completions", shardsEnv)

	// The DSN comes from the Secret, never from the manifest itself.
	store := env[cli.StoreEnv]
	require.NotNil(t, store.ValueFrom, "the store DSN must come from a Secret")
	require.NotNil(t, store.ValueFrom.SecretKeyRef)
	assert.Empty(t, store.Value)
	var secret corev1.Secret
	readStrict(t, "secret.example.yaml", &secret)
	assert.Equal(t, secret.Name, store.ValueFrom.SecretKeyRef.Name)
	dsn, ok := secret.StringData[store.ValueFrom.SecretKeyRef.Key]
	require.True(t, ok)
	assert.True(t, strings.HasPrefix(dsn, "postgres://"), dsn)

	// The command: metabench suite FILE --store $(METABENCH_STORE), FILE
	// shipped in the image from benchmarks/suites/.
	argv := append(append([]string{}, c.Command...), c.Args...)
	require.GreaterOrEqual(t, len(argv), 5, argv)
	assert.Equal(t, []string{"metabench", "suite"}, argv[:2])
	assert.Equal(t, []string{"--store", "$(" + cli.StoreEnv + ")"}, argv[3:5])
	secrets := map[string]string{secret.Name + "/" + store.ValueFrom.SecretKeyRef.Key: dsn}
	for i := range argv {
		argv[i] = expand(t, argv[i], env, secrets)
	}
	assert.Equal(t, dsn, argv[4])
	suiteFile := argv[2]
	require.True(t, strings.HasPrefix(suiteFile, imageRoot+"benchmarks/suites/"), suiteFile)
	local := filepath.Join("..", strings.TrimPrefix(suiteFile, imageRoot))

	// Resources: requests and a memory limit, the limit above the request.
	req, lim := c.Resources.Requests, c.Resources.Limits
	require.False(t, req.Cpu().IsZero(), "cpu request")
	require.False(t, req.Memory().IsZero(), "memory request")
	require.False(t, lim.Memory().IsZero(), "memory limit")
	assert.GreaterOrEqual(t, lim.Memory().Cmp(*req.Memory()), 0)

	t.Run("the CLI accepts the command", func(t *testing.T) {
		var out, errOut bytes.Buffer
		code := cli.Run([]string{"suite", "-h"}, &out, &errOut)
		if code == 2 && strings.Contains(errOut.String(), "unknown command") {
			t.Skipf("`metabench suite` is not registered on this branch (it lands with the suite "+
				"work); checked so far: command shape, suite path %s, shard variables, DSN from the Secret", local)
		}
		require.Equal(t, 0, code, errOut.String())
		usage := errOut.String() + out.String()
		assert.Contains(t, usage, "--store")
		assert.Contains(t, usage, "--shard")
		assert.FileExists(t, local, "the Job's suite file")
	})
}

func TestDockerfileBuildsTheOpenBLASBinary(t *testing.T) {
	b, err := os.ReadFile("Dockerfile")
	require.NoError(t, err)
	df := string(b)
	froms := regexp.MustCompile(`(?m)^FROM\s+(\S+)(?:\s+AS\s+(\S+))?`).FindAllStringSubmatch(df, -1)
	require.Len(t, froms, 2, "a build stage and a run stage")
	assert.Equal(t, []string{"${GO_IMAGE}", "build"}, froms[0][1:])
	assert.Equal(t, "${RUN_IMAGE}", froms[1][1])
	assert.Contains(t, df, "ARG GO_IMAGE=golang:1.26-bookworm")
	assert.Contains(t, df, "ARG RUN_IMAGE=debian:bookworm-slim")
	assert.Contains(t, df, "COPY --from=build /out/metabench /usr/local/bin/metabench")
	assert.Regexp(t, `go build -tags openblas [^\n]*-o /out/metabench \./cmd/metabench`, df)
	assert.Contains(t, df, "libopenblas-dev")
	assert.Contains(t, df, "libopenblas0")
	assert.Contains(t, df, `ENTRYPOINT ["metabench"]`)
	assert.Regexp(t, `(?m)^USER 10001$`, df)
	assert.Contains(t, df, "COPY benchmarks "+imageRoot+"benchmarks", "the Job's suite files are in the image")
	assert.Equal(t, int64(10001), *job(t).Spec.Template.Spec.SecurityContext.RunAsUser)
}

// builder is the first container builder found on PATH.
func builder() string {
	for _, b := range []string{"podman", "buildah", "docker"} {
		if p, err := exec.LookPath(b); err == nil {
			return p
		}
	}
	return ""
}

// TestImageBuilds builds the image when asked to (METABENCH_IMAGE_BUILD=1:
// it takes minutes and needs the base images) and a builder is on PATH;
// METABENCH_GO_IMAGE and METABENCH_RUN_IMAGE name local base images (see
// base-images.sh). podman and buildah build with chroot isolation, which
// works where their default runtime cannot create containers (no cgroups).
// It then runs the image's binary in a container built FROM the image.
func TestImageBuilds(t *testing.T) {
	if os.Getenv("METABENCH_IMAGE_BUILD") != "1" {
		t.Skip("set METABENCH_IMAGE_BUILD=1 to build the image (minutes; needs podman, buildah or docker and the golang and debian base images)")
	}
	b := builder()
	if b == "" {
		t.Skip("no container builder here: none of podman, buildah or docker is on PATH")
	}
	build := func(file, tag string, extra ...string) {
		t.Helper()
		args := []string{"build", "-f", file, "-t", tag}
		switch filepath.Base(b) {
		case "buildah":
			args[0] = "bud"
			fallthrough
		case "podman":
			args = append(args, "--isolation", "chroot", "--ignorefile", "deploy/Dockerfile.dockerignore")
		}
		for _, a := range []struct{ arg, env string }{{"GO_IMAGE", "METABENCH_GO_IMAGE"}, {"RUN_IMAGE", "METABENCH_RUN_IMAGE"}} {
			if v := os.Getenv(a.env); v != "" {
				args = append(args, "--build-arg", a.arg+"="+v)
			}
		}
		args = append(append(args, extra...), ".")
		cmd := exec.Command(b, args...)
		cmd.Dir = ".."
		start := time.Now()
		out, err := cmd.CombinedOutput()
		require.NoError(t, err, "%s %s:\n%s", b, strings.Join(args, " "), out)
		t.Logf("%s %s: %v", filepath.Base(b), strings.Join(args, " "), time.Since(start).Round(time.Second))
	}
	build("deploy/Dockerfile", "localhost/metabench:test")
	// Run the binary inside the image: a build step of an image FROM it
	// (works with chroot isolation, where `run` needs cgroups).
	probe := filepath.Join(t.TempDir(), "Containerfile")
	require.NoError(t, os.WriteFile(probe, []byte("FROM localhost/metabench:test\n"+
		"RUN metabench help 2>&1 | grep -q 'store ' && ldd /usr/local/bin/metabench | grep -q libopenblas && echo image-ok\n"), 0o644))
	build(probe, "localhost/metabench-probe:test")
}
