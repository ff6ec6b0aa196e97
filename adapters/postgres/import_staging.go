package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/userservice/userservice/app/command"
)

// ImportStaging is the command.ImportStaging of uploads: the rows are
// COPYed into import_staging (migration 00012) as they are read, and
// everything that needs the whole file is done there, set-wise, so the
// process's memory does not grow with the file.
type ImportStaging struct{ pool *pgxpool.Pool }

// NewImportStaging returns the staging store on pool.
func NewImportStaging(pool *pgxpool.Pool) *ImportStaging { return &ImportStaging{pool: pool} }

var stagingColumns = []string{"job_id", "row_no", "ext_key", "email_key", "manager_key", "eligible", "row_data"}

// Stage implements command.ImportStaging.
func (s *ImportStaging) Stage(ctx context.Context, jobID string, rows command.RowReader) (int, map[int]int, error) {
	job, err := uuid.Parse(jobID)
	if err != nil {
		return 0, nil, fmt.Errorf("stage import rows: job id: %w", err)
	}
	n, managed, err := s.copyRows(ctx, job, rows)
	if err != nil {
		return 0, nil, err
	}
	// Statistics of what was just copied in (on its own, so the lock it
	// takes is not held through the checks): without them the planner
	// takes the table for empty and joins the rows with nested loops,
	// quadratic in the file. A small file is cheap whatever the plan.
	if n >= analyzeStagedRows {
		err := asImportUpload(ctx, s.pool, func(tx pgx.Tx) error {
			// The columns the checks join and filter on: row_data, the
			// widest, is never planned on.
			return analyzeSampled(ctx, tx, `ANALYZE import_staging (job_id, row_no, ext_key, email_key, manager_key, eligible)`)
		})
		if err != nil {
			return 0, nil, fmt.Errorf("stage import rows: %w", err)
		}
	}
	unordered := map[int]int{}
	err = asImportUpload(ctx, s.pool, func(tx pgx.Tx) error {
		b := &pgx.Batch{}
		// Hash joins for the duplicates and manager rows, whatever the
		// statistics say: a file below analyzeStagedRows is checked on
		// stale ones (an empty table, often), and the planner's nested loop
		// then ran the window once per row (1,000 rows took 4 to 6 s; the
		// time grows with the square of the rows).
		b.Queue(`SET LOCAL enable_nestloop = off`)
		b.Queue(duplicateSQL("ext_key", "external_id"), jobID, command.DuplicateCode, command.DuplicateExternalIDMessage)
		b.Queue(duplicateSQL("email_key", "email"), jobID, command.DuplicateCode, command.DuplicateEmailAddressMessage)
		if !managed {
			// No row names a manager: there are no reporting lines to
			// order, and every row stays at level 0. The walk below read
			// the whole job to find none (a third of a second at 100,000
			// rows).
			return tx.SendBatch(ctx, b).Close()
		}
		b.Queue(managerRowsSQL, jobID)
		// The levels walk the reporting lines by index: one lookup a row.
		b.Queue(`RESET enable_nestloop`)
		b.Queue(levelsSQL, jobID)
		if err := tx.SendBatch(ctx, b).Close(); err != nil {
			return err
		}
		rs, err := tx.Query(ctx, `UPDATE import_staging SET level = 2147483647 WHERE job_id = $1
			AND manager_row IS NOT NULL AND manager_row <> row_no AND level = 0 RETURNING row_no, manager_row`, jobID)
		if err != nil {
			return err
		}
		var row, manager int
		_, err = pgx.ForEachRow(rs, []any{&row, &manager}, func() error { unordered[row] = manager; return nil })
		return err
	})
	if err != nil {
		return 0, nil, fmt.Errorf("check staged import rows: %w", err)
	}
	return n, unordered, nil
}

// analyzeStagedRows is the file size from which staging refreshes the
// table's statistics before checking the rows.
const analyzeStagedRows = 5000

// stagingBatch is how many rows are read before they are copied in: the
// upload is read between copies, so a slow client holds no connection of
// the pool while it sends, and the process holds one batch of rows.
const stagingBatch = 2000

