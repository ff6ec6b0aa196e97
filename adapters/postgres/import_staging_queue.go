package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/userservice/userservice/app/command"
)

// QueueingImportStaging is the staging store of the PostgreSQL import
// queue: besides staging, it queues a job's rows (command.StagedRowsQueue)
// with INSERT ... SELECT from import_staging into watermill_imports, so the
// rows never travel through the process between the two tables. The
// messages are the import message contract's chunks (version 2, see
// ports/messages): the same rows in the same order and chunks as reading
// the rows back and publishing them would give.
type QueueingImportStaging struct {
	*ImportStaging
	chunkRows int
	chunkID   func(jobID string, firstRow int) string
	yield     Admitter
}

// Admitter admits a unit of background work: Admit returns when it may
// run, and release is called once it has (messages.APIFirst: the API
// first).
type Admitter interface {
	Admit(ctx context.Context) (release func(), err error)
}

// busyTeller is an Admitter that also says whether the API is busy now
// (messages.APIFirst): while it is, the queueing's INSERTs are smaller.
type busyTeller interface {
	Busy(ctx context.Context) bool
}

// YieldBetweenBatches makes QueueStaged ask y before each of its INSERTs
// but the first (nil: never). The queueing of a large upload runs on the
// api process while the importer already applies its first chunks: in the
// full bench the API's p99 during the queueing of a million rows was 2.25×
// its idle p99 (a 5,000-row INSERT every ~200 ms, beside the API), while
// the importer's chunks already yielded.
func (s *QueueingImportStaging) YieldBetweenBatches(y Admitter) { s.yield = y }

// NewQueueingImportStaging returns the staging store on pool that queues
// chunks of up to chunkRows rows, each with the message id chunkID gives
// (the contract's, messages.ChunkMessageID).
func NewQueueingImportStaging(pool *pgxpool.Pool, chunkRows int, chunkID func(jobID string, firstRow int) string) (*QueueingImportStaging, error) {
	if pool == nil || chunkRows < 1 || chunkID == nil {
		return nil, errors.New("postgres.NewQueueingImportStaging: nil pool or id func, or chunkRows < 1")
	}
	return &QueueingImportStaging{ImportStaging: NewImportStaging(pool), chunkRows: chunkRows, chunkID: chunkID}, nil
}

// stagedQueueChunks is how many chunks one INSERT queues: each commits on
// its own, so the importer starts on the first chunks while the rest are
// still being queued, and no statement holds a long transaction open.
const stagedQueueChunks = 20

// firstQueuedChunks is how many chunks the first INSERT queues: a few
// (one per default importer consumer), so the importer starts on them
// while the next, larger INSERTs are still building their chunks, rather
// than after twenty chunks' worth of work.
const firstQueuedChunks = 4

// busyQueuedChunks is how many chunks an INSERT queues while the API is
// busy: a 1,000-row INSERT takes about 40 ms on the bench machine, a
// 5,000-row one about 200, and a request that meets one waits for a core
// that long.
const busyQueuedChunks = 4

// QueueStaged implements command.StagedRowsQueue. Each batch costs two
// round trips: the queue order's keys of the next rows (two integers a
// row, from the order index), from which the chunks' bounds and message ids
// are computed here, then the INSERT of those chunks.
func (s *QueueingImportStaging) QueueStaged(ctx context.Context, job command.NewImportJob) (int, error) {
	type key = stagedKey
	queued, after := 0, key{level: -1}
	for {
		// Sized before the wait: a pause ends early at the API's first quiet
		// moment, which says little about the next one.
		limit := s.chunkRows * s.batchChunks(ctx, queued)
		release := func() {}
		if queued > 0 && s.yield != nil {
			var err error
			if release, err = s.yield.Admit(ctx); err != nil {
				return queued, fmt.Errorf("queue staged import rows: %w", err)
			}
		}
		var keys []key
		// The keys' read and the insert in one transaction named the
		// upload's: the importer must not take either for the API's work.
		err := asImportUpload(ctx, s.pool, func(tx pgx.Tx) error {
			rs, err := tx.Query(ctx, `SELECT level, row_no FROM import_staging
				WHERE job_id = $1 AND (level, row_no) > ($2, $3) ORDER BY level, row_no LIMIT $4`,
				job.ID, after.level, after.row, limit)
			if err != nil {
				return err
			}
			var k key
			if _, err := pgx.ForEachRow(rs, []any{&k.level, &k.row}, func() error { keys = append(keys, k); return nil }); err != nil {
				return err
			}
			if len(keys) == 0 {
				return nil
			}
			ids, from, to, rows := s.chunkBounds(job.ID, keys)
			_, err = tx.Exec(ctx, queueStagedSQL, job.ID, job.TenantID, string(job.Source), ids, from, to, rows,
				string(job.MissingManager))
			return err
		})
		release()
		if err != nil {
			return queued, fmt.Errorf("queue staged import rows: %w", err)
		}
		queued += len(keys)
		if len(keys) < limit {
			// The last batch: no read of an empty one, no yield before it.
			return queued, nil
		}
		after = keys[len(keys)-1]
	}
}

