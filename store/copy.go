package store

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/metabench/metabench/reports"
)

// CopyStats counts what Copy did.
type CopyStats struct {
	Read  int // records read from the source
	Added int // records written to the destination (the others were there)
	// PerfRead and PerfAdded count the perf runs likewise.
	PerfRead, PerfAdded int
}

// Copy puts every record of src into dst, oldest insertion first, each in its
// own transaction, then every perf run. It is idempotent: a record already in dst is skipped, so
// running it twice, or again after an interruption, adds nothing twice. A
// different record under a run id that dst already holds stops it with an
// error wrapping ErrDuplicate.
func Copy(ctx context.Context, dst, src *Store) (CopyStats, error) {
	var st CopyStats
	ids, err := src.runIDs(ctx)
	if err != nil {
		return st, err
	}
	for _, id := range ids {
		rec, err := src.Get(ctx, id)
		if err != nil {
			return st, err
		}
		st.Read++
		added, err := dst.Add(ctx, rec)
		if err != nil {
			return st, err
		}
		if added {
			st.Added++
		}
	}
	perf, err := src.ListPerf(ctx, "")
	if err != nil {
		return st, err
	}
	for i := range perf {
		st.PerfRead++
		added, err := dst.AddPerf(ctx, &perf[i])
		if err != nil {
			return st, err
		}
		if added {
			st.PerfAdded++
		}
	}
	return st, nil
}

// runIDs lists the store's run ids in insertion order.
func (s *Store) runIDs(ctx context.Context) ([]string, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT run_id FROM runs ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("store %s: listing runs: %w", s.path, err)
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("store %s: listing runs: %w", s.path, err)
		}
		ids = append(ids, id)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store %s: listing runs: %w", s.path, err)
	}
	return ids, nil
}

// Export writes every record of src matching f to dir as <run id>.json
// (reports.WriteJSON: each file written atomically), the folder that
// `metabench report --records` reads, and returns how many it wrote. dir is
// created when missing; a file of the same name is replaced. portable
// writes reports.Portable copies (no absolute paths).
func Export(ctx context.Context, src *Store, f Filter, dir string, portable bool) (int, error) {
	recs, err := src.List(ctx, f)
	if err != nil {
		return 0, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return 0, fmt.Errorf("records folder: %w", err)
	}
	for i := range recs {
		r := &recs[i]
		if portable {
			if r, err = reports.Portable(r); err != nil {
				return i, fmt.Errorf("record %s: %w", recs[i].RunID, err)
			}
		}
		if err := reports.WriteJSON(filepath.Join(dir, r.RunID+".json"), r); err != nil {
			return i, fmt.Errorf("records folder: %w", err)
		}
	}
	return len(recs), nil
}
