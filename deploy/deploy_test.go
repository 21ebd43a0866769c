package deploy

import (
	"bytes"
	"fmt"
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
	"github.com/metabench/metabench/store"
	"github.com/metabench/metabench/store/storetest"
)

// The shard contract of `metabench suite`: --shard i/n, or, without the
// flag, i from the variable Kubernetes sets in an Indexed Job's pods and n
// from METABENCH_SHARDS: the names the command itself reads.
const (
	indexEnv  = cli.ShardIndexEnv
	shardsEnv = cli.ShardCountEnv
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

func envOf(c corev1.Container) map[string]corev1.EnvVar {
	m := map[string]corev1.EnvVar{}
	for _, e := range c.Env {
		m[e.Name] = e
	}
	return m
}

var varRef = regexp.MustCompile(`\$\(([A-Za-z_][A-Za-z0-9_]*)\)`)

// suiteJob is what checkJob learnt of a valid suite Job.
type suiteJob struct {
	argv      []string // the command line, $(VAR) expanded (the DSN from the Secret)
	suiteFile string   // the suite file, relative to the repository root
}

// checkJob lists what is wrong with j as a suite Job whose DSN comes from
// secret, and returns what it runs.
func checkJob(j *batchv1.Job, secret *corev1.Secret) (suiteJob, []string) {
	var sj suiteJob
	var bad []string
	fail := func(format string, args ...any) { bad = append(bad, fmt.Sprintf(format, args...)) }
	if j.APIVersion != "batch/v1" || j.Kind != "Job" {
		fail("not a batch/v1 Job: %s %s", j.APIVersion, j.Kind)
	}
	spec := j.Spec
	if spec.CompletionMode == nil || *spec.CompletionMode != batchv1.IndexedCompletion {
		fail("completionMode must be Indexed")
	}
	n := 0
	if spec.Completions == nil || *spec.Completions < 1 {
		fail("completions must be set (the number of shards)")
	} else {
		n = int(*spec.Completions)
	}
	if spec.Parallelism != nil && int(*spec.Parallelism) > n {
		fail("parallelism %d exceeds completions %d", *spec.Parallelism, n)
	}
	if spec.Template.Spec.RestartPolicy != corev1.RestartPolicyNever {
		fail("restartPolicy must be Never (a failed shard is retried as a new pod, per index)")
	}
	if len(spec.Template.Spec.Containers) != 1 {
		fail("want one container, got %d", len(spec.Template.Spec.Containers))
		return sj, bad
	}
	c := spec.Template.Spec.Containers[0]
	env := envOf(c)

	// Shards: Kubernetes sets the index; the count must equal completions.
	if _, ok := env[indexEnv]; ok {
		fail("%s is set by Kubernetes in an Indexed Job; the manifest must not override it", indexEnv)
	}
	if env[shardsEnv].Value != strconv.Itoa(n) {
		fail("%s=%q must equal completions %d", shardsEnv, env[shardsEnv].Value, n)
	}

	// The DSN comes from the Secret, never from the manifest itself.
	store := env[cli.StoreEnv]
	ref := (*corev1.SecretKeySelector)(nil)
	if store.ValueFrom != nil {
		ref = store.ValueFrom.SecretKeyRef
	}
	dsn := ""
	switch {
	case store.Value != "" || ref == nil:
		fail("%s must come from a Secret (valueFrom.secretKeyRef), not a literal", cli.StoreEnv)
	case ref.Name != secret.Name:
		fail("%s reads Secret %q, the Secret is %q", cli.StoreEnv, ref.Name, secret.Name)
	default:
		dsn = secret.StringData[ref.Key]
		if !strings.HasPrefix(dsn, "postgres://") {
			fail("Secret %s has no postgres:// DSN under key %q", secret.Name, ref.Key)
		}
	}

	// The command: metabench suite FILE --store $(METABENCH_STORE), FILE
	// shipped in the image from benchmarks/suites/.
	raw := append(append([]string{}, c.Command...), c.Args...)
	if len(raw) < 5 || raw[0] != "metabench" || raw[1] != "suite" || raw[3] != "--store" || raw[4] != "$("+cli.StoreEnv+")" {
		fail("command %q is not: metabench suite FILE --store $(%s) ...", raw, cli.StoreEnv)
		return sj, bad
	}
	for _, a := range raw {
		a = varRef.ReplaceAllStringFunc(a, func(r string) string {
			name := r[2 : len(r)-1]
			e, ok := env[name]
			switch {
			case !ok:
				fail("%s refers to %s, which the container does not define", a, name)
			case name == cli.StoreEnv:
				return dsn
			}
			return e.Value
		})
		sj.argv = append(sj.argv, a)
	}
	if !strings.HasPrefix(raw[2], imageRoot+"benchmarks/suites/") {
		fail("suite file %s is not one the image ships under %sbenchmarks/suites/", raw[2], imageRoot)
	}
	sj.suiteFile = strings.TrimPrefix(raw[2], imageRoot)

	// Resources: a cpu and memory request and a memory limit above it.
	req, lim := c.Resources.Requests, c.Resources.Limits
	switch {
	case req.Cpu().IsZero() || req.Memory().IsZero():
		fail("cpu and memory requests must be set")
	case lim.Memory().IsZero():
		fail("a memory limit must be set")
	case lim.Memory().Cmp(*req.Memory()) < 0:
		fail("memory limit %s below the request %s", lim.Memory(), req.Memory())
	}
	return sj, bad
}

func shipped(t *testing.T) (*batchv1.Job, *corev1.Secret) {
	t.Helper()
	var j batchv1.Job
	readStrict(t, "job.yaml", &j)
	var secret corev1.Secret
	readStrict(t, "secret.example.yaml", &secret)
	return &j, &secret
}

func TestJobIsAnIndexedSuiteWithShardsAndSecret(t *testing.T) {
	j, secret := shipped(t)
	sj, bad := checkJob(j, secret)
	require.Empty(t, bad)
	assert.Equal(t, secret.StringData["dsn"], sj.argv[4], "the DSN reaches --store")

	t.Run("the CLI accepts the command", func(t *testing.T) {
		var out, errOut bytes.Buffer
		code := cli.Run([]string{"suite", "-h"}, &out, &errOut)
		if code == 2 && strings.Contains(errOut.String(), "unknown command") {
			t.Skipf("`metabench suite` is not registered on this branch (it lands with the suite "+
				"work); checked so far: command shape, suite path %s, shard variables, DSN from the Secret", sj.suiteFile)
		}
		require.Equal(t, 0, code, errOut.String())
		usage := errOut.String() + out.String()
		assert.Contains(t, usage, "--store")
		assert.Contains(t, usage, "--shard")
		assert.FileExists(t, filepath.Join("..", sj.suiteFile), "the Job's suite file")

		// The Job's own command line, as the last pod runs it (its shard
		// variables set as the manifest and Kubernetes set them), gets
		// through flag, suite-file and shard parsing: it stops only at the
		// store, here a file that is not a results store.
		notOurs := filepath.Join(t.TempDir(), "not-a-store")
		require.NoError(t, os.WriteFile(notOurs, []byte("plain text"), 0o644))
		n := int(*j.Spec.Completions)
		t.Setenv(cli.ShardIndexEnv, fmt.Sprint(n-1))
		t.Setenv(cli.ShardCountEnv, fmt.Sprint(n))
		args := append([]string(nil), sj.argv[1:]...)
		args[1] = filepath.Join("..", sj.suiteFile)
		args[3] = notOurs
		out.Reset()
		errOut.Reset()
		code = cli.Run(args, &out, &errOut)
		assert.Equal(t, 2, code, errOut.String())
		assert.Contains(t, errOut.String(), "store "+notOurs, "the command got as far as opening the store")
	})
}

// TestCheckJobCatchesMistakes breaks the shipped Job one way at a time.
func TestCheckJobCatchesMistakes(t *testing.T) {
	for name, breakIt := range map[string]func(j *batchv1.Job, s *corev1.Secret){
		"not indexed":           func(j *batchv1.Job, _ *corev1.Secret) { m := batchv1.NonIndexedCompletion; j.Spec.CompletionMode = &m },
		"shards != completions": func(j *batchv1.Job, _ *corev1.Secret) { *j.Spec.Completions = 7 },
		"index overridden": func(j *batchv1.Job, _ *corev1.Secret) {
			c := &j.Spec.Template.Spec.Containers[0]
			c.Env = append(c.Env, corev1.EnvVar{Name: indexEnv, Value: "0"})
		},
		"DSN literal": func(j *batchv1.Job, s *corev1.Secret) {
			c := &j.Spec.Template.Spec.Containers[0]
			for i := range c.Env {
				if c.Env[i].Name == cli.StoreEnv {
					c.Env[i] = corev1.EnvVar{Name: cli.StoreEnv, Value: s.StringData["dsn"]}
				}
			}
		},
		"other secret": func(_ *batchv1.Job, s *corev1.Secret) { s.Name = "elsewhere" },
		"no --store":   func(j *batchv1.Job, _ *corev1.Secret) { j.Spec.Template.Spec.Containers[0].Args[2] = "--label" },
		"not a suite":  func(j *batchv1.Job, _ *corev1.Secret) { j.Spec.Template.Spec.Containers[0].Args[0] = "train" },
		"suite elsewhere": func(j *batchv1.Job, _ *corev1.Secret) {
			j.Spec.Template.Spec.Containers[0].Args[1] = "/tmp/nightly.yaml"
		},
		"undefined variable": func(j *batchv1.Job, _ *corev1.Secret) {
			c := &j.Spec.Template.Spec.Containers[0]
			c.Args = append(c.Args, "--label", "$(NOPE)")
		},
		"no memory limit": func(j *batchv1.Job, _ *corev1.Secret) {
			delete(j.Spec.Template.Spec.Containers[0].Resources.Limits, corev1.ResourceMemory)
		},
		"restarts in place": func(j *batchv1.Job, _ *corev1.Secret) {
			j.Spec.Template.Spec.RestartPolicy = corev1.RestartPolicyOnFailure
		},
	} {
		t.Run(name, func(t *testing.T) {
			j, secret := shipped(t)
			breakIt(j, secret)
			_, bad := checkJob(j, secret)
			assert.NotEmpty(t, bad)
			t.Log(bad)
		})
	}
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
	j, _ := shipped(t)
	assert.Equal(t, int64(10001), *j.Spec.Template.Spec.SecurityContext.RunAsUser)
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
	dsn := "" // a test database for the image's binary, set below
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
		shown := strings.Join(args, " ")
		if dsn != "" {
			shown = strings.ReplaceAll(shown, dsn, store.Redact(dsn))
		}
		require.NoError(t, err, "%s %s:\n%s", b, shown, out)
		t.Logf("%s %s: %v", filepath.Base(b), shown, time.Since(start).Round(time.Second))
	}
	build("deploy/Dockerfile", "localhost/metabench:test")
	// Run the binary inside the image: build steps of an image FROM it
	// (they run with chroot isolation, where `run` needs cgroups). With a
	// PostgreSQL test server, one short training inside the image writes
	// its record to a fresh database, as a shard of the Job would.
	if os.Getenv(storetest.PGEnv) != "" {
		dsn = storetest.FreshPG(t)
	}
	probe := filepath.Join(t.TempDir(), "Containerfile")
	require.NoError(t, os.WriteFile(probe, []byte(`FROM localhost/metabench:test
RUN metabench help 2>&1 | grep -q 'store ' && ldd /usr/local/bin/metabench | grep -q libopenblas
ARG DSN
RUN if [ -n "$DSN" ]; then metabench train `+imageRoot+`benchmarks/30min/omniglot-5w1s-maml.yaml --out /work/e2e \
    --quiet --set iterations=10 --set eval.episodes=20 --store "$DSN" --label image-e2e; fi
`), 0o644))
	build(probe, "localhost/metabench-probe:test", "--build-arg", "DSN="+dsn)
	t.Cleanup(func() { _ = exec.Command(b, "rmi", "-f", "localhost/metabench-probe:test").Run() })
	if dsn == "" {
		t.Logf("no $%s: the image's binary was not run against PostgreSQL", storetest.PGEnv)
		return
	}
	s, err := store.OpenExisting(dsn)
	require.NoError(t, err)
	defer s.Close()
	rec, err := s.Latest(t.Context(), "image-e2e")
	require.NoError(t, err)
	// OpenBLAS runs, or was linked and skipped for an older kernel family
	assert.Contains(t, rec.Env.GemmPath, "openblas", rec.Env.GemmPath)
	assert.Equal(t, 10, rec.Iters)
	t.Logf("record %s from inside the image: %.2f%% on %d episodes, gemm %s", rec.RunID, 100*rec.Summary.Mean, rec.Summary.N, rec.Env.GemmPath)
}
