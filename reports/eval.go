package reports

import (
	"encoding/json"
	"fmt"
	"io"
)

// EvalSummary is an evaluation record (metabench eval) in brief: accuracy
// and its 95% half-width over the episodes, the protocol, the method and
// model, the data and the training iterations of the checkpoint.
type EvalSummary struct {
	Accuracy   float64 `json:"accuracy"`
	CI95       float64 `json:"ci95"`
	Episodes   int     `json:"episodes"`
	Ways       int     `json:"ways"`
	Shots      int     `json:"shots"`
	Queries    int     `json:"queries"`
	Steps      int     `json:"steps"`
	InnerLR    float64 `json:"inner_lr"`
	Seed       int64   `json:"seed"`
	BNMode     string  `json:"bn_mode"`
	Method     string  `json:"method"`
	Model      string  `json:"model"`
	Data       string  `json:"data"`
	Split      string  `json:"split"`
	Classes    int     `json:"classes"`
	Iterations int     `json:"checkpoint_iterations"`
	Seconds    float64 `json:"seconds"`
}

// EvalSummaryOf is rec in brief.
func EvalSummaryOf(rec *Record) EvalSummary {
	return EvalSummary{
		Accuracy: rec.Summary.Mean, CI95: rec.Summary.CI95, Episodes: rec.Summary.N,
		Ways: rec.Proto.Ways, Shots: rec.Proto.Shots, Queries: rec.Proto.Queries, Steps: rec.Proto.StepsTest, InnerLR: rec.Proto.InnerLR,
		Seed: rec.Proto.EvalSeed, BNMode: rec.Proto.BNMode, Method: rec.Method, Model: rec.Model, Data: rec.Dataset.Path,
		Split: rec.Dataset.Split, Classes: rec.Dataset.Classes, Iterations: rec.Iters, Seconds: rec.WallSec,
	}
}

// WriteEval writes an evaluation record to w: FormatJSON is its
// EvalSummary on one line, FormatText one sentence with the 95% interval
// over its episodes (EpisodeInterval), conditional on the trained model.
func WriteEval(w io.Writer, rec *Record, f Format) error {
	s := EvalSummaryOf(rec)
	var err error
	switch f {
	case FormatJSON:
		var b []byte
		if b, err = json.Marshal(s); err == nil {
			_, err = fmt.Fprintln(w, string(b))
		}
	case FormatText:
		iv := EpisodeInterval(rec)
		_, err = fmt.Fprintf(w, "%s %s on %s (%s, %d classes): %.2f%% [%.2f, %.2f] over %d episodes (95%% interval over these episodes, for this trained model)\n",
			s.Method, ProtocolString(rec.Proto), s.Data, s.Split, s.Classes, 100*s.Accuracy, 100*iv.Lo, 100*iv.Hi, s.Episodes)
	default:
		return fmt.Errorf("reports: an evaluation prints as text or json, not %q", f)
	}
	if err != nil {
		return fmt.Errorf("reports: writing the evaluation: %w", err)
	}
	return nil
}
