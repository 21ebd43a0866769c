package config

import (
	"fmt"
	"strconv"
	"strings"
)

// MAMLConv4Filters is the filter count of MAML's Omniglot Conv-4 (Finn et
// al. 2017), the network model.match_params "conv4" names.
const MAMLConv4Filters = 64

// MatchConv4 is the filter count of the Conv-4 whose parameter count
// model.match_params asks the genotype network to match (the init channels
// are then chosen for it, and model.filters is not read): MAMLConv4Filters
// for "conv4", F for "conv4-F"; 0 when match_params is empty.
func (m Model) MatchConv4() (int, error) {
	switch m.MatchParams {
	case "":
		return 0, nil
	case "conv4":
		return MAMLConv4Filters, nil
	}
	f, ok := strings.CutPrefix(m.MatchParams, "conv4-")
	n, err := strconv.Atoi(f)
	if !ok || err != nil || n < 1 || strconv.Itoa(n) != f {
		return 0, fmt.Errorf("%q: want conv4 (Conv-4 with %d filters) or conv4-F (F filters)", m.MatchParams, MAMLConv4Filters)
	}
	return n, nil
}

// matchCheck validates model.match_params: empty, or a Conv-4 MatchConv4
// reads, on a genotype network.
func (m Model) matchCheck() fieldCheck {
	const key = "model.match_params"
	if _, err := m.MatchConv4(); err != nil {
		return fieldCheck{true, key, err.Error()}
	}
	if m.MatchParams != "" && !strings.HasPrefix(m.Name, "genotype:") {
		return fieldCheck{true, key, fmt.Sprintf("sizes a genotype network to Conv-4's parameter count; model.name %q is not a genotype network", m.Name)}
	}
	return fieldCheck{}
}
