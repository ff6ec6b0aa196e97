package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/userservice/userservice/app/command"
	"github.com/userservice/userservice/app/query"
	"github.com/userservice/userservice/domain/user"
)

// The chunk's lookups probe a unique index once per key: each key joins a
// LATERAL subquery kept apart by OFFSET 0 (so it is not pulled up into a
// join), whose equality on the whole key costs one row. Written as
// "key = ANY($n)", they were planned from the tenant's estimated size: a
// tenant that a running import grows, or one new since the last ANALYZE,
// is estimated at a few hundred rows, and the plan read ALL of its users
// (or commands) and filtered them, on every chunk: 47 to 124 ms per
// lookup at 100,000 rows (auto_explain), the import slowing as it grew.

// chunkUsersSQL reads the users (not deleted) a chunk's rows name, by
// external id or e-mail, each once.
const chunkUsersSQL = `SELECT u.* FROM (SELECT DISTINCT unnest($2::text[]) AS k) keys
CROSS JOIN LATERAL (SELECT ` + userColumns + `, updated_at FROM users
    WHERE tenant_id = $1 AND status <> 'deleted' AND external_id = keys.k OFFSET 0) u
UNION
SELECT u.* FROM (SELECT DISTINCT unnest($3::text[]) AS k) keys
CROSS JOIN LATERAL (SELECT ` + userColumns + `, updated_at FROM users
    WHERE tenant_id = $1 AND status <> 'deleted' AND email = keys.k OFFSET 0) u`

// chunkCommandsSQL reads the commands a chunk's rows would record, by id.
const chunkCommandsSQL = `SELECT c.command_id, c.type, c.stream_id FROM (SELECT DISTINCT unnest($2::text[]) AS k) keys
CROSS JOIN LATERAL (SELECT command_id, type, stream_id FROM commands
    WHERE tenant_id = $1 AND command_id = keys.k OFFSET 0) c`

// chunkReportingLinesSQL walks up the reporting lines from the managers a
// chunk names, as managerChainSQL does for one (deleted users included
// above the first, a depth bound against a corrupt loop). Each step is a
// primary-key probe; the tenant is checked outside it, so no plan can
// read the tenant's users to find one.
const chunkReportingLinesSQL = `
WITH RECURSIVE chain (id, manager_id, depth) AS (
    SELECT u.id, u.manager_id, 0 FROM (SELECT DISTINCT unnest($2::text[]) AS k) keys
    CROSS JOIN LATERAL (SELECT id, manager_id FROM users
        WHERE tenant_id = $1 AND external_id = keys.k AND status <> 'deleted' OFFSET 0) u
    UNION ALL
    SELECT u.id, u.manager_id, c.depth + 1
    FROM chain c CROSS JOIN LATERAL (SELECT id, manager_id, tenant_id FROM users WHERE id = c.manager_id OFFSET 0) u
    WHERE u.tenant_id = $1 AND c.depth < 10000
)
SELECT DISTINCT id, manager_id FROM chain`

// readChunkView reads, in ONE round trip, everything a chunk's decision
// needs: the job (it must be the tenant's), the tenant's seats, the
// recorded outcomes and commands of the rows, the users they name and the
// reporting lines above the managers they name. With lock it first takes
// the tenant's reporting-line lock, held until the chunk commits.
func readChunkView(ctx context.Context, tx pgx.Tx, k command.ChunkKeys, lock bool) (command.ChunkView, error) {
	v := command.ChunkView{Outcomes: map[int]command.Outcome{}, Commands: map[string]command.RecordedCommand{},
		Managers: map[user.ID]user.ID{}, ManagersLocked: lock}
	b := &pgx.Batch{}
	// Not API work, whatever the process's connections are named (APIActivity).
	b.Queue(importTxSettingsSQL, importerApplicationName)
	if lock {
		b.Queue(lockManagersSQL, k.TenantID)
	}
	jobFound := false
	b.Queue(`SELECT true FROM import_jobs WHERE id = $1 AND tenant_id = $2`, k.JobID, k.TenantID).QueryRow(func(row pgx.Row) error {
		return ignoreNoRows(row.Scan(&jobFound))
	})
	b.Queue(`SELECT row_no, outcome FROM import_rows WHERE job_id = $1 AND row_no = ANY($2)`, k.JobID, k.Rows).
		Query(func(rs pgx.Rows) error {
			var (
				n int
				o string
			)
			_, err := pgx.ForEachRow(rs, []any{&n, &o}, func() error { v.Outcomes[n] = command.Outcome(o); return nil })
			return err
		})
	b.Queue(chunkCommandsSQL, k.TenantID, k.CommandIDs).
		Query(func(rs pgx.Rows) error {
			var (
				id, typ string
				stream  [16]byte
			)
			_, err := pgx.ForEachRow(rs, []any{&id, &typ, &stream}, func() error {
				v.Commands[id] = command.RecordedCommand{Type: typ, StreamID: stream}
				return nil
			})
			return err
		})
	tenantFound := queueDecisionReads(b, k, &v)
	if err := tx.SendBatch(ctx, b).Close(); err != nil {
		return command.ChunkView{}, fmt.Errorf("read import chunk: %w", err)
	}
	if !jobFound || !*tenantFound {
		return command.ChunkView{}, query.ErrImportNotFound
	}
	return v, nil
}

func ignoreNoRows(err error) error {
	if errors.Is(err, pgx.ErrNoRows) {
		return nil
	}
	return err
}

// queueDecisionReads queues on b the reads every decision of rows needs,
// a chunk's (readChunkView) and a dry run's (DryRunView): the tenant's
// seats, the users the rows name and the reporting lines above the
// managers they name. The returned flag says, once b has run, whether the
// tenant was found.
func queueDecisionReads(b *pgx.Batch, k command.ChunkKeys, v *command.ChunkView) *bool {
	tenantFound := new(bool)
	b.Queue(`SELECT seat_limit, seats_used FROM tenants WHERE id = $1`, k.TenantID).QueryRow(func(row pgx.Row) error {
		err := row.Scan(&v.SeatLimit, &v.SeatsUsed)
		*tenantFound = err == nil
		return ignoreNoRows(err)
	})
	b.Queue(chunkUsersSQL, k.TenantID, k.ExternalIDs, k.Emails).Query(func(rs pgx.Rows) error {
		for rs.Next() {
			t, err := scanImportTarget(rs)
			if err != nil {
				return err
			}
			t.UpdatedAt = t.UpdatedAt.UTC()
			v.Users = append(v.Users, t)
		}
		return rs.Err()
	})
	if len(k.ManagerExternalIDs) > 0 {
		b.Queue(chunkReportingLinesSQL, k.TenantID, k.ManagerExternalIDs).Query(func(rs pgx.Rows) error {
			var (
				id      [16]byte
				manager pgtype.UUID
			)
			_, err := pgx.ForEachRow(rs, []any{&id, &manager}, func() error {
				if manager.Valid {
					v.Managers[id] = manager.Bytes
				}
				return nil
			})
			return err
		})
	}
	return tenantFound
}
