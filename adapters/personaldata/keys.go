package personaldata

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/userservice/userservice/domain/user"
)

// Keys seals and opens users' personal data with their data keys, kept in
// user_data_keys. Its methods queue their statements into the caller's
// batch, so a key costs no round trip of its own.
type Keys struct{ ring *Keyring }

// NewKeys returns the data keys wrapped by ring's master keys.
func NewKeys(ring *Keyring) (*Keys, error) {
	if ring == nil {
		return nil, errors.New("personaldata.NewKeys: nil keyring")
	}
	return &Keys{ring: ring}, nil
}

// selectKeySQL reads a user's wrapped data key.
const selectKeySQL = `SELECT wrapped_key FROM user_data_keys WHERE user_id = $1`

// insertKeyCTE stores a data key made for a user's new events, as a
// data-modifying CTE of the statement that inserts the user's first event
// (WithNewKey); its four placeholders are numbered after that statement's.
const insertKeyCTE = `WITH data_key AS (INSERT INTO user_data_keys (user_id, key_tenant_id, wrapped_key, master_key_id) VALUES ($%d, $%d, $%d, $%d)) `

// UserKey is one user's data key for one command: the stored one (read in
// the command's read batch), or one made when the first sealed event needs
// it, stored with its first event (WithNewKey).
type UserKey struct {
	keys     *Keys
	tenantID string
	id       user.ID
	key      *DataKey
	made     []byte // the wrapped key made here, not stored yet
	err      error
}

// NewUserKey is the key of a user who has no stored events (and so no
// key): the first Seal makes one.
func (k *Keys) NewUserKey(tenantID string, id user.ID) *UserKey {
	return &UserKey{keys: k, tenantID: tenantID, id: id}
}

// QueueUserKey queues into b the read of a user's data key. Queue it before
// the stream's read: the key is usable (Open, Seal) from the moment its
// statement ran.
func (k *Keys) QueueUserKey(b *pgx.Batch, tenantID string, id user.ID) *UserKey {
	uk := k.NewUserKey(tenantID, id)
	b.Queue(selectKeySQL, id).Query(func(rows pgx.Rows) error {
		stored, err := pgx.CollectRows(rows, pgx.RowTo[[]byte])
		if err != nil || len(stored) == 0 {
			return err
		}
		uk.key, uk.err = k.ring.unwrap(id, stored[0])
		return nil
	})
	return uk
}

// Open decrypts the personal members of one of the user's stored events.
func (u *UserKey) Open(eventType string, data []byte) ([]byte, error) {
	if u.err != nil {
		return nil, u.err
	}
	return Open(u.key, u.id, eventType, data)
}

// Seal encrypts the personal members of a new event of the user, making
// the user's key if they have none (a new user, one written before
// encryption was on, or an erased one, whose commands are refused anyway)
// and the event has something personal. The event is scanned once.
func (u *UserKey) Seal(eventType string, data []byte) ([]byte, error) {
	if u.err != nil {
		return nil, u.err
	}
	return sealWith(u.dataKey, u.id, eventType, data)
}

// dataKey is the user's key, made (and wrapped for storing) on first use.
func (u *UserKey) dataKey() (*DataKey, error) {
	if u.key != nil {
		return u.key, nil
	}
	key, err := newDataKey()
	if err != nil {
		return nil, err
	}
	if u.made, err = u.keys.ring.wrap(u.id, key); err != nil {
		return nil, err
	}
	u.key = key
	return key, nil
}

// WithNewKey returns stmt, an INSERT with its arguments args, prefixed by
// the insert of the key Seal made as a data-modifying CTE, and args extended
// by that insert's arguments: the key then costs no statement of its own in
// the command's batch (each statement is a bind, an execute and a
// completion, encoded and parsed on both sides). stmt and
// args come back unchanged when Seal made no key. In one statement the two
// inserts run in no defined order: a concurrent writer that made a key for
// the same user may fail this one on user_data_keys_pkey rather than on the
// stream version, which the caller treats as the same lost race.
func (u *UserKey) WithNewKey(stmt string, args []any) (string, []any) {
	if u == nil || u.made == nil {
		return stmt, args
	}
	n := len(args)
	cte := fmt.Sprintf(insertKeyCTE, n+1, n+2, n+3, n+4)
	return cte + strings.TrimSpace(stmt), append(args, u.id, u.tenantID, u.made, u.keys.ring.Active())
}

// Open decrypts the personal members of a stored event given the wrapped
// key read with it (nil: the user has no key, e.g. erased). A key wrapped
// by a master key that is not configured is an error, never "erased": a
// rebuild must not wipe people because a configuration lost a key.
func (k *Keys) Open(streamID user.ID, eventType string, data, wrappedKey []byte) ([]byte, error) {
	var key *DataKey
	if wrappedKey != nil {
		var err error
		if key, err = k.ring.unwrap(streamID, wrappedKey); err != nil {
			return nil, err
		}
	}
	return Open(key, streamID, eventType, data)
}

// KeyColumn is an SQL expression for the wrapped data key of an events row
// (NULL when none): readers select it beside data and pass it to Open.
const KeyColumn = `(SELECT wrapped_key FROM user_data_keys WHERE user_id = events.stream_id)`

// Forget deletes a user's data key, on tx: from its commit on, every sealed
// personal field of the user is unreadable, wherever a copy of it is.
func (k *Keys) Forget(ctx context.Context, tx pgx.Tx, id user.ID) error {
	if _, err := tx.Exec(ctx, `DELETE FROM user_data_keys WHERE user_id = $1`, id); err != nil {
		return fmt.Errorf("personaldata: delete data key of %s: %w", id, err)
	}
	return nil
}

// LoadKey reads a user's data key on q (nil when the user has none).
func (k *Keys) LoadKey(ctx context.Context, q interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}, id user.ID) ([]byte, error) {
	var wrapped []byte
	err := q.QueryRow(ctx, `SELECT wrapped_key FROM user_data_keys WHERE user_id = $1`, id).Scan(&wrapped)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("personaldata: read data key of %s: %w", id, err)
	}
	return wrapped, nil
}
