package suite

import (
	"fmt"

	"github.com/metabench/metabench/reports"
)

// MethodsTable is the table of `metabench run` (make run): one line per
// record of the suite's run, in the records' order, with its method,
// protocol, its row's accuracy over seeds, training time, iterations and
// the published number; with ref (the suite's reference unit), a column of
// each row's paired difference from ref's row (VsCells).
func MethodsTable(recs []*reports.Record, ref string) *reports.Table {
	t := &reports.Table{Header: []string{"method", "protocol", "accuracy (%)", "training", "iterations", "published (%)"}}
	vsRec := map[*reports.Record]string{}
	accRec := map[*reports.Record]string{}
	rows := Rows(recs)
	for _, row := range rows {
		accRec[row.Records[0]] = reports.AccuracyCell(row.Accuracy)
	}
	if ref != "" {
		t.Header = append(t.Header, "vs "+ref+" (points)")
		vs := Against(rows, ref)
		for _, row := range rows {
			vsRec[row.Records[0]] = VsCells(row, ref, vs)[0]
		}
	}
	for _, r := range recs {
		paper := "-"
		if ref, ok := reports.LookupReference(r); ok {
			paper = ref.String()
		}
		cells := []string{r.Method, reports.ProtocolString(r.Proto), accRec[r], reports.FormatDuration(r.TrainSeconds()), fmt.Sprint(r.Iters), paper}
		if ref != "" {
			cells = append(cells, vsRec[r])
		}
		t.Rows = append(t.Rows, cells)
	}
	return t
}
