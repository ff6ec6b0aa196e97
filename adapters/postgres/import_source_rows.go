package postgres

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// KeepSourceRows implements command.ImportSourceKeeper: the header on the
// job and each staged row's original cells (migration 00017), copied where
// the rows are, in one transaction.
func (s *Imports) KeepSourceRows(ctx context.Context, jobID string, header []string) error {
	h, err := json.Marshal(header)
	if err != nil {
		return err
	}
	return inTx(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `UPDATE import_jobs SET source_header = $2 WHERE id = $1`, jobID, h); err != nil {
			return fmt.Errorf("keep the header: %w", err)
		}
		_, err := tx.Exec(ctx, `INSERT INTO import_source_rows (job_id, row_no, cells)
			SELECT job_id, row_no, row_data->'raw' FROM import_staging WHERE job_id = $1 AND row_data ? 'raw'`, jobID)
		return err
	})
}

// sourceRowsSQL reads, for the failures of a page, the original cells of
// their rows and the job's header.
const sourceRowsSQL = `SELECT r.row_no, r.cells, j.source_header FROM import_jobs j
LEFT JOIN import_source_rows r ON r.job_id = j.id AND r.row_no = ANY($2)
WHERE j.id = $1`

// sourceRows adds the original cells to failures, and returns the header
// (nil when the job did not keep its rows).
func (s *Imports) sourceRows(ctx context.Context, jobID string, rows []int) (map[int][]string, []string, error) {
	rs, err := s.pool.Query(ctx, sourceRowsSQL, jobID, rows)
	if err != nil {
		return nil, nil, fmt.Errorf("read original rows: %w", err)
	}
	cells := map[int][]string{}
	var header []string
	var (
		n         *int
		c, h      []byte
		decodeErr error
	)
	_, err = pgx.ForEachRow(rs, []any{&n, &c, &h}, func() error {
		if header == nil && h != nil {
			decodeErr = json.Unmarshal(h, &header)
		}
		if n != nil {
			var row []string
			if err := json.Unmarshal(c, &row); err != nil {
				return err
			}
			cells[*n] = row
		}
		return decodeErr
	})
	if err != nil {
		return nil, nil, fmt.Errorf("read original rows: %w", err)
	}
	return cells, header, nil
}
