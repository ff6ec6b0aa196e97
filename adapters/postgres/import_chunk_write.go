package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/userservice/userservice/adapters/personaldata"
	"github.com/userservice/userservice/adapters/projection"
	"github.com/userservice/userservice/app/command"
	"github.com/userservice/userservice/domain/user"
)

// The chunk's set-wise statements: each table is written by ONE statement
// whatever the number of rows, its values passed as arrays (or, for the
// read model, as JSON records typed by the table itself).
const (
	insertChunkCommandsSQL = `
INSERT INTO commands (tenant_id, command_id, type, source, actor, correlation_id, stream_id, payload, payload_hash, outcome)
SELECT $1, c.id, c.type, c.source, c.actor, c.correlation, c.stream, c.payload::jsonb, c.hash, c.outcome::jsonb
FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::uuid[], $8::text[], $9::bytea[], $10::text[])
     AS c (id, type, source, actor, correlation, stream, payload, hash, outcome)`

	insertChunkEventsSQL = `
INSERT INTO events (event_id, stream_id, tenant_id, version, type, data, occurred_at, command_id, correlation_id, actor, source)
SELECT e.id, e.stream, $1, e.version, e.type, e.data::jsonb, $2, e.command, e.correlation, e.actor, e.source
FROM unnest($3::uuid[], $4::uuid[], $5::int[], $6::text[], $7::text[], $8::text[], $9::text[], $10::text[], $11::text[])
     AS e (id, stream, version, type, data, command, correlation, actor, source)`

	insertChunkOutcomesSQL = `
INSERT INTO import_rows (job_id, row_no, outcome, user_id, detail)
SELECT $1, r.row_no, r.outcome, nullif(r.user_id, '')::uuid, r.detail
FROM unnest($2::int[], $3::text[], $4::text[], $5::text[]) AS r (row_no, outcome, user_id, detail)`

	countChunkSQL = `
INSERT INTO import_job_counts (job_id, shard, created_rows, updated_rows, unchanged_rows, skipped_rows, rejected_rows, parked_rows)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
ON CONFLICT (job_id, shard) DO UPDATE SET
    created_rows = import_job_counts.created_rows + EXCLUDED.created_rows,
    updated_rows = import_job_counts.updated_rows + EXCLUDED.updated_rows,
    unchanged_rows = import_job_counts.unchanged_rows + EXCLUDED.unchanged_rows,
    skipped_rows = import_job_counts.skipped_rows + EXCLUDED.skipped_rows,
    rejected_rows = import_job_counts.rejected_rows + EXCLUDED.rejected_rows,
    parked_rows = import_job_counts.parked_rows + EXCLUDED.parked_rows`
)

// The read model's set-wise statements take their column list from
// userRowColumns, the one definition of the users row: a column added
// there (and to userRow.values) is written by imports too.
var (
	insertChunkUsersSQL = `INSERT INTO users (` + strings.Join(userRowColumns, ", ") + `)
SELECT ` + strings.Join(userRowColumns, ", ") + ` FROM jsonb_populate_recordset(NULL::users, $1::jsonb)`

	// updateChunkUsersSQL is guarded, row by row, by the version the
	// chunk read: a user changed meanwhile is not updated, and the chunk
	// starts over.
	updateChunkUsersSQL = `UPDATE users u SET (` + strings.Join(updatedUserColumns(), ", ") + `) = (` +
		strings.Join(prefixed("v.", updatedUserColumns()), ", ") + `)
FROM jsonb_populate_recordset(NULL::users, $1::jsonb) WITH ORDINALITY AS v
JOIN unnest($2::int[]) WITH ORDINALITY AS p (prev, n) ON p.n = v.ordinality
WHERE u.id = v.id AND u.tenant_id = v.tenant_id AND u.version = p.prev`
)

// updatedUserColumns are the columns an update writes: all but the key and
// created_at.
func updatedUserColumns() []string {
	return slices.DeleteFunc(slices.Clone(userRowColumns), func(c string) bool {
		return c == "id" || c == "tenant_id" || c == "created_at"
	})
}

