package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/userservice/userservice/app/command"
	"github.com/userservice/userservice/app/query"
)

// CreateImportJob implements command.ImportJobStore.
func (s *Imports) CreateImportJob(ctx context.Context, j command.NewImportJob) error {
	var dedup *string
	if j.DedupKey != "" {
		dedup = &j.DedupKey
	}
	_, err := s.pool.Exec(ctx, `INSERT INTO import_jobs (id, tenant_id, source, actor, dedup_key) VALUES ($1, $2, $3, $4, $5)`,
		j.ID, j.TenantID, string(j.Source), j.Actor, dedup)
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == uniqueViolation && pgErr.ConstraintName == "import_jobs_dedup_key_key" {
		return command.ErrImportExists
	}
	if errors.As(err, &pgErr) && pgErr.Code == foreignKeyViolation {
		return fmt.Errorf("create import job for tenant %s: %w", j.TenantID, ErrTenantNotFound)
	}
	if err != nil {
		return fmt.Errorf("create import job: %w", err)
	}
	return nil
}

// SealImportJob implements command.ImportJobStore.
func (s *Imports) SealImportJob(ctx context.Context, jobID string, total int) error {
	if _, err := s.pool.Exec(ctx, `UPDATE import_jobs SET total = $2 WHERE id = $1 AND total IS NULL`, jobID, total); err != nil {
		return fmt.Errorf("seal import job: %w", err)
	}
	return finishIfDone(ctx, s.pool, jobID)
}

// FailImportJob implements command.ImportJobStore.
func (s *Imports) FailImportJob(ctx context.Context, jobID, reason string, notify bool) error {
	return inTx(ctx, s.pool, func(tx pgx.Tx) error {
		var tenantID string
		err := tx.QueryRow(ctx, `UPDATE import_jobs SET status = 'failed', error = $2, finished_at = now()
			WHERE id = $1 AND status IN ('queued', 'running') RETURNING tenant_id::text`, jobID, reason).Scan(&tenantID)
		if errors.Is(err, pgx.ErrNoRows) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("fail import job: %w", err)
		}
		if notify {
			return queueNotices(ctx, tx, jobID, tenantID)
		}
		return nil
	})
}

// importJobSQL reads a job with its counters summed over their shards.
const importJobSQL = `SELECT j.id::text, j.tenant_id::text, j.source, j.actor, j.status, j.error, j.total,
coalesce(sum(c.created_rows), 0), coalesce(sum(c.updated_rows), 0), coalesce(sum(c.unchanged_rows), 0),
coalesce(sum(c.skipped_rows), 0), coalesce(sum(c.rejected_rows), 0), coalesce(sum(c.parked_rows), 0),
j.created_at, j.started_at, j.finished_at
FROM import_jobs j LEFT JOIN import_job_counts c ON c.job_id = j.id
WHERE j.id = $1 AND ($2 = '' OR j.tenant_id::text = $2) GROUP BY j.id`

// ImportJob implements query.ImportReader.
func (s *Imports) ImportJob(ctx context.Context, tenantID, jobID string) (query.ImportJob, error) {
	if tenantID == "" {
		return query.ImportJob{}, query.ErrImportNotFound
	}
	return s.job(ctx, tenantID, jobID)
}

// job reads a job of the tenant, or of any tenant when tenantID is "" (the
// notifier's own reads only).
func (s *Imports) job(ctx context.Context, tenantID, jobID string) (query.ImportJob, error) {
	if _, err := uuid.Parse(jobID); err != nil {
		return query.ImportJob{}, query.ErrImportNotFound
	}
	var j query.ImportJob
	err := s.pool.QueryRow(ctx, importJobSQL, jobID, tenantID).
		Scan(&j.ID, &j.TenantID, &j.Source, &j.Actor, &j.Status, &j.Error, &j.Total, &j.Created, &j.Updated,
			&j.Unchanged, &j.Skipped, &j.Rejected, &j.Parked, &j.CreatedAt, &j.StartedAt, &j.FinishedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return query.ImportJob{}, query.ErrImportNotFound
	}
	if err != nil {
		return query.ImportJob{}, fmt.Errorf("read import job: %w", err)
	}
	return j, nil
}

