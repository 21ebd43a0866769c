package config

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestMatchParams(t *testing.T) {
	c, err := Parse([]byte(good))
	require.NoError(t, err)
	for _, tc := range []struct{ name, match, err string }{
		{"conv4", "", ""},
		{"genotype:darts-v2", "", ""},
		{"genotype:darts-v2,cells=5", "conv4", ""},
		{"genotype:darts-v2", "conv4-32", ""},
		{"conv4", "conv4", `model.match_params: sizes a genotype network to Conv-4's parameter count; model.name "conv4" is not a genotype network`},
		{"genotype:darts-v2", "conv4-0", `model.match_params: "conv4-0": want conv4 (Conv-4 with 64 filters) or conv4-F (F filters)`},
		{"genotype:darts-v2", "resnet", `model.match_params: "resnet": want conv4`},
		{"genotype:darts-v2", "conv4-064", `model.match_params: "conv4-064"`},
	} {
		m := *c
		m.Model.Name, m.Model.MatchParams = tc.name, tc.match
		err := m.Validate()
		if tc.err == "" {
			require.NoError(t, err, "%s %s", tc.name, tc.match)
			continue
		}
		require.Error(t, err, "%s %s", tc.name, tc.match)
		require.True(t, strings.HasPrefix(err.Error(), tc.err), err.Error())
		require.NotContains(t, err.Error(), "\n")
	}
	f, err := Model{MatchParams: "conv4-32"}.MatchConv4()
	require.NoError(t, err)
	require.Equal(t, 32, f)
	f, err = Model{MatchParams: "conv4"}.MatchConv4()
	require.NoError(t, err)
	require.Equal(t, MAMLConv4Filters, f)

	// set from the command line or a suite, and kept out of files that do
	// not use it
	require.NoError(t, c.Set("model.match_params=conv4"))
	require.Equal(t, "conv4", c.Model.MatchParams)
	c.Model.MatchParams = ""
	y, err := c.YAML()
	require.NoError(t, err)
	require.NotContains(t, string(y), "match_params")

	// a search file's model is the derived genotype: matching belongs to the
	// final training
	s, err := ParseSearch([]byte(searchYAML))
	require.NoError(t, err)
	s.Model.MatchParams = "conv4"
	err = s.Validate()
	require.Error(t, err)
	require.True(t, strings.HasPrefix(err.Error(), "model.match_params: the search replaces the model"), err.Error())
}
