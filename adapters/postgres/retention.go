package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// purgeJobSQL empties, for one finished job, what its rows said about
// people: the row details and parked rows, the failures' messages, offending
// values, external ids and e-mail addresses (the field, code and severity
// stay, so the counts and the kinds of failure remain), the original rows
// kept for the failure report (keep_rows), and the notices' last errors.
// Then it marks the job purged.
const purgeJobSQL = `
WITH rows AS (UPDATE import_rows SET detail = '', parked_row = NULL
              WHERE job_id = $1 AND (detail <> '' OR parked_row IS NOT NULL) RETURNING 1),
     failures AS (UPDATE import_failures SET message = '', value = '', external_id = '', email = ''
                  WHERE job_id = $1 AND (message <> '' OR value <> '' OR external_id <> '' OR email <> '') RETURNING 1),
     sources AS (DELETE FROM import_source_rows WHERE job_id = $1 RETURNING 1),
     notices AS (UPDATE notifications SET last_error = '' WHERE job_id = $1 AND last_error <> '' RETURNING 1)
UPDATE import_jobs SET personal_data_purged_at = now(), error = ''
WHERE id = $1 AND personal_data_purged_at IS NULL`

// PurgeExpiredPersonalData empties the personal data of the import rows,
// failures and notices of jobs that finished before cutoff, one job per
// short transaction, and returns how many jobs it purged. Safe to run
// from several processes at once (a job is claimed with SKIP LOCKED) and
// to interrupt (a job is purged whole or not at all).
func PurgeExpiredPersonalData(ctx context.Context, pool *pgxpool.Pool, cutoff time.Time) (int, error) {
	n := 0
	for {
		purged := false
		err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
			var job [16]byte
			err := tx.QueryRow(ctx, `SELECT id FROM import_jobs WHERE finished_at < $1 AND personal_data_purged_at IS NULL
				ORDER BY finished_at LIMIT 1 FOR UPDATE SKIP LOCKED`, cutoff).Scan(&job)
			if err == pgx.ErrNoRows {
				return nil
			}
			if err != nil {
				return err
			}
			purged = true
			_, err = tx.Exec(ctx, purgeJobSQL, job)
			return err
		})
		if err != nil {
			return n, fmt.Errorf("purge expired personal data: %w", err)
		}
		if !purged {
			return n, nil
		}
		n++
	}
}
