package postgres

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/userservice/userservice/adapters/personaldata"
	"github.com/userservice/userservice/adapters/projection"
	"github.com/userservice/userservice/app/command"
	"github.com/userservice/userservice/domain/user"
)

const insertCommandSQL = `
INSERT INTO commands (tenant_id, command_id, type, source, actor, correlation_id, stream_id, payload, payload_hash, outcome)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`

const insertEventSQL = `
INSERT INTO events (event_id, stream_id, tenant_id, version, type, data, occurred_at, command_id, correlation_id, actor, source)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`

// takeSeatsSQL hands out seats only while some are free: the row lock it takes
// serialises seat changes per tenant, so the limit holds under concurrency.
const takeSeatsSQL = `UPDATE tenants SET seats_used = seats_used + $2 WHERE id = $1 AND seats_used + $2 <= seat_limit`

// takeSeatsCheckedSQL is takeSeatsSQL failing in the database (SQLSTATE
// US001, see migration 00040) when no seat is free: the command path sends
// its COMMIT in the same pipeline, so the failure must abort the transaction
// on the server, before the COMMIT runs.
const takeSeatsCheckedSQL = `WITH t AS (` + takeSeatsSQL + ` RETURNING 1)
SELECT command_expect(EXISTS (SELECT 1 FROM t), '` + codeSeatsExhausted + `')`

const freeSeatsSQL = `UPDATE tenants SET seats_used = greatest(seats_used + $2, 0) WHERE id = $1`

const insertUserSQL = `
INSERT INTO users (id, tenant_id, email, given_name, family_name, display_name, department, title,
                   manager_id, external_id, locale, time_zone, status, version, created_at, updated_at,
                   username, attributes)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)`

// updateUserCheckedSQL is updateUserSQL failing in the database (SQLSTATE
// US002) when the row is not at the version the command read.
const updateUserCheckedSQL = `WITH u AS (` + updateUserSQL + ` RETURNING 1)
SELECT command_expect(EXISTS (SELECT 1 FROM u), '` + codeVersionConflict + `')`

// updateUserSQL takes the first 14 of userRow.values, updated_at, the
// version the command read, then username and attributes.
const updateUserSQL = `
UPDATE users SET email = $3, given_name = $4, family_name = $5, display_name = $6, department = $7, title = $8,
                 manager_id = $9, external_id = $10, locale = $11, time_zone = $12, status = $13, version = $14,
                 updated_at = $15, username = $17, attributes = $18
WHERE id = $1 AND tenant_id = $2 AND version = $16`

// queueCommand queues every write of one command into b but the seat count
// (queueSeats, queued after these): the idempotency record, the events (the
// first with the data key Seal made, if key made one: nil when encryption
// is off), the read model and the outbox. Events go first so a lost race surfaces as a
// version conflict, and the read model before the seats so a taken e-mail is
// reported as such even when the tenant is also full. Every check fails in
// the database, so b may end with the COMMIT (see commandConn.commit).
func queueCommand(ctx context.Context, b *pgx.Batch, ex command.Execution, payload, hash []byte,
	snap user.Snapshot, current *user.User, events []projection.Event, key *personaldata.UserKey, logger watermill.LoggerAdapter) error {
	out, err := json.Marshal(outcome{User: toSnapshotJSON(snap)})
	if err != nil {
		return fmt.Errorf("encode outcome: %w", err)
	}
	b.Queue(insertCommandSQL, ex.TenantID, ex.CommandID, ex.Type, string(ex.Source), ex.Actor,
		ex.CorrelationID, ex.StreamID, payload, hash, out)
	for i, e := range events {
		sql, args := insertEventSQL, []any{e.ID, e.StreamID, e.TenantID, e.Version, e.Type, e.Data, e.OccurredAt,
			e.CommandID, e.CorrelationID, e.Actor, e.Source}
		if i == 0 {
			// A data key the command made travels with its first event.
			sql, args = key.WithNewKey(sql, args)
		}
		b.Queue(sql, args...)
	}
	if err := queueInlineUserWrite(b, current, events); err != nil {
		return err
	}
	return queueOutbox(ctx, b, logger, events)
}

// queueSeats queues the seat change of a tenant: taking seats fails the
// transaction when too few are free.
func queueSeats(b *pgx.Batch, tenantID string, delta int) {
	switch {
	case delta > 0:
		b.Queue(takeSeatsCheckedSQL, tenantID, delta)
	case delta < 0:
		b.Queue(freeSeatsSQL, tenantID, delta)
	}
}

// queueNoop queues the record of a command that changed nothing, so its
// idempotency key is taken (see command.Envelope.ClientKey).
func queueNoop(b *pgx.Batch, ex command.Execution, payload, hash []byte, snap user.Snapshot) error {
	out, err := json.Marshal(outcome{User: toSnapshotJSON(snap), Unchanged: true})
	if err != nil {
		return fmt.Errorf("encode outcome: %w", err)
	}
	b.Queue(insertCommandSQL, ex.TenantID, ex.CommandID, ex.Type, string(ex.Source), ex.Actor,
		ex.CorrelationID, ex.StreamID, payload, hash, out)
	return nil
}

// expectOneRow fails a queued statement with err unless it changed one row.
func expectOneRow(err error) func(pgconn.CommandTag) error {
	return func(ct pgconn.CommandTag) error {
		if ct.RowsAffected() != 1 {
			return err
		}
		return nil
	}
}

// nullable stores an unset optional value as NULL, so unique constraints
// ignore it (two users without an external id do not clash).
func nullable(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}
