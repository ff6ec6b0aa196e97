package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/userservice/userservice/adapters/personaldata"
	"github.com/userservice/userservice/app/command"
	"github.com/userservice/userservice/domain/user"
)

const selectCommandSQL = `SELECT payload_hash, outcome FROM commands WHERE tenant_id = $1 AND command_id = $2`

// selectStreamSQL reads one tenant's stream. The tenant filter means a stream
// of another tenant looks empty: commands cannot reach across tenants.
// Only user events: a group's id names no user's stream (and the reverse,
// see selectGroupStreamSQL), so a user command aimed at a group is 404.
const selectStreamSQL = `SELECT type, data FROM events WHERE stream_id = $1 AND tenant_id = $2 AND type LIKE 'user.%' ORDER BY version`

// selectGroupStreamSQL reads one tenant's group stream.
const selectGroupStreamSQL = `SELECT type, data FROM events WHERE stream_id = $1 AND tenant_id = $2 AND type LIKE 'group.%' ORDER BY version`

// loaded is what the read of one command found.
type loaded struct {
	prior  *priorCommand
	events []user.Event
	// key is the user's data key, read with the stream (nil: encryption
	// off, or nothing read: see plan).
	key *personaldata.UserKey
}

// queueLoad queues into b the reads loadForCommand makes, filling l. With
// keys, the same round trip reads the user's data key, which decrypts the
// stream and encrypts what the command appends.
func queueLoad(b *pgx.Batch, up *user.Upcasters, keys *personaldata.Keys, env command.Envelope, id user.ID, l *loaded) {
	queuePriorCommand(b, env.TenantID, env.CommandID, &l.prior)
	l.key = queueUserKey(keys, b, env.TenantID, id)
	b.Queue(selectStreamSQL, id, env.TenantID).Query(func(rows pgx.Rows) error {
		var (
			eventType string
			data      []byte
		)
		_, err := pgx.ForEachRow(rows, []any{&eventType, &data}, func() error {
			data, err := openStored(l.key, eventType, data)
			if err != nil {
				return err
			}
			current, currentData, err := up.Upcast(eventType, data)
			if err != nil {
				return err
			}
			e, err := user.DecodeEvent(current, currentData)
			if err != nil {
				return err
			}
			l.events = append(l.events, e)
			return nil
		})
		return err
	})
}

// state is the user the read found (nil: none, or a repeated command).
func (l *loaded) state(id user.ID) (*user.User, error) {
	if l.prior != nil || len(l.events) == 0 {
		return nil, nil
	}
	return user.FromHistory(id, l.events)
}

// managerChainSQL walks up the reporting line from a user, nearest first. The
// depth bound stops a corrupt (cyclic) read model from looping forever. A
// deleted user cannot become anyone's manager (no chain: not found); the
// reports they already had keep the reference, so the walk above the first
// user passes through deleted ones.
const managerChainSQL = `
WITH RECURSIVE chain (id, manager_id, depth) AS (
    SELECT id, manager_id, 0 FROM users WHERE tenant_id = $1 AND id = $2 AND status <> 'deleted'
    UNION ALL
    SELECT u.id, u.manager_id, c.depth + 1
    FROM users u JOIN chain c ON u.id = c.manager_id
    WHERE u.tenant_id = $1 AND c.depth < 10000
)
SELECT id FROM chain ORDER BY depth`

// managerLookup answers the domain's manager questions inside the command's
// transaction, which it opens (see commandConn). It first takes a per-tenant
// advisory lock, held until commit,
// so two concurrent manager changes cannot each pass the cycle check and
// together close a loop. Only manager changes pay for the lock.
func managerLookup(ctx context.Context, tx commandConn, tenantID string) user.ManagerLookup {
	return func(id user.ID) ([]user.ID, error) {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtextextended('managers:' || $1::text, 0))`, tenantID); err != nil {
			return nil, fmt.Errorf("lock reporting lines: %w", err)
		}
		rows, err := tx.Query(ctx, managerChainSQL, tenantID, id)
		if err != nil {
			return nil, fmt.Errorf("read reporting line: %w", err)
		}
		chain, err := pgx.CollectRows(rows, pgx.RowTo[[16]byte])
		if err != nil {
			return nil, fmt.Errorf("read reporting line: %w", err)
		}
		if len(chain) == 0 {
			return nil, user.ErrManagerNotFound
		}
		ids := make([]user.ID, len(chain))
		for i, c := range chain {
			ids[i] = c
		}
		return ids, nil
	}
}

// queuePriorCommand queues the read of a command id's idempotency record into
// b: *prior is set when the command was recorded before, left nil when new.
func queuePriorCommand(b *pgx.Batch, tenantID, commandID string, prior **priorCommand) {
	b.Queue(selectCommandSQL, tenantID, commandID).QueryRow(func(row pgx.Row) error {
		var p priorCommand
		switch err := row.Scan(&p.hash, &p.outcome); {
		case errors.Is(err, pgx.ErrNoRows):
			return nil
		case err != nil:
			return err
		}
		*prior = &p
		return nil
	})
}