// batchChunks is how many chunks the next INSERT queues, after queued
// rows: the first few, then stagedQueueChunks, or busyQueuedChunks while
// the API is busy. Every batch is whole chunks, so the chunks are the same
// however the batches fall.
func (s *QueueingImportStaging) batchChunks(ctx context.Context, queued int) int {
	if queued == 0 {
		return firstQueuedChunks
	}
	if b, ok := s.yield.(busyTeller); ok && b.Busy(ctx) {
		return busyQueuedChunks
	}
	return stagedQueueChunks
}

// chunkBounds cuts keys (in queue order) into chunks: each chunk's message
// id, its first and last position in keys (1-based, for a SQL array slice),
// and the keys' row numbers.
func (s *QueueingImportStaging) chunkBounds(jobID string, keys []stagedKey) (ids []string, from, to, rows []int) {
	n := (len(keys) + s.chunkRows - 1) / s.chunkRows
	ids, rows = make([]string, 0, n), make([]int, len(keys))
	from, to = make([]int, 0, n), make([]int, 0, n)
	for i, k := range keys {
		rows[i] = k.row
	}
	for i := 0; i < len(keys); i += s.chunkRows {
		ids = append(ids, s.chunkID(jobID, keys[i].row))
		from, to = append(from, i+1), append(to, min(i+s.chunkRows, len(keys)))
	}
	return ids, from, to, rows
}

// stagedKey is a staged row's place in the queue order.
type stagedKey struct{ level, row int }

// queueStagedSQL inserts one message per chunk, in queue order (the
// queue's offsets and fair keys follow the insert order). $7 are the rows'
// numbers in queue order; chunk n is $7[$5[n]:$6[n]], its rows looked up by
// primary key (a range of the queue order, or a join, was planned as a scan
// of the job's rows per chunk). A row's payload is its staged record with
// the staging's verdicts laid over it: a rejection found there replaces the
// row's own, and a row without one points at its manager's row. The
// chunk carries the job's missing_manager policy ($8). The metadata are
// those of messages.newImportMessage: the job, the tenant, the
// first row, the correlation id and the partition key (tenant and the first
// row's external id, else its e-mail address).
const queueStagedSQL = `
INSERT INTO watermill_imports (uuid, payload, metadata)
SELECT c.id,
    json_build_object('v', 2, 'job_id', $1::text, 'tenant_id', $2::text, 'source', $3::text, 'rows', r.rows,
        'missing_manager', $8::text),
    json_build_object('job_id', $1::text, 'tenant_id', $2::text, 'row', r.first_row::text,
        'correlation_id', $1::text, 'partition_key', $2::text || ':' || r.first_key)
FROM unnest($4::text[], $5::int[], $6::int[]) WITH ORDINALITY AS c (id, lo, hi, n)
CROSS JOIN LATERAL (
    SELECT jsonb_agg((s.row_data - 'raw') || jsonb_strip_nulls(jsonb_build_object('rejection', s.rejection,
            'manager_row', CASE WHEN s.rejection IS NULL THEN s.manager_row END))
        ORDER BY s.level, s.row_no) AS rows,
        (array_agg(s.row_no ORDER BY s.level, s.row_no))[1] AS first_row,
        (array_agg(coalesce(nullif(s.row_data->'fields'->>'external_id', ''), s.row_data->'fields'->>'email', '')
            ORDER BY s.level, s.row_no))[1] AS first_key
    FROM import_staging s
    WHERE s.job_id = $1 AND s.row_no = ANY (($7::int[])[c.lo:c.hi])
) r
ORDER BY c.n`