// ImportFailures implements query.ImportReader.
func (s *Imports) ImportFailures(ctx context.Context, q query.ListImportFailures) (query.FailurePage, error) {
	if _, err := s.ImportJob(ctx, q.TenantID, q.JobID); err != nil {
		return query.FailurePage{}, err
	}
	rows, err := s.pool.Query(ctx, `SELECT row_no, seq, field, code, message FROM import_failures
		WHERE job_id = $1 AND (row_no, seq) > ($2, $3) ORDER BY row_no, seq LIMIT $4`,
		q.JobID, q.AfterRow, q.AfterSeq, q.Limit+1)
	if err != nil {
		return query.FailurePage{}, fmt.Errorf("read import failures: %w", err)
	}
	failures, err := pgx.CollectRows(rows, pgx.RowToStructByPos[query.ImportFailure])
	if err != nil {
		return query.FailurePage{}, fmt.Errorf("read import failures: %w", err)
	}
	if len(failures) > q.Limit {
		return query.FailurePage{Failures: failures[:q.Limit]}, nil
	}
	return query.FailurePage{Failures: failures, Done: true}, nil
}

// ParkedImportRows implements query.ImportReader.
func (s *Imports) ParkedImportRows(ctx context.Context, q query.ListParkedImportRows) ([]query.ParkedImportRow, error) {
	if _, err := s.ImportJob(ctx, q.TenantID, q.JobID); err != nil {
		return nil, err
	}
	rows, err := s.pool.Query(ctx, `SELECT row_no, detail, recorded_at, requeued_at FROM import_rows
		WHERE job_id = $1 AND outcome = 'parked' AND row_no > $2 ORDER BY row_no LIMIT $3`, q.JobID, q.AfterRow, q.Limit)
	if err != nil {
		return nil, fmt.Errorf("read parked rows: %w", err)
	}
	parked, err := pgx.CollectRows(rows, pgx.RowToStructByPos[query.ParkedImportRow])
	if err != nil {
		return nil, fmt.Errorf("read parked rows: %w", err)
	}
	return parked, nil
}

// ParkedRows implements command.ParkedRowStore.
func (s *Imports) ParkedRows(ctx context.Context, tenantID, jobID string, afterRow, limit int) ([]command.ImportUserRow, error) {
	if _, err := s.ImportJob(ctx, tenantID, jobID); err != nil {
		return nil, err
	}
	rows, err := s.pool.Query(ctx, `SELECT parked_row FROM import_rows
		WHERE job_id = $1 AND outcome = 'parked' AND row_no > $2 ORDER BY row_no LIMIT $3`, jobID, afterRow, limit)
	if err != nil {
		return nil, fmt.Errorf("read parked rows: %w", err)
	}
	parked, err := pgx.CollectRows(rows, pgx.RowTo[command.ImportUserRow])
	if err != nil {
		return nil, fmt.Errorf("read parked rows: %w", err)
	}
	return parked, nil
}

// MarkRequeued implements command.ParkedRowStore.
func (s *Imports) MarkRequeued(ctx context.Context, jobID string, rows []int) error {
	_, err := s.pool.Exec(ctx, `UPDATE import_rows SET requeued_at = now()
		WHERE job_id = $1 AND row_no = ANY($2) AND outcome = 'parked'`, jobID, rows)
	if err != nil {
		return fmt.Errorf("mark rows requeued: %w", err)
	}
	return nil
}

// failStaleSQL fails abandoned unsealed jobs and, in the same statement,
// queues the notices of the HRIS syncs among them.
const failStaleSQL = `
WITH failed AS (
    UPDATE import_jobs SET status = 'failed', finished_at = now(),
        error = 'the job was abandoned while its rows were being queued; the rows queued before were imported'
    WHERE total IS NULL AND status IN ('queued', 'running') AND created_at < now() - make_interval(secs => $1)
    RETURNING id, tenant_id, source
), notices AS (
    INSERT INTO notifications (id, tenant_id, job_id, channel)
    SELECT gen_random_uuid(), s.tenant_id, failed.id, ch.channel
    FROM failed JOIN notification_settings s ON s.tenant_id = failed.tenant_id
    CROSS JOIN LATERAL (VALUES ('email', cardinality(s.emails) > 0), ('webhook', s.webhook_url <> '')) AS ch (channel, wanted)
    WHERE failed.source = 'hris' AND ch.wanted
    ON CONFLICT (job_id, channel) DO NOTHING
)
SELECT count(*) FROM failed`

// FailStaleImports implements command.StaleImportStore.
func (s *Imports) FailStaleImports(ctx context.Context, olderThan time.Duration) (int, error) {
	var n int
	if err := s.pool.QueryRow(ctx, failStaleSQL, olderThan.Seconds()).Scan(&n); err != nil {
		return 0, fmt.Errorf("fail stale import jobs: %w", err)
	}
	return n, nil
}