func prefixed(p string, cols []string) []string {
	out := make([]string, len(cols))
	for i, c := range cols {
		out[i] = p + c
	}
	return out
}

// chunkWrite collects a chunk's rows for its statements.
type chunkWrite struct {
	cmdID, cmdType, cmdSource, cmdActor, cmdCorrelation, cmdPayload, cmdOutcome []string
	cmdStream                                                                   [][16]byte
	cmdHash                                                                     [][]byte

	evID, evStream                                       [][16]byte
	evVersion                                            []int
	evType, evData, evCommand, evCorr, evActor, evSource []string
	outbox                                               map[int][]projection.Event

	// streams are the users the chunk writes, in order, with the version
	// each had when read (0: new) and the row after the chunk.
	streams []user.ID
	prev    map[user.ID]int
	rows    map[user.ID]*userRow

	outRow                           []int
	outOutcome, outUserID, outDetail []string
	fails                            failureColumns
	counts                           map[command.Outcome]int
	replaced                         []int
	keys                             *personaldata.ChunkKeys // nil: stored in clear
}

// write queues the plan's statements in ONE batch (one round trip) on tx
// and returns the outbox shards it wrote to.
func (s *ImportChunks) write(ctx context.Context, tx pgx.Tx, k command.ChunkKeys, plan command.ChunkPlan, now time.Time) (map[int]bool, error) {
	w := &chunkWrite{outbox: map[int][]projection.Event{}, prev: map[user.ID]int{}, rows: map[user.ID]*userRow{},
		counts: map[command.Outcome]int{}}
	var err error
	if w.keys, err = s.chunkKeys(ctx, tx, k.TenantID, plan); err != nil {
		return nil, err
	}
	for _, r := range plan.Rows {
		if r.Duplicate {
			continue
		}
		if err := w.add(r, now); err != nil {
			return nil, err
		}
	}
	if len(w.outRow) == 0 {
		return nil, nil
	}
	b := &pgx.Batch{}
	if err := w.queue(ctx, b, k, s); err != nil {
		return nil, err
	}
	net, peak := seatSteps(plan)
	switch {
	case peak > 0:
		// The chunk's seats fit if its busiest moment fits: then every
		// row's own check holds on the count as it is now.
		b.Queue(`UPDATE tenants SET seats_used = seats_used + $2 WHERE id = $1 AND seats_used + $3 <= seat_limit`,
			k.TenantID, net, peak).Exec(expectRows(1))
	case net < 0:
		b.Queue(freeSeatsSQL, k.TenantID, net)
	}
	if err := tx.SendBatch(ctx, b).Close(); err != nil {
		return nil, fmt.Errorf("write import chunk: %w", err)
	}
	shards := map[int]bool{}
	for shard := range w.outbox {
		shards[shard] = true
	}
	return shards, nil
}

