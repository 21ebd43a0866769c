package reports

import (
	"fmt"
	"strings"
)

// Reference is one published accuracy and its source (docs/TARGETS.md says
// how runs are compared with it). Accuracy and CI95
// are fractions (0.987 for 98.7%); CI95 is 0 when the source gives none, and
// Accuracy is 0 with a Note when the source gives only an ordering.
type Reference struct {
	Method   string  `json:"method"`  // canonical method name, as in Record.Method
	Dataset  string  `json:"dataset"` // canonical dataset name: "omniglot", "miniimagenet"
	Ways     int     `json:"ways"`
	Shots    int     `json:"shots"`
	Accuracy float64 `json:"accuracy,omitempty"`
	CI95     float64 `json:"ci95,omitempty"`
	Source   string  `json:"source"`
	Note     string  `json:"note,omitempty"`
}

// HasAccuracy reports whether the source gives a number (not just an ordering).
func (r Reference) HasAccuracy() bool { return r.Accuracy > 0 }

// String formats the reference as "98.7 ± 0.4 (Finn et al. 2017, Table 1)".
func (r Reference) String() string {
	var v string
	switch {
	case !r.HasAccuracy():
		v = r.Note
	case r.CI95 > 0:
		v = fmt.Sprintf("%s ± %s", trimPct(r.Accuracy), trimPct(r.CI95))
	default:
		v = trimPct(r.Accuracy)
	}
	return fmt.Sprintf("%s (%s)", v, r.Source)
}

// trimPct prints a fraction as a percentage with the digits the paper used
// (at most two decimals, trailing zeros kept to one decimal).
func trimPct(x float64) string {
	s := fmt.Sprintf("%.2f", 100*x)
	if strings.HasSuffix(s, "0") {
		s = s[:len(s)-1]
	}
	return s
}

// References returns the published few-shot numbers, each with the paper
// and table it comes from, in a fixed order. The slice is new on every call.
func References() []Reference {
	const (
		finn   = "Finn et al. 2017"
		finnT1 = "Finn et al. 2017, Table 1"
		nichol = "Nichol et al. 2018, Table 2"
		base   = "BASE Table 4"
		tnas   = "Lian et al. 2020"
		snell  = "Snell et al. 2017, Table 1 (trained 60-way)"
		li     = "Li et al. 2017, Table 1"
		mamlpp = "Antoniou et al. 2019, Table 1"
		raghu  = "Raghu et al. 2020"
	)
	o, mi := "omniglot", "miniimagenet"
	return []Reference{
		{"maml", o, 5, 1, 0.987, 0.004, finnT1, ""},
		{"maml", o, 5, 5, 0.999, 0.001, finnT1, ""},
		{"maml", o, 20, 1, 0.958, 0.003, finn, ""},
		{"maml", o, 20, 5, 0.989, 0.002, finn, ""},
		{"fomaml", o, 5, 1, 0.983, 0.005, finn, ""},
		{"fomaml", o, 5, 5, 0.992, 0.002, finn, ""},
		// Reptile + transduction: every Reptile unit here uses the
		// episode's batch statistics at test (transductive), so the
		// comparable row; the 20-way rows are the non-transductive ones
		// (the transductive 20-way numbers are not entered).
		{"reptile", o, 5, 1, 0.9768, 0.0004, nichol + " (transductive)", ""},
		{"reptile", o, 5, 5, 0.9948, 0.0006, nichol + " (transductive)", ""},
		{"reptile", o, 20, 1, 0.8814, 0, nichol + " (non-transductive)", ""},
		{"reptile", o, 20, 5, 0.9665, 0, nichol + " (non-transductive)", ""},
		{"maml", mi, 5, 1, 0.4870, 0.0184, finn, ""},
		{"maml", mi, 5, 5, 0.6311, 0.0092, finn, ""},
		{"fomaml", mi, 5, 1, 0.4807, 0.0175, finn, ""},
		{"fomaml", mi, 5, 5, 0.6315, 0.0091, finn, ""},
		{"base-softmax", mi, 5, 5, 0.6540, 0.0074, base + " (as quoted by T-NAS)", ""},
		{"base-gumbel", mi, 5, 5, 0.6620, 0.0070, base, ""},
		{"darts-maml", mi, 5, 5, 0, 0, base, "above MAML, below BASE"},
		{"tnas", mi, 5, 1, 0.5284, 0, tnas, ""},
		{"tnas", mi, 5, 5, 0.6788, 0, tnas, ""},
		{"tnas++", mi, 5, 1, 0.5411, 0, tnas, ""},
		{"tnas++", mi, 5, 5, 0.6959, 0, tnas, ""},
		{"protonets", o, 5, 1, 0.988, 0, snell, ""},
		{"protonets", o, 5, 5, 0.997, 0, snell, ""},
		{"metasgd", o, 5, 1, 0.9953, 0.0026, li, ""},
		{"metasgd", o, 5, 5, 0.9993, 0.0009, li, ""},
		{"mamlpp", o, 5, 1, 0.9947, 0, mamlpp, ""},
		{"mamlpp", o, 5, 5, 0.9985, 0, mamlpp, ""},
		{"anil", o, 5, 1, 0, 0, raghu, "no 5-way Omniglot number; reported on par with MAML"},
		{"anil", o, 5, 5, 0, 0, raghu, "no 5-way Omniglot number; reported on par with MAML"},
	}
}

