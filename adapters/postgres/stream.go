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

// selectGroupStreamSQL reads one tenant's group stream.
const selectGroupStreamSQL = `SELECT type, data FROM events WHERE stream_id = $1 AND tenant_id = $2 AND type LIKE 'group.%' ORDER BY version`

// loaded is what the read of one command found.
type loaded struct {
	prior *priorCommand
	// row is the users read-model row (nil: none); events are the
	// stream's events after its version (all of them without a row).
	row    *user.Snapshot
	events []user.Event
	// key is the user's data key, read with the stream (nil: encryption
	// off, or nothing read: see plan).
	key *personaldata.UserKey
}

// selectStateSQL reads a user's state as the command path needs it, in ONE
// statement (so from one snapshot): the users read-model row, which is the
// aggregate's state at the row's version (it is written from the domain's
// snapshot in the same transaction as the events, see applyUserEvent), and
// the stream's events after that version: none when the row is current, the
// whole stream when there is no row (or the tenant is another's). A command
// then decodes the events the row does not reflect, not the whole history.
// A deleted user's row is not used: the aggregate of a deleted user may hold
// what no snapshot carries (erased, see user.Restore), so it is folded from
// its events, as every user once was. Only user events: a group's id names
// no user's stream nor row. The last column says whether the user has a
// data key, i.e. sealed events (see loaded.sealed).
const selectStateSQL = `
SELECT u.id IS NOT NULL, coalesce(u.email, ''), coalesce(u.given_name, ''), coalesce(u.family_name, ''),
       coalesce(u.display_name, ''), coalesce(u.department, ''), coalesce(u.title, ''), coalesce(u.manager_id::text, ''),
       coalesce(u.external_id, ''), coalesce(u.locale, ''), coalesce(u.time_zone, ''), coalesce(u.status, ''),
       coalesce(u.version, 0), coalesce(u.username, ''), u.attributes, t.versions, t.types, t.data,
       EXISTS (SELECT 1 FROM user_data_keys k WHERE k.user_id = $1)
FROM (SELECT 1) AS one
LEFT JOIN users u ON u.tenant_id = $2 AND u.id = $1 AND u.status <> 'deleted'
CROSS JOIN LATERAL (
    SELECT array_agg(e.version ORDER BY e.version) AS versions, array_agg(e.type ORDER BY e.version) AS types,
           array_agg(e.data ORDER BY e.version) AS data
    FROM events e
    WHERE e.stream_id = $1 AND e.tenant_id = $2 AND e.type LIKE 'user.%' AND e.version > coalesce(u.version, 0)) AS t`

// queueLoad queues into b the reads a command makes, filling l: its
// idempotency record (unless its id is fresh, see command.Execution) and the
// user's state (selectStateSQL). With keys, the same round trip reads the
// user's data key, which decrypts the events read and encrypts what the
// command appends.
func queueLoad(b *pgx.Batch, up *user.Upcasters, keys *personaldata.Keys, ex command.Execution, l *loaded) {
	if !ex.FreshCommandID {
		queuePriorCommand(b, ex.TenantID, ex.CommandID, &l.prior)
	}
	id, tenantID := ex.StreamID, ex.TenantID
	l.key = queueUserKey(keys, b, tenantID, id)
	b.Queue(selectStateSQL, id, tenantID).QueryRow(func(row pgx.Row) error {
		var (
			found    bool
			sealed   bool
			s        user.Snapshot
			attrs    []byte
			versions []int
			types    []string
			data     [][]byte
		)
		if err := row.Scan(&found, &s.Email, &s.GivenName, &s.FamilyName, &s.DisplayName, &s.Department, &s.Title,
			&s.ManagerID, &s.ExternalID, &s.Locale, &s.TimeZone, &s.Status, &s.Version, &s.Username, &attrs,
			&versions, &types, &data, &sealed); err != nil {
			return err
		}
		if found && sealed && l.key == nil {
			// The user's events are sealed and this process has no master
			// keys: the row is in clear, but what the command appends would
			// be too. Refused, as a fold of the sealed events is (openStored).
			return personaldata.ErrNoKeys
		}
		if found {
			s.ID, s.TenantID = id, tenantID
			if err := setAttributes(&s, attrs); err != nil {
				return err
			}
			l.row = &s
		}
		events, err := decodeTail(up, l.key, id, s.Version, versions, types, data)
		l.events = append(l.events, events...)
		return err
	})
}

// decodeTail decodes the events stored after the read model's version base,
// checking they follow it without a gap.
func decodeTail(up *user.Upcasters, key *personaldata.UserKey, id user.ID, base int, versions []int, types []string, stored [][]byte) ([]user.Event, error) {
	events := make([]user.Event, 0, len(types))
	for i, eventType := range types {
		if versions[i] != base+i+1 {
			return nil, fmt.Errorf("stream %s: event version %d after the read model's %d and %d events: out of step", id, versions[i], base, i)
		}
		data, err := openStored(key, eventType, stored[i])
		if err != nil {
			return nil, err
		}
		current, currentData, err := up.Upcast(eventType, data)
		if err != nil {
			return nil, err
		}
		e, err := user.DecodeEvent(current, currentData)
		if err != nil {
			return nil, err
		}
		events = append(events, e)
	}
	return events, nil
}

// state is the user the read found (nil: none, or a repeated command): the
// read-model row, with the events it did not reflect yet applied.
func (l *loaded) state(id user.ID) (*user.User, error) {
	if l.prior != nil {
		return nil, nil
	}
	if l.row == nil {
		if len(l.events) == 0 {
			return nil, nil
		}
		return user.FromHistory(id, l.events)
	}
	u := user.Restore(*l.row)
	for _, e := range l.events {
		u.Apply(e)
	}
	return u, nil
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