// copyRows copies the rows in, batch by batch, and tells whether an
// eligible row names a manager. A failure of the reader (the client's body:
// too large, cut off, over a budget) is returned as it is, for the port to
// answer.
//
// The next batch is read and encoded while the one before is copied: the
// upload's CPU (CSV, JSON) and the database's (COPY, the indexes) overlap
// instead of taking turns. The process holds two batches of rows at most.
func (s *ImportStaging) copyRows(ctx context.Context, job [16]byte, rows command.RowReader) (total int, managed bool, err error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	batches := make(chan [][]any, 1)
	read := make(chan error, 1)
	go func() {
		defer close(batches)
		read <- readStagingBatches(ctx, job, rows, batches, &managed)
	}()
	for batch := range batches {
		var n int64
		err := asImportUpload(ctx, s.pool, func(tx pgx.Tx) (err error) {
			n, err = tx.CopyFrom(ctx, pgx.Identifier{"import_staging"}, stagingColumns, pgx.CopyFromRows(batch))
			return err
		})
		if err != nil {
			cancel()
			for range batches { // the reader stops at the cancel
			}
			return 0, false, fmt.Errorf("stage import rows: %w", err)
		}
		total += int(n)
	}
	// The reader has closed batches: its result and managed are final.
	if err := <-read; err != nil {
		return 0, false, err
	}
	return total, managed, nil
}

// readStagingBatches reads rows into batches of stagingBatch staged rows
// and sends each to out, until the reader's io.EOF, its error or ctx's
// end; managed is set when an eligible row names a manager.
func readStagingBatches(ctx context.Context, job [16]byte, rows command.RowReader, out chan<- [][]any, managed *bool) error {
	for {
		batch := make([][]any, 0, stagingBatch)
		for len(batch) < stagingBatch {
			r, err := rows.Next()
			if errors.Is(err, io.EOF) {
				return sendBatch(ctx, out, batch)
			}
			if err != nil {
				return err
			}
			data, err := json.Marshal(r)
			if err != nil {
				return fmt.Errorf("encode import row %d: %w", r.Row, err)
			}
			ext, email, manager, eligible := command.StagingKeys(r)
			*managed = *managed || (eligible && manager != "")
			batch = append(batch, []any{job, r.Row, ext, email, manager, eligible, json.RawMessage(data)})
		}
		if err := sendBatch(ctx, out, batch); err != nil {
			return err
		}
	}
}

