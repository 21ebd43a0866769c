// Package store is the SQLite results store: one file, chosen by the user,
// that every train, eval and search run appends its reports.Record to, and
// that `metabench report` and `metabench compare` read. It uses the pure-Go
// driver modernc.org/sqlite (no cgo).
//
// # Identity and safety
//
// A store is recognised by the SQLite application_id in its header (0x4D424E43,
// "MBNC") and by its marker table metabench_store. Open checks an existing
// non-empty file before SQLite touches it: the first 100 bytes must be a
// SQLite header ("SQLite format 3\x00") carrying our application_id. A file
// that fails is reported as corrupt or foreign, naming the file, and is never
// opened for writing, so its bytes are unchanged. A missing or empty file is
// initialised inside one write transaction that re-checks that the database is
// still empty, so two processes creating the same store race safely.
//
// # Schema and migrations
//
// The table schema_version holds one row per applied migration. Migrations
// are an ordered list; migration k takes the schema from version k-1 to k and
// runs in the same transaction as the insertion of its schema_version row, so
// a store is always at a whole version. A store whose version is newer than
// the binary's is refused. Version 1:
//
//	runs(id, run_id UNIQUE, record_schema, kind, label, method, model, started,
//	     config_json, seed, dataset_*, protocol columns (ways, shots, queries,
//	     steps_train, steps_test, inner_lr, bn_mode, eval_episodes, eval_seed,
//	     rotations), mean, ci95, n, params, wall_sec, cpu_sec, iterations,
//	     extra_json, env columns (commit, go_version, goos, goarch, cpus, host,
//	     cpu_model, gemm_path), inserted_at)
//	episodes(run -> runs.id, idx, accuracy)             per-episode accuracies
//	curve_points(run -> runs.id, curve, idx, iter, step, wall_sec, accuracy, ci95, loss)
//	    curve = 'train' for Record.Curve, 'adapt' for Record.Adapt
//
// To add version 2, append a migration to the list in migrate.go and bump
// nothing else: Open applies it to every older store on first use.
//
// # Concurrency
//
// The store runs in WAL mode with a busy timeout, every transaction begins
// IMMEDIATE (it takes the write lock up front, so two writers never deadlock
// upgrading read locks), and a transaction that still fails with SQLITE_BUSY
// or SQLITE_LOCKED is retried with exponential backoff. A record is written in
// one transaction (run row, episodes, curve points), so a reader sees all of
// it or none of it, and two processes writing at once both land.
package store
