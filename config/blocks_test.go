package config

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/metabench/metabench/maml"
)

// TestMethodBlocks: a method's block decodes strictly onto its defaults (a
// null block keeps them), --set reaches its keys without touching a copy
// of the Config, and the block travels through YAML, Map and search files.
func TestMethodBlocks(t *testing.T) {
	_, err := Parse([]byte(good + "reptile: {inner_batch: 3, bogus: 1}\n"))
	require.ErrorContains(t, err, "line 17: unknown key bogus in ReptileOptions")
	_, err = Parse([]byte(good + "iterationz: 5\n"))
	require.EqualError(t, err, "line 17: unknown key iterationz in Config")
	c, err := Parse([]byte(good + "reptile:\n"))
	require.NoError(t, err)
	require.Equal(t, maml.DefaultReptileOptions(), *c.Blocks["reptile"].(*maml.ReptileOptions))

	c, err = Parse([]byte(strings.Replace(good, "method: maml", "method: reptile", 1) + "reptile: {inner_batch: 3}\n"))
	require.NoError(t, err)
	require.Equal(t, 3, c.Options().(*maml.ReptileOptions).InnerBatch)
	d := *c
	require.NoError(t, d.Set("reptile.inner_batch=7"))
	require.Equal(t, 3, c.Options().(*maml.ReptileOptions).InnerBatch, "Set changed the original's block")
	require.Equal(t, 7, d.Options().(*maml.ReptileOptions).InnerBatch)
	require.ErrorContains(t, d.Set("reptile=3"), "is a section; set one of its keys (carry_adam, inner_batch")
	require.ErrorContains(t, d.Set("reptile.nope=1"), `unknown key "nope"`)
	require.ErrorContains(t, d.Set("bogus=1"), "mamlpp, meta_batch")
	require.NoError(t, d.Set("reptile.inner_optimizer=rmsprop"))
	require.EqualError(t, d.Validate(), `reptile.inner_optimizer: "rmsprop" is not adam or sgd`)

	y, err := c.YAML()
	require.NoError(t, err)
	back, err := Parse(y)
	require.NoError(t, err)
	require.Equal(t, c, back)
	require.Equal(t, 3, c.Map()["reptile"].(map[string]any)["inner_batch"])
	require.Equal(t, true, c.Map()["mamlpp"].(map[string]any)["per_step_bn"])

	s, err := ParseSearch([]byte(good + "reptile: {inner_batch: 5}\n"))
	require.NoError(t, err)
	require.Equal(t, 5, s.Blocks["reptile"].(*maml.ReptileOptions).InnerBatch)
	require.Equal(t, 5, s.Map()["reptile"].(map[string]any)["inner_batch"])
	_, err = ParseSearch([]byte(good + "bogus: 2\n"))
	require.EqualError(t, err, "line 17: unknown key bogus in SearchFile")
}
