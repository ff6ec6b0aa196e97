package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/userservice/userservice/app/query"
)

// finishSQL ends a job whose every row has an outcome (or restates its end
// after a parked row was retried) and, in the same statement, queues one
// notice per channel the tenant set up if the job has rejected or parked
// rows. It locks the job row only when it has something to change; the
// unique (job, channel) key makes the notice once per job, however often
// this runs.
const finishSQL = `
WITH c AS (
    SELECT coalesce(sum(` + processedSQL + `), 0) AS processed,
           coalesce(sum(rejected_rows + parked_rows), 0) AS bad
    FROM import_job_counts WHERE job_id = $1
), next AS (
    SELECT CASE WHEN c.bad > 0 THEN 'completed_with_errors' ELSE 'completed' END AS status, c.processed FROM c
), done AS (
    UPDATE import_jobs j SET status = next.status, finished_at = coalesce(j.finished_at, now())
    FROM next
    WHERE j.id = $1 AND j.status <> 'failed' AND j.total = next.processed AND j.status <> next.status
    RETURNING j.id, j.tenant_id, j.status
)
INSERT INTO notifications (id, tenant_id, job_id, channel)
SELECT gen_random_uuid(), s.tenant_id, done.id, ch.channel
FROM done JOIN notification_settings s ON s.tenant_id = done.tenant_id
CROSS JOIN LATERAL (VALUES ('email', cardinality(s.emails) > 0), ('webhook', s.webhook_url <> '')) AS ch (channel, wanted)
WHERE done.status = 'completed_with_errors' AND ch.wanted
ON CONFLICT (job_id, channel) DO NOTHING`

// finishIfDone ends the job if it is done: see finishSQL.
func finishIfDone(ctx context.Context, pool *pgxpool.Pool, jobID string) error {
	if _, err := pool.Exec(ctx, finishSQL, jobID); err != nil {
		return fmt.Errorf("finish import job: %w", err)
	}
	return nil
}

// queueNotices inserts one notice per channel the tenant has set up.
func queueNotices(ctx context.Context, tx pgx.Tx, jobID, tenantID string) error {
	_, err := tx.Exec(ctx, `INSERT INTO notifications (id, tenant_id, job_id, channel)
		SELECT gen_random_uuid(), s.tenant_id, $1, c.channel
		FROM notification_settings s
		CROSS JOIN LATERAL (VALUES ('email', cardinality(s.emails) > 0), ('webhook', s.webhook_url <> '')) AS c (channel, wanted)
		WHERE s.tenant_id = $2 AND c.wanted
		ON CONFLICT (job_id, channel) DO NOTHING`, jobID, tenantID)
	if err != nil {
		return fmt.Errorf("queue notices: %w", err)
	}
	return nil
}

// importError turns a missing job (foreign key) into query.ErrImportNotFound.
func importError(err error) error {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == foreignKeyViolation {
		return query.ErrImportNotFound
	}
	return fmt.Errorf("record row outcome: %w", err)
}

// inTx runs f in a transaction (a savepoint when pool is a transaction),
// committing when f succeeds; a rollback or commit failure is never dropped.
func inTx(ctx context.Context, pool interface {
	Begin(ctx context.Context) (pgx.Tx, error)
}, f func(tx pgx.Tx) error) (err error) {
	tx, err := pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	if err := f(tx); err != nil {
		if rbErr := tx.Rollback(context.WithoutCancel(ctx)); rbErr != nil && !errors.Is(rbErr, pgx.ErrTxClosed) {
			err = errors.Join(err, fmt.Errorf("rollback: %w", rbErr))
		}
		return err
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}
