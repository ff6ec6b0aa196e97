package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/userservice/userservice/app/command"
	"github.com/userservice/userservice/app/query"
)

// Imports stores import jobs, their rows' outcomes and failures, and reads
// them back.
type Imports struct{ pool *pgxpool.Pool }

// NewImports returns the store on pool.
func NewImports(pool *pgxpool.Pool) *Imports { return &Imports{pool: pool} }

// outcomeColumns maps each outcome to its counter in import_jobs.
var outcomeColumns = map[command.Outcome]string{
	command.OutcomeCreated: "created_rows", command.OutcomeUpdated: "updated_rows",
	command.OutcomeUnchanged: "unchanged_rows", command.OutcomeSkipped: "skipped_rows",
	command.OutcomeRejected: "rejected_rows", command.OutcomeParked: "parked_rows",
}

const processedSQL = `created_rows + updated_rows + unchanged_rows + skipped_rows + rejected_rows + parked_rows`

// RowOutcome returns the recorded outcome of a row, if any.
func (s *Imports) RowOutcome(ctx context.Context, jobID string, row int) (command.Outcome, bool, error) {
	if _, err := uuid.Parse(jobID); err != nil {
		return "", false, nil // no such job: recording the row will say so
	}
	var o string
	err := s.pool.QueryRow(ctx, `SELECT outcome FROM import_rows WHERE job_id = $1 AND row_no = $2`, jobID, row).Scan(&o)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("read row outcome: %w", err)
	}
	return command.Outcome(o), true, nil
}

// RecordRowOutcome implements command.ImportRowStore, in one short
// transaction: the row's outcome (at most one per row: the primary key
// settles concurrent deliveries), its failures and the job's counters; then,
// for the job's last row, the job's end and its notices.
func (s *Imports) RecordRowOutcome(ctx context.Context, o command.RowOutcome) (recorded bool, err error) {
	column, ok := outcomeColumns[o.Outcome]
	if !ok {
		return false, fmt.Errorf("unknown outcome %q", o.Outcome)
	}
	if _, err := uuid.Parse(o.JobID); err != nil {
		return false, query.ErrImportNotFound
	}
	var parked []byte
	if o.Parked != nil {
		if parked, err = json.Marshal(o.Parked); err != nil {
			return false, fmt.Errorf("encode parked row: %w", err)
		}
	}
	var userID *string
	if o.UserID != "" {
		userID = &o.UserID
	}
	// The common case, a row's first outcome, is one statement.
	var fails failureColumns
	for i, f := range o.Failures {
		fails.add(o.Row, i+1, f)
	}
	var jobs, inserted int
	shard := o.Row % countShards
	args := append([]any{o.JobID, o.TenantID, o.Row, string(o.Outcome), userID, o.Detail, parked, shard},
		fails.args(o.JobID)[1:]...)
	err = s.pool.QueryRow(ctx, firstOutcomeSQL(column), args...).Scan(&jobs, &inserted)
	switch {
	case err != nil:
		return false, importError(err)
	case jobs == 0:
		return false, query.ErrImportNotFound
	case inserted == 1:
		return true, s.finishIfDone(ctx, o.JobID)
	}
	// The row has an outcome: a redelivery, or the final outcome of a parked row.
	err = inTx(ctx, s.pool, func(tx pgx.Tx) error {
		// Inserting through the job row checks that the job is the tenant's.
		tag, err := tx.Exec(ctx, `INSERT INTO import_rows (job_id, row_no, outcome, user_id, detail, parked_row)
			SELECT id, $2, $3, $4, $5, $6 FROM import_jobs WHERE id = $1 AND tenant_id::text = $7
			ON CONFLICT (job_id, row_no) DO NOTHING`,
			o.JobID, o.Row, string(o.Outcome), userID, o.Detail, parked, o.TenantID)
		if err != nil {
			return importError(err)
		}
		wasParked := false
		if tag.RowsAffected() == 0 {
			var prev string
			err := tx.QueryRow(ctx, `SELECT r.outcome FROM import_rows r JOIN import_jobs j ON j.id = r.job_id
				WHERE r.job_id = $1 AND r.row_no = $2 AND j.tenant_id::text = $3 FOR UPDATE OF r`,
				o.JobID, o.Row, o.TenantID).Scan(&prev)
			if errors.Is(err, pgx.ErrNoRows) {
				return query.ErrImportNotFound
			}
			if err != nil {
				return fmt.Errorf("read row outcome: %w", err)
			}
			if prev != string(command.OutcomeParked) || o.Outcome == command.OutcomeParked {
				return nil // the row has its outcome: a redelivery changes nothing
			}
			wasParked = true
			if _, err := tx.Exec(ctx, `UPDATE import_rows SET outcome = $3, user_id = $4, detail = $5,
				parked_row = NULL, recorded_at = now() WHERE job_id = $1 AND row_no = $2`,
				o.JobID, o.Row, string(o.Outcome), userID, o.Detail); err != nil {
				return fmt.Errorf("replace parked outcome: %w", err)
			}
		}
		if err := insertFailures(ctx, tx, o); err != nil {
			return err
		}
		set := column + ` = import_job_counts.` + column + ` + 1`
		if wasParked {
			set += `, parked_rows = import_job_counts.parked_rows - 1`
		}
		// One of 16 counter rows per job: concurrent outcomes rarely wait
		// for each other's commit.
		_, err = tx.Exec(ctx, `INSERT INTO import_job_counts (job_id, shard, `+column+`) VALUES ($1, $2, 1)
			ON CONFLICT (job_id, shard) DO UPDATE SET `+set, o.JobID, shard)
		if err != nil {
			return importError(err)
		}
		// The job row is locked only by the first outcome.
		_, err = tx.Exec(ctx, `UPDATE import_jobs SET status = 'running', started_at = now()
			WHERE id = $1 AND tenant_id = $2 AND status = 'queued'`, o.JobID, o.TenantID)
		if err != nil {
			return fmt.Errorf("start import job: %w", err)
		}
		recorded = true
		return nil
	})
	if err != nil {
		return false, err
	}
	return recorded, s.finishIfDone(ctx, o.JobID)
}