// sendBatch sends a batch that has rows, unless ctx ends first.
func sendBatch(ctx context.Context, out chan<- [][]any, batch [][]any) error {
	if len(batch) == 0 {
		return nil
	}
	select {
	case out <- batch:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// duplicateSQL rejects every row of a group sharing a key, each listing
// the group's first ten rows and its size (see command.DuplicateCode). A
// row that is itself in a group by its other key counts; a row rejected
// already keeps its rejection (the external id is checked first).
func duplicateSQL(key, field string) string {
	return `
UPDATE import_staging s SET rejection = jsonb_build_array(jsonb_build_object('row', s.row_no, 'field', '` + field + `',
    'code', $2::text, 'message', format($3::text, f.rows, f.n), 'value', s.` + key + `))
FROM (SELECT row_no, count(*) OVER w AS n,
             array_to_string((array_agg(row_no) OVER w)[1:10], ', ') || CASE WHEN count(*) OVER w > 10 THEN ', ...' ELSE '' END AS rows
      FROM import_staging WHERE job_id = $1 AND eligible AND ` + key + ` <> ''
      WINDOW w AS (PARTITION BY ` + key + ` ORDER BY row_no ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING)) f
WHERE s.job_id = $1 AND s.row_no = f.row_no AND f.n > 1 AND s.rejection IS NULL`
}

// managerRowsSQL points each row at the first row with its manager's
// external id.
const managerRowsSQL = `
UPDATE import_staging s SET manager_row = m.first
FROM (SELECT ext_key, min(row_no) AS first FROM import_staging
      WHERE job_id = $1 AND eligible AND ext_key <> '' GROUP BY ext_key) m
WHERE s.job_id = $1 AND s.eligible AND s.manager_key <> '' AND m.ext_key = s.manager_key`

// levelsSQL gives every row reachable from a row without a manager row its
// depth below it (rows without one stay at 0): queued by level, a
// manager's row always comes before its reports'. Each row is visited once.
const levelsSQL = `
WITH RECURSIVE lvl (row_no, level) AS (
    SELECT s.row_no, 1 FROM import_staging s JOIN import_staging m ON m.job_id = s.job_id AND m.row_no = s.manager_row
    WHERE s.job_id = $1 AND s.manager_row <> s.row_no AND (m.manager_row IS NULL OR m.manager_row = m.row_no)
    UNION ALL
    SELECT s.row_no, l.level + 1 FROM lvl l
    JOIN import_staging s ON s.job_id = $1 AND s.manager_row = l.row_no AND s.row_no <> l.row_no
)
UPDATE import_staging s SET level = lvl.level FROM lvl WHERE s.job_id = $1 AND s.row_no = lvl.row_no`

// Reject implements command.ImportStaging.
func (s *ImportStaging) Reject(ctx context.Context, jobID string, rejections map[int]command.Failure) error {
	var (
		rows                    []int
		fields, codes, messages []string
	)
	for n, f := range rejections {
		rows, fields, codes, messages = append(rows, n), append(fields, f.Field), append(codes, f.Code), append(messages, command.CapText(f.Message))
	}
	err := asImportUpload(ctx, s.pool, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `UPDATE import_staging s SET rejection = jsonb_build_array(jsonb_build_object('row', r.row_no,
			'field', r.field, 'code', r.code, 'message', r.message))
			FROM unnest($2::int[], $3::text[], $4::text[], $5::text[]) AS r (row_no, field, code, message)
			WHERE s.job_id = $1 AND s.row_no = r.row_no AND s.rejection IS NULL`, jobID, rows, fields, codes, messages)
		return err
	})
	if err != nil {
		return fmt.Errorf("reject staged import rows: %w", err)
	}
	return nil
}

// Each implements command.ImportStaging: a keyset read in queue order.
func (s *ImportStaging) Each(ctx context.Context, jobID string, batch int, f func([]command.ImportRow) error) error {
	level, after := -1, 0
	for {
		var out []command.ImportRow
		// Named the upload's, like the staging: the importer must not take
		// the read-back of the rows it is to apply for the API's work.
		err := asImportUpload(ctx, s.pool, func(tx pgx.Tx) error {
			rs, err := tx.Query(ctx, `SELECT row_no, level, row_data, rejection, CASE WHEN rejection IS NULL THEN manager_row END
				FROM import_staging WHERE job_id = $1 AND (level, row_no) > ($2, $3) ORDER BY level, row_no LIMIT $4`,
				jobID, level, after, batch)
			if err != nil {
				return err
			}
			var (
				n, l      int
				data, rej []byte
				manager   *int
			)
			_, err = pgx.ForEachRow(rs, []any{&n, &l, &data, &rej, &manager}, func() error {
				var r command.ImportRow
				if err := json.Unmarshal(data, &r); err != nil {
					return err
				}
				if rej != nil {
					r.Rejection = nil
					if err := json.Unmarshal(rej, &r.Rejection); err != nil {
						return err
					}
				}
				if manager != nil {
					r.ManagerRow = *manager
				}
				out = append(out, r)
				level, after = l, n
				return nil
			})
			return err
		})
		if err != nil {
			return fmt.Errorf("read staged import rows: %w", err)
		}
		if len(out) == 0 {
			return nil
		}
		if err := f(out); err != nil {
			return err
		}
	}
}

// Drop implements command.ImportStaging.
func (s *ImportStaging) Drop(ctx context.Context, jobID string) error {
	err := asImportUpload(ctx, s.pool, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `DELETE FROM import_staging WHERE job_id = $1`, jobID)
		return err
	})
	if err != nil {
		return fmt.Errorf("drop staged import rows: %w", err)
	}
	return nil
}
