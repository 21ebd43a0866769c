package suite

import (
	"fmt"
	"slices"
	"strings"

	"github.com/metabench/metabench/experiment"
	"github.com/metabench/metabench/reports"
)

// SizeNote is the footnote of the params and MACs columns.
const SizeNote = "params: learnable parameters of the row's network; MACs (M): millions of multiply-accumulates of one forward pass of one image (convolutions and linear layers, search.Cost), - for records that predate them; both per seed when the seeds' networks differ (each seed searched its own genotype, and a parameter-matched row sizes each one)"

// ParamsCell is a row's parameter count: one number when every seed's
// network has it, else each seed's in the row's seed order.
func ParamsCell(r *Row) string {
	return seedValues(r, func(rec *reports.Record) string { return fmt.Sprint(rec.Params) })
}

// MACsCell is a row's MACs per image in millions (record extra
// experiment.ExtraMACs), like ParamsCell; "-" for a record without them.
func MACsCell(r *Row) string {
	return seedValues(r, func(rec *reports.Record) string {
		if m, ok := rec.ExtraNumber(experiment.ExtraMACs); ok {
			return fmt.Sprintf("%.2f", m/1e6)
		}
		return "-"
	})
}

// seedValues is value of the row's records, once when they agree.
func seedValues(r *Row, value func(*reports.Record) string) string {
	vs := make([]string, len(r.Records))
	for i, rec := range r.Records {
		vs[i] = value(rec)
	}
	if len(slices.Compact(slices.Clone(vs))) == 1 {
		return vs[0]
	}
	return strings.Join(vs, ", ")
}