// CanonicalMethod maps the spellings of a method name used in configs and
// records to the names of References: "FO-MAML", "first-order-maml" and
// "fomaml" all give "fomaml"; "base_gumbel" gives "base-gumbel". Unknown names
// come back lower-cased with '_' replaced by '-'.
func CanonicalMethod(m string) string {
	m = strings.ReplaceAll(strings.ToLower(strings.TrimSpace(m)), "_", "-")
	switch m {
	case "fo-maml", "first-order-maml", "firstorder-maml", "maml-fo", "fomaml":
		return "fomaml"
	case "maml", "maml2", "maml-2nd", "second-order-maml":
		return "maml"
	case "darts", "darts+maml", "darts-maml", "darts-v2":
		return "darts-maml"
	case "maml++", "mamlplusplus", "maml-pp":
		return "mamlpp"
	case "meta-sgd":
		return "metasgd"
	case "protonet", "proto", "prototypical-networks", "proto-nets":
		return "protonets"
	case "t-nas":
		return "tnas"
	case "t-nas++":
		return "tnas++"
	}
	return m
}

// DatasetName returns the canonical dataset name of d: its Format with '-'
// and '_' removed and lower-cased ("mini-imagenet" gives "miniimagenet"), or,
// when Format is empty, "omniglot" or "miniimagenet" when the path or split
// names one, else "".
func DatasetName(d Dataset) string {
	norm := func(s string) string {
		s = strings.ToLower(s)
		return strings.NewReplacer("-", "", "_", "", " ", "").Replace(s)
	}
	if f := norm(d.Format); f != "" {
		return f
	}
	hay := norm(d.Path + "|" + d.Split)
	switch {
	case strings.Contains(hay, "omniglot"):
		return "omniglot"
	case strings.Contains(hay, "miniimagenet"):
		return "miniimagenet"
	}
	return ""
}

// LookupReference returns the published number for the record's method,
// dataset, ways and shots. Only evaluation-style records (any kind) with a
// known method and dataset match; the protocol beyond ways and shots is not
// checked, so the caller shows the record's protocol beside it.
func LookupReference(r *Record) (Reference, bool) {
	if r.NoTest() {
		return Reference{}, false // a validation accuracy is never set beside a published test number
	}
	method := CanonicalMethod(r.Method)
	if m := strings.ToLower(r.Model); strings.HasPrefix(m, "genotype:") && method == "maml" {
		// a cell network trained by MAML is not MAML's Conv-4: DARTS_V2's
		// cells have their own row; a searched genotype has none
		method = "genotype-maml"
		if strings.HasPrefix(m, "genotype:darts") {
			method = "darts-maml"
		}
	}
	ds := DatasetName(r.Dataset)
	for _, ref := range References() {
		if ref.Method == method && ref.Dataset == ds && ref.Ways == r.Proto.Ways && ref.Shots == r.Proto.Shots {
			return ref, true
		}
	}
	return Reference{}, false
}
