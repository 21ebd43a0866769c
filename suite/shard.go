package suite

import (
	"fmt"
	"os"
	"strconv"
	"strings"
)

// Environment variables of a sharded suite: a Kubernetes Indexed Job sets
// the first; the job's manifest sets the second to its completions.
const (
	ShardIndexEnv = "JOB_COMPLETION_INDEX"
	ShardCountEnv = "METABENCH_SHARDS"
)

// ParseShard reads a shard written "i/n" (shard i of n, 0 <= i < n).
func ParseShard(v string) (i, n int, err error) {
	a, b, ok := strings.Cut(v, "/")
	i, errI := strconv.Atoi(strings.TrimSpace(a))
	n, errN := strconv.Atoi(strings.TrimSpace(b))
	if !ok || errI != nil || errN != nil || n < 1 || i < 0 || i >= n {
		return 0, 0, fmt.Errorf("%q: want i/n with 0 <= i < n", v)
	}
	return i, n, nil
}

// EnvShard reads the shard of an Indexed Job from $JOB_COMPLETION_INDEX of
// $METABENCH_SHARDS: shard 0 of 1 when neither is set, an error when only
// one is or they are not a shard.
func EnvShard() (i, n int, err error) {
	idx, okI := os.LookupEnv(ShardIndexEnv)
	cnt, okN := os.LookupEnv(ShardCountEnv)
	switch {
	case !okI && !okN:
		return 0, 1, nil
	case !okI || !okN:
		return 0, 0, fmt.Errorf("$%s and $%s must be set together", ShardIndexEnv, ShardCountEnv)
	}
	i, n, err = ParseShard(idx + "/" + cnt)
	if err != nil {
		return 0, 0, fmt.Errorf("$%s/$%s: %w", ShardIndexEnv, ShardCountEnv, err)
	}
	return i, n, nil
}
