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
	if err := s.jobDetails(ctx, &j); err != nil {
		return query.ImportJob{}, fmt.Errorf("read import job: %w", err)
	}
	return j, nil
}

// jobDetailsSQL counts a job's failures and warnings per code.
const jobDetailsSQL = `SELECT severity, code, count(*) FROM import_failures WHERE job_id = $1 GROUP BY severity, code`

// jobWaitingSQL counts the job's queued messages that wait to be due (rows
// waiting for their manager's row, or retried) and those due now, on the
// PostgreSQL import queue (with another queue both are 0).
const jobWaitingSQL = `SELECT
    count(*) FILTER (WHERE (metadata->>'_watermill_delayed_until')::timestamptz > now()),
    count(*) FILTER (WHERE coalesce((metadata->>'_watermill_delayed_until')::timestamptz <= now(), true))
FROM watermill_imports WHERE tenant_id = $2 AND NOT acked AND metadata->>'job_id' = $1`

// jobDetails reads what the job row does not hold: the counts per code,
// the waiting messages, and the one reason when every row was rejected.
func (s *Imports) jobDetails(ctx context.Context, j *query.ImportJob) error {
	b := &pgx.Batch{}
	j.FailureCodes, j.WarningCodes = map[string]int{}, map[string]int{}
	b.Queue(jobDetailsSQL, j.ID).Query(func(rs pgx.Rows) error {
		var (
			severity, code string
			n              int
		)
		_, err := pgx.ForEachRow(rs, []any{&severity, &code, &n}, func() error {
			if severity == command.SeverityWarning {
				j.WarningCodes[code] += n
				j.Warnings += n
			} else {
				j.FailureCodes[code] += n
			}
			return nil
		})
		return err
	})
	var due int
	if !j.Finished() {
		b.Queue(jobWaitingSQL, j.ID, j.TenantID).QueryRow(func(row pgx.Row) error { return row.Scan(&j.Waiting, &due) })
	}
	if err := s.pool.SendBatch(ctx, b).Close(); err != nil {
		return err
	}
	if due > 0 {
		j.Waiting = 0 // rows are still being applied
	}
	if j.Total == nil || *j.Total == 0 || j.Rejected != *j.Total || len(j.FailureCodes) != 1 {
		return nil
	}
	var code, field, message string
	err := s.pool.QueryRow(ctx, `SELECT code, field, message FROM import_failures WHERE job_id = $1 AND severity = 'error'
		ORDER BY row_no, seq LIMIT 1`, j.ID).Scan(&code, &field, &message)
	if err != nil {
		return ignoreNoRows(err)
	}
	if n := j.FailureCodes[code]; n >= *j.Total {
		if field != "" {
			field = " " + field
		}
		j.OneReason = fmt.Sprintf("all %d rows were rejected for one reason:%s %s (%s)", *j.Total, field, message, code)
	}
	return nil
}

// ImportFailures implements query.ImportReader.
func (s *Imports) ImportFailures(ctx context.Context, q query.ListImportFailures) (query.FailurePage, error) {
	if _, err := s.ImportJob(ctx, q.TenantID, q.JobID); err != nil {
		return query.FailurePage{}, err
	}
	rows, err := s.pool.Query(ctx, failuresPageSQL, q.JobID, q.AfterRow, q.AfterSeq, q.Limit+1)
	if err != nil {
		return query.FailurePage{}, fmt.Errorf("read import failures: %w", err)
	}
	failures, err := pgx.CollectRows(rows, pgx.RowToStructByPos[query.ImportFailure])
	if err != nil {
		return query.FailurePage{}, fmt.Errorf("read import failures: %w", err)
	}
	page := query.FailurePage{Failures: failures, Done: true}
	if len(failures) > q.Limit {
		page = query.FailurePage{Failures: failures[:q.Limit]}
	}
	if q.WithSource {
		rows := make([]int, len(page.Failures))
		for i, f := range page.Failures {
			rows[i] = f.Row
		}
		cells, header, err := s.sourceRows(ctx, q.JobID, rows)
		if err != nil {
			return query.FailurePage{}, err
		}
		page.SourceHeader = header
		for i := range page.Failures {
			page.Failures[i].Source = cells[page.Failures[i].Row]
		}
	}
	return page, nil
}

// failuresPageSQL reads a page of failures and, for those pointing at a
// root row (a manager's row that was not imported), follows the chain of
// such rows to its end and adds that row's own reason.
const failuresPageSQL = `
WITH RECURSIVE page AS (
    SELECT row_no, seq, field, code, message, severity, value, external_id, email, root_row FROM import_failures
    WHERE job_id = $1 AND (row_no, seq) > ($2, $3) ORDER BY row_no, seq LIMIT $4
), chain (row_no, seq, root, depth) AS (
    SELECT row_no, seq, root_row, 0 FROM page WHERE root_row IS NOT NULL
    UNION ALL
    SELECT c.row_no, c.seq, f.root_row, c.depth + 1 FROM chain c
    JOIN import_failures f ON f.job_id = $1 AND f.row_no = c.root AND f.root_row IS NOT NULL AND f.severity = 'error'
    WHERE c.depth < 1000 AND f.root_row <> c.root
), roots AS (
    SELECT DISTINCT ON (row_no, seq) row_no, seq, root FROM chain ORDER BY row_no, seq, depth DESC
)
SELECT p.row_no, p.seq, p.field, p.code, p.message, p.severity, p.value, p.external_id, p.email,
       coalesce(r.root, 0), coalesce(rf.code, ''), coalesce(rf.message, '')
FROM page p LEFT JOIN roots r ON r.row_no = p.row_no AND r.seq = p.seq
LEFT JOIN LATERAL (SELECT f.code, f.message FROM import_failures f WHERE f.job_id = $1 AND f.row_no = r.root
                   AND f.severity = 'error' ORDER BY f.root_row IS NOT NULL, f.seq LIMIT 1) rf ON true
ORDER BY p.row_no, p.seq`

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
