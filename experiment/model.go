package experiment

import (
	"fmt"

	"github.com/metabench/metabench/config"
	"github.com/metabench/metabench/nn"
	"github.com/metabench/metabench/reports"
	"github.com/metabench/metabench/search"
)

// Model builds the network an experiment file names: "conv4"
// (Finn et al.) or a genotype network
// "genotype:NAME|FILE[,cells=L][,channels=C][,stem_stride=S]" whose
// channels default to model.filters (search.NewModelFromName). It is the
// hook through which train and eval meta-train and evaluate the final
// networks of searched genotypes.
func Model(name string, filters, channels, size, ways int) (nn.Model[float32], error) {
	if search.IsGenotypeModel(name) {
		m, err := search.NewModelFromName[float32](name, filters, channels, size, ways)
		if err != nil {
			return nil, fmt.Errorf("model.name: %w", err)
		}
		return m, nil
	}
	return nn.NewConv4[float32](channels, size, filters, ways), nil
}

// ExtraMACs is the Extra key of train and eval records that holds the
// network's multiply-accumulates per forward pass of one image
// (nn.Costed; search.Cost says what is counted).
const ExtraMACs = "macs"

// recordMACs puts the model's MACs per image into the record.
func recordMACs(rec *reports.Record, m nn.Model[float32]) {
	if c, ok := m.(nn.Costed); ok {
		if rec.Extra == nil {
			rec.Extra = map[string]any{}
		}
		rec.Extra[ExtraMACs] = c.MACs()
	}
}

// matchedConfig is cfg as it trains on images [channels, size, size]: with
// model.match_params, a copy whose model.filters is the init channel count
// C that search.MatchModelChannels picks (the C whose genotype network has
// the parameter count closest to the named Conv-4's for the same images and
// ways, within search.MatchTolerance), so that the checkpoint and the
// record's config hold the C that was trained (and eval rebuilds it from
// them); otherwise cfg itself.
func matchedConfig(cfg *config.Config, channels, size int) (*config.Config, error) {
	filters, err := cfg.Model.MatchConv4()
	if err != nil || filters == 0 {
		return cfg, err
	}
	target, err := conv4Params(channels, size, filters, cfg.Ways)
	if err != nil {
		return nil, fmt.Errorf("model.match_params: %w", err)
	}
	c, _, err := search.MatchModelChannels(cfg.Model.Name, channels, size, cfg.Ways, target, search.MatchTolerance)
	if err != nil {
		return nil, fmt.Errorf("model.match_params: %s (%d parameters): %w", cfg.Model.MatchParams, target, err)
	}
	out := *cfg
	out.Model.Filters = c
	return &out, nil
}

// conv4Params is the parameter count of Conv-4 with the given filters on
// images [channels, size, size] and ways classes.
func conv4Params(channels, size, filters, ways int) (int, error) {
	if size < 16 {
		return 0, fmt.Errorf("Conv-4's four poolings need images of at least 16 pixels, have %d", size)
	}
	return nn.NewConv4[float32](channels, size, filters, ways).ParamCount(), nil
}
