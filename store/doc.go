// Package store is the results store: the database, chosen by the user, that
// every train, eval, search and suite run appends its reports.Record to, and
// that `metabench report`, `metabench compare` and `metabench store copy`
// read. One Store type serves two backends, picked by Open's argument:
//
//   - a file path: SQLite, one file on one machine, through the pure-Go
//     driver modernc.org/sqlite (no cgo);
//   - a postgres:// or postgresql:// DSN: PostgreSQL, one server shared by
//     many workers (the shards of a Kubernetes Indexed Job, a CI matrix),
//     through github.com/jackc/pgx/v5's database/sql driver.
//
// Which store a command uses is ResolvePath's choice: the one it names,
// else $METABENCH_STORE (EnvVar), else the experiment file's store field,
// else results.db (DefaultPath). Readers open with OpenForReading, which
// refuses a missing file (ErrMissing) and a PostgreSQL database without a
// store (ErrNoStore) instead of creating one.
//
// The queries, the schema and its migrations are written once; a small
// dialect value (dialect.go) rewrites placeholders ('?' to $n) and type
// names (INTEGER to BIGINT, REAL to DOUBLE PRECISION, {{rowid}} to an
// identity column), and holds what truly differs: how an existing database
// is recognised, which errors are worth a retry, and per-store setup.
//
// # Identity and safety
//
// A SQLite store is recognised by the application_id in its header
// (0x4D424E43, "MBNC") and by its marker table metabench_store. Open checks
// an existing non-empty file before SQLite touches it: the first 100 bytes
// must be a SQLite header ("SQLite format 3\x00") carrying our
// application_id. A file that fails is reported as corrupt or foreign,
// naming the file, and is never opened for writing, so its bytes are
// unchanged.
//
// A PostgreSQL store lives in the current schema (the first of the search
// path, normally public) of the DSN's database. A schema without any
// relation is empty and gets initialised; one whose relations do not include
// metabench_store (with its marker row) belongs to something else and is
// refused, inside a transaction that wrote nothing.
//
// A missing or empty store is initialised inside one write transaction that
// re-checks emptiness, so many processes creating the same store race
// safely (SQLite: an IMMEDIATE transaction; PostgreSQL: a transaction-scoped
// advisory lock keyed by the application_id, also taken by every migration).
// OpenExisting, for readers, refuses to initialise anything.
//
// A DSN's password is never printed: Path returns the DSN with the password
// (user part or password= parameter) replaced by xxxxx, every error of the
// PostgreSQL open path is scrubbed of it and flattened to one line, and Put
// masks DSNs among a record's top-level config and extra strings (an
// experiment file's store: field), so no record carries one either.
//
// # Schema and migrations
//
// The table schema_version holds one row per applied migration. Migrations
// are an ordered list, shared by both backends; migration k takes the schema
// from version k-1 to k and runs in the same transaction as the insertion of
// its schema_version row, so a store is always at a whole version. A store
// whose version is newer than the binary's is refused (ErrTooNew). Version 1:
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
//	    (version 5 adds validation: Point.Validation as 0 or 1)
//
// Version 2 added the typed fields of record schema 2 to runs: suite_name,
// suite_version, suite_unit, suite_seed, suite_step (Record.Suite, nil when
// suite_name is empty), train_sec, target_name, target_arch, target_row
// (Record.Target, nil when target_name is empty), env_module and
// env_modified. Rows written before keep record_schema 1 with those values
// in extra_json; the row reader upgrades every record it reads
// (reports.Upgrade), and Put stores an older record upgraded, so readers
// only ever see the current record schema.
//
// Version 3 added perf_runs(id, run_id, perf_schema, label, started,
// started_ns, machine, run_json, inserted_at): one row per `metabench perf
// --save` run (reports.PerfRun as JSON, with the columns a query selects
// on), written and compared like a record (PutPerf, AddPerf, ListPerf) and
// carried by Copy.
//
// Version 4 added the protocol's train_ways (Protocol.TrainWays, 0 when
// the test ways are the training ways) and eval_rotations
// (Protocol.EvalRotations) to runs; older rows read 0 and false, which is
// what their protocols were.
//
// Version 5 added validation to curve_points (reports.Point.Validation: a
// validation point among a metatrain curve's training statistics); older
// rows read 0, which is what every point written before was.
//
// NaN (a missing value) is stored as NULL in both backends, so a record
// reads back the same from either. To add a version, append a migration to
// the list in migrate.go, in the SQLite spelling; Open applies it to every
// older store of either kind on first use.
//
// # Writes, retries and idempotence
//
// A record is written in one transaction (run row, episodes, curve points
// with multi-row INSERTs), so a reader sees all of it or none of it; a
// connection lost in the middle leaves nothing. The run row is inserted with
// ON CONFLICT (run_id) DO NOTHING: a run id already stored is compared with
// the incoming record in its stored form, and an identical record is a
// successful no-op (a retried shard, a repeated copy, a commit whose
// acknowledgement was lost), while a different one is ErrDuplicate. A
// transaction that fails transiently is retried whole with jittered
// exponential backoff: SQLITE_BUSY and SQLITE_LOCKED (10 tries) for SQLite,
// serialization failures, deadlocks, shutdowns and lost connections (8
// tries, at most 2 s apart) for PostgreSQL. Copy moves every record of one
// store into another through the same Put, so it is idempotent.
//
// SQLite runs in WAL mode with a busy timeout and one connection per Store;
// every transaction begins IMMEDIATE. PostgreSQL uses READ COMMITTED and up
// to 4 connections per Store; the unique run_id and ON CONFLICT make
// concurrent writers of the same run land exactly once.
package store