// add collects one row's writes.
func (w *chunkWrite) add(r command.PlannedRow, now time.Time) error {
	o := r.Outcome
	w.outRow = append(w.outRow, o.Row)
	w.outOutcome = append(w.outOutcome, string(o.Outcome))
	w.outUserID = append(w.outUserID, o.UserID)
	w.outDetail = append(w.outDetail, command.CapText(o.Detail))
	w.counts[o.Outcome]++
	if r.ReplacesParked {
		w.replaced = append(w.replaced, o.Row)
	}
	for i, f := range o.Failures {
		w.fails.add(o.Row, i+1, f)
	}
	c := r.Command
	if c == nil {
		return nil
	}
	payload, hash, err := commandPayload(c.Execution)
	if err != nil {
		return err
	}
	next, stored, err := prepareEvents(c.Execution, c.Current, c.Events, now)
	if err != nil {
		return err
	}
	if err := sealEvents(chunkSealer(w.keys), stored); err != nil {
		return err
	}
	out, err := json.Marshal(outcome{User: toSnapshotJSON(next.Snapshot())})
	if err != nil {
		return fmt.Errorf("encode outcome: %w", err)
	}
	w.cmdID, w.cmdType, w.cmdSource = append(w.cmdID, c.CommandID), append(w.cmdType, c.Type), append(w.cmdSource, string(c.Source))
	w.cmdActor, w.cmdCorrelation = append(w.cmdActor, c.Actor), append(w.cmdCorrelation, c.CorrelationID)
	w.cmdStream, w.cmdPayload = append(w.cmdStream, c.StreamID), append(w.cmdPayload, string(payload))
	w.cmdHash, w.cmdOutcome = append(w.cmdHash, hash), append(w.cmdOutcome, string(out))

	row, seen := w.rows[c.StreamID]
	if !seen {
		w.streams = append(w.streams, c.StreamID)
		if c.Current != nil {
			row = &userRow{Snapshot: c.Current.Snapshot()}
			w.prev[c.StreamID] = c.Current.Version()
		}
	}
	for _, e := range stored {
		id, err := uuid.Parse(e.ID)
		if err != nil {
			return fmt.Errorf("event id: %w", err)
		}
		w.evID, w.evStream, w.evVersion = append(w.evID, id), append(w.evStream, e.StreamID), append(w.evVersion, e.Version)
		w.evType, w.evData, w.evCommand = append(w.evType, e.Type), append(w.evData, string(e.Data)), append(w.evCommand, e.CommandID)
		w.evCorr, w.evActor, w.evSource = append(w.evCorr, e.CorrelationID), append(w.evActor, e.Actor), append(w.evSource, e.Source)
		shard := OutboxShard(e.StreamID)
		w.outbox[shard] = append(w.outbox[shard], e)
		nextRow, _, err := applyUserEvent(row, e)
		if err != nil {
			return err
		}
		row = &nextRow
	}
	w.rows[c.StreamID] = row
	return nil
}

// queue queues the statements of every table but the tenant's seats.
func (w *chunkWrite) queue(ctx context.Context, b *pgx.Batch, k command.ChunkKeys, s *ImportChunks) error {
	var inserts, updates []*userRow
	var prevVersions []int
	for _, id := range w.streams {
		if v, ok := w.prev[id]; ok {
			updates, prevVersions = append(updates, w.rows[id]), append(prevVersions, v)
		} else {
			inserts = append(inserts, w.rows[id])
		}
	}
	if len(inserts) > 0 && len(updates) > 0 {
		// Updates go first (they may free an e-mail address a new user
		// takes), and may name a new user as manager: checked at commit.
		b.Queue(`SET CONSTRAINTS users_manager_fkey DEFERRED`)
	}
	if len(w.cmdID) > 0 {
		b.Queue(insertChunkCommandsSQL, k.TenantID, w.cmdID, w.cmdType, w.cmdSource, w.cmdActor, w.cmdCorrelation,
			w.cmdStream, w.cmdPayload, w.cmdHash, w.cmdOutcome)
	}
	if len(w.evID) > 0 {
		occurred := time.Time{}
		for _, es := range w.outbox {
			occurred = es[0].OccurredAt
			break
		}
		b.Queue(insertChunkEventsSQL, k.TenantID, occurred, w.evID, w.evStream, w.evVersion, w.evType, w.evData,
			w.evCommand, w.evCorr, w.evActor, w.evSource)
		w.keys.QueueNewKeys(b)
	}
	if len(updates) > 0 {
		doc, err := userRowsJSON(updates)
		if err != nil {
			return err
		}
		b.Queue(updateChunkUsersSQL, doc, prevVersions).Exec(expectRows(len(updates)))
	}
	if len(inserts) > 0 {
		doc, err := userRowsJSON(inserts)
		if err != nil {
			return err
		}
		b.Queue(insertChunkUsersSQL, doc)
	}
	for _, shard := range sortedShards(w.outbox) {
		if err := queueOutbox(ctx, b, s.logger, w.outbox[shard]); err != nil {
			return err
		}
	}
	if len(w.replaced) > 0 {
		// A retried parked row's final outcome replaces "parked" (its
		// failures go with it).
		b.Queue(`DELETE FROM import_rows WHERE job_id = $1 AND row_no = ANY($2) AND outcome = 'parked'`, k.JobID, w.replaced).
			Exec(expectRows(len(w.replaced)))
	}
	b.Queue(insertChunkOutcomesSQL, k.JobID, w.outRow, w.outOutcome, w.outUserID, w.outDetail)
	if len(w.fails.row) > 0 {
		b.Queue(insertFailuresSQL, w.fails.args(k.JobID)...)
	}
	c := w.counts
	// One of 16 counter rows per job, by the chunk's first row: concurrent
	// chunks rarely wait for each other's commit.
	b.Queue(countChunkSQL, k.JobID, k.Rows[0]%countShards, c[command.OutcomeCreated], c[command.OutcomeUpdated],
		c[command.OutcomeUnchanged], c[command.OutcomeSkipped], c[command.OutcomeRejected],
		c[command.OutcomeParked]-len(w.replaced))
	// The job row is locked only by the job's first chunk.
	b.Queue(`UPDATE import_jobs SET status = 'running', started_at = now() WHERE id = $1 AND status = 'queued'`, k.JobID)
	return nil
}