// finishIfDone is checked after the commit, so the last of several
// concurrent outcomes sees them all; a crash before it is made good by the
// redelivery of the row, which checks again.
func (s *Imports) finishIfDone(ctx context.Context, jobID string) error {
	return finishIfDone(ctx, s.pool, jobID)
}

// countShards is the number of counter rows per job (migration 00003).
const countShards = 16

// firstOutcomeSQL records a row's first outcome, its failures and its count
// in one statement (one round trip, one short transaction), through the job
// row so that a job of another tenant records nothing. It returns whether
// the job is the tenant's and whether the row was new. The job row is locked
// only by the job's first outcome (queued to running).
func firstOutcomeSQL(column string) string {
	return `
WITH job AS (SELECT id FROM import_jobs WHERE id = $1 AND tenant_id::text = $2),
ins AS (
    INSERT INTO import_rows (job_id, row_no, outcome, user_id, detail, parked_row)
    SELECT id, $3, $4, $5, $6, $7 FROM job
    ON CONFLICT (job_id, row_no) DO NOTHING RETURNING job_id
), fail AS (
    INSERT INTO import_failures (` + failureColumnList + `)
    SELECT ins.job_id, x.row_no, x.seq, x.field, x.code, x.message, x.severity, x.value, x.external_id, x.email, nullif(x.root_row, 0)
    FROM ins, unnest($9::int[], $10::int[], $11::text[], $12::text[], $13::text[], $14::text[], $15::text[], $16::text[],
        $17::text[], $18::int[]) AS x (` + failureUnnestList + `)
), cnt AS (
    INSERT INTO import_job_counts (job_id, shard, ` + column + `) SELECT job_id, $8, 1 FROM ins
    ON CONFLICT (job_id, shard) DO UPDATE SET ` + column + ` = import_job_counts.` + column + ` + 1
), started AS (
    UPDATE import_jobs SET status = 'running', started_at = now() WHERE id IN (SELECT job_id FROM ins) AND status = 'queued'
)
SELECT (SELECT count(*) FROM job), (SELECT count(*) FROM ins)`
}

func insertFailures(ctx context.Context, tx pgx.Tx, o command.RowOutcome) error {
	if len(o.Failures) == 0 {
		return nil
	}
	b := &pgx.Batch{}
	b.Queue(`DELETE FROM import_failures WHERE job_id = $1 AND row_no = $2`, o.JobID, o.Row)
	var fails failureColumns
	for i, f := range o.Failures {
		fails.add(o.Row, i+1, f)
	}
	b.Queue(insertFailuresSQL, fails.args(o.JobID)...)
	if err := tx.SendBatch(ctx, b).Close(); err != nil {
		return fmt.Errorf("record failures: %w", err)
	}
	return nil
}

// The columns of import_failures, and their names in an unnest of arrays.
const (
	failureColumnList = `job_id, row_no, seq, field, code, message, severity, value, external_id, email, root_row`
	failureUnnestList = `row_no, seq, field, code, message, severity, value, external_id, email, root_row`
)

// insertFailuresSQL inserts a set of failures with one statement.
const insertFailuresSQL = `
INSERT INTO import_failures (` + failureColumnList + `)
SELECT $1, f.row_no, f.seq, f.field, f.code, f.message, f.severity, f.value, f.external_id, f.email, nullif(f.root_row, 0)
FROM unnest($2::int[], $3::int[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[], $10::text[],
    $11::int[]) AS f (` + failureUnnestList + `)`

// failureColumns collects failures as the arrays insertFailuresSQL takes.
type failureColumns struct {
	row, seq, root                                           []int
	field, code, message, severity, value, externalID, email []string
}

func (c *failureColumns) add(row, seq int, f command.Failure) {
	severity := f.Severity
	if severity == "" {
		severity = command.SeverityError
	}
	c.row, c.seq, c.root = append(c.row, row), append(c.seq, seq), append(c.root, f.RootRow)
	c.field, c.code, c.message = append(c.field, f.Field), append(c.code, f.Code), append(c.message, command.CapText(f.Message))
	c.severity, c.value = append(c.severity, severity), append(c.value, command.CapText(f.Value))
	c.externalID, c.email = append(c.externalID, command.CapText(f.ExternalID)), append(c.email, command.CapText(f.Email))
}

// args are insertFailuresSQL's arguments, the job's first.
func (c *failureColumns) args(jobID string) []any {
	return []any{jobID, c.row, c.seq, c.field, c.code, c.message, c.severity, c.value, c.externalID, c.email, c.root}
}
