package postgres

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// importerApplicationName is what an import chunk's transaction calls
// itself while it runs (set_config(..., true) lasts until its commit): in a
// process that runs the api role beside the importer, the connections are
// named after every role, and the importer must not take its own chunks for
// API work (APIActivity).
const importerApplicationName = ApplicationNamePrefix + " importer chunk"

// importUploadApplicationName is what an upload's staging and queueing
// statements (run by the api process) call themselves: the importer must
// not yield to the upload of the very rows it is to apply (at a million
// rows, half a minute of it).
const importUploadApplicationName = ApplicationNamePrefix + " import upload"

// importTxSettingsSQL starts every import transaction (a chunk's, an
// upload's): its name for the transaction ($1: APIActivity tells the API's
// work from the import's by it) and generic plans. A custom plan estimates
// "tenant_id = $1" from that tenant's share at the last ANALYZE: a tenant
// new since then (the usual importing tenant) comes out at about one row,
// and each key lookup of a chunk was planned as a scan of all of the
// tenant's users, filtered (in the full bench: 100,000 new users at 0.20 of
// CopyFrom, managers named after their reports at 0.08 of managers-first).
// A generic plan estimates the table's average tenant and probes the unique
// index per key. Generic plans are made from the statistics of the moment,
// which an import outgrows: importStats refreshes them as a job grows.
//
// And no JIT compilation: a generic plan of the reporting-line walk
// (chunkReportingLinesSQL) is costed at about a million (every manager
// estimated at hundreds of rows, the recursion at thousands), past
// jit_inline_above_cost and jit_optimize_above_cost, so every chunk of a
// file with managers compiled the statement with inlining and optimization
// before running it: 0.7 to 0.9 s of a chunk's 1 s (auto_explain, the
// bench's managers-first file at 950 rows/s). Its work is a few hundred
// index probes, which compiling cannot speed up.
const importTxSettingsSQL = `SELECT set_config('application_name', $1, true), set_config('plan_cache_mode', 'force_generic_plan', true),
	set_config('jit', 'off', true)`

// asImportUpload runs f in a transaction named the upload's for its
// duration (set_config(..., true) lasts until the commit).
func asImportUpload(ctx context.Context, pool *pgxpool.Pool, f func(tx pgx.Tx) error) error {
	return inTx(ctx, pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, importTxSettingsSQL, importUploadApplicationName); err != nil {
			return err
		}
		return f(tx)
	})
}

// APIActivity counts the API's work in flight: client backends of this
// database whose application_name says they belong to a process running
// the api role ("<prefix> api", "<prefix> api,relay", ...) that are running
// a statement or are inside a transaction. It reads pg_stat_activity (shared
// memory, no table), so asking costs well under a millisecond.
type APIActivity struct {
	pool    *pgxpool.Pool
	pattern string
}

// NewAPIActivity returns the counter on pool of the API processes whose
// connections' names start with prefix (ApplicationNamePrefixOf the
// DATABASE_URL; tests use their own; empty: ApplicationNamePrefix).
func NewAPIActivity(pool *pgxpool.Pool, prefix string) (*APIActivity, error) {
	if pool == nil {
		return nil, errors.New("postgres.NewAPIActivity: nil pool")
	}
	if strings.TrimSpace(prefix) == "" {
		prefix = ApplicationNamePrefix
	}
	return &APIActivity{pool: pool, pattern: `^` + regexp.QuoteMeta(prefix) + ` ([a-z-]+,)*api(,|$)`}, nil
}

// InFlight returns the number of API backends at work.
func (a *APIActivity) InFlight(ctx context.Context) (int, error) {
	var n int
	err := a.pool.QueryRow(ctx, `SELECT count(*) FROM pg_stat_activity
		WHERE datname = current_database() AND pid <> pg_backend_pid()
		  AND state IN ('active', 'idle in transaction') AND application_name ~ $1`, a.pattern).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("read the API's activity: %w", err)
	}
	return n, nil
}