// expectRows turns a statement that changed another number of rows than n
// into errChunkConflict: a concurrent writer changed what the chunk read.
func expectRows(n int) func(pgconn.CommandTag) error {
	return func(ct pgconn.CommandTag) error {
		if ct.RowsAffected() != int64(n) {
			return fmt.Errorf("%w: %d rows changed, %d expected", errChunkConflict, ct.RowsAffected(), n)
		}
		return nil
	}
}

// userRowsJSON encodes rows as JSON records keyed by userRowColumns, for
// jsonb_populate_recordset. Written out here rather than through a map per
// row and json.Marshal, which sorted every row's keys and reflected on each
// value: a third of the importer's CPU at 100,000 new users went to JSON,
// half of it here. A value of a type not listed goes through json.Marshal.
func userRowsJSON(rows []*userRow) ([]byte, error) {
	buf := make([]byte, 0, 512*len(rows))
	buf = append(buf, '[')
	for i, r := range rows {
		if i > 0 {
			buf = append(buf, ',')
		}
		buf = append(buf, '{')
		for j, v := range r.values() {
			if j > 0 {
				buf = append(buf, ',')
			}
			buf = append(buf, userRowKeys[j]...)
			var err error
			if buf, err = appendJSONValue(buf, v); err != nil {
				return nil, fmt.Errorf("encode users: %s: %w", userRowColumns[j], err)
			}
		}
		buf = append(buf, '}')
	}
	return append(buf, ']'), nil
}

// userRowKeys are userRowColumns as JSON object keys with their colon.
var userRowKeys = func() [][]byte {
	keys := make([][]byte, len(userRowColumns))
	for i, c := range userRowColumns {
		keys[i] = append(strconv.AppendQuote(nil, c), ':')
	}
	return keys
}()

// appendJSONValue appends v as json.Marshal encodes it.
func appendJSONValue(buf []byte, v any) ([]byte, error) {
	switch v := v.(type) {
	case string:
		return appendJSONString(buf, v)
	case *string:
		if v == nil {
			return append(buf, "null"...), nil
		}
		return appendJSONString(buf, *v)
	case user.ID:
		return appendJSONString(buf, v.String())
	case int:
		return strconv.AppendInt(buf, int64(v), 10), nil
	case time.Time:
		buf = append(buf, '"')
		buf = v.AppendFormat(buf, time.RFC3339Nano)
		return append(buf, '"'), nil
	case json.RawMessage:
		if v == nil {
			return append(buf, "null"...), nil
		}
		return append(buf, v...), nil
	}
	data, err := json.Marshal(v)
	return append(buf, data...), err
}

// appendJSONString appends s as a JSON string: as it is between quotes
// when it is printable ASCII with nothing to escape (names, addresses,
// ids), else through json.Marshal.
func appendJSONString(buf []byte, s string) ([]byte, error) {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f || c == '"' || c == '\\' {
			data, err := json.Marshal(s)
			return append(buf, data...), err
		}
	}
	buf = append(buf, '"')
	buf = append(buf, s...)
	return append(buf, '"'), nil
}

func sortedShards(m map[int][]projection.Event) []int {
	out := make([]int, 0, len(m))
	for s := range m {
		out = append(out, s)
	}
	slices.Sort(out)
	return out
}
