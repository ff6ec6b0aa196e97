package personaldata

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/userservice/userservice/domain/user"
)

const insertChunkKeysSQL = `INSERT INTO user_data_keys (user_id, key_tenant_id, wrapped_key, master_key_id)
SELECT k.id, $1, k.wrapped, $2 FROM unnest($3::uuid[], $4::bytea[]) AS k (id, wrapped)`

// ChunkKeys are the data keys of an import chunk's users: read with one
// statement, made for the users who have none, and written in the chunk's
// write batch with one statement.
type ChunkKeys struct {
	keys     *Keys
	tenantID string
	wrapped  map[user.ID][]byte
	open     map[user.ID]*DataKey
	newIDs   []user.ID
	newKeys  [][]byte
}

// LoadChunkKeys reads, in one statement, the data keys of the users an
// import chunk writes; Seal makes the missing ones.
func (k *Keys) LoadChunkKeys(ctx context.Context, q interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}, tenantID string, ids []user.ID) (*ChunkKeys, error) {
	c := &ChunkKeys{keys: k, tenantID: tenantID, wrapped: map[user.ID][]byte{}, open: map[user.ID]*DataKey{}}
	if len(ids) == 0 {
		return c, nil
	}
	arg := make([][16]byte, len(ids))
	for i, id := range ids {
		arg[i] = id
	}
	rows, err := q.Query(ctx, `SELECT user_id, wrapped_key FROM user_data_keys WHERE user_id = ANY($1)`, arg)
	if err != nil {
		return nil, fmt.Errorf("personaldata: read data keys: %w", err)
	}
	var (
		id      [16]byte
		wrapped []byte
	)
	_, err = pgx.ForEachRow(rows, []any{&id, &wrapped}, func() error {
		c.wrapped[id] = append([]byte(nil), wrapped...)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("personaldata: read data keys: %w", err)
	}
	return c, nil
}

// Seal encrypts the personal members of a new event of user id, making the
// user's key when the chunk read none.
func (c *ChunkKeys) Seal(id user.ID, eventType string, data []byte) ([]byte, error) {
	key, err := c.key(id)
	if err != nil {
		return nil, err
	}
	return Seal(key, id, eventType, data)
}

func (c *ChunkKeys) key(id user.ID) (*DataKey, error) {
	if key, ok := c.open[id]; ok {
		return key, nil
	}
	if wrapped, ok := c.wrapped[id]; ok {
		key, err := c.keys.ring.unwrap(id, wrapped)
		if err != nil {
			return nil, err
		}
		c.open[id] = key
		return key, nil
	}
	key, err := newDataKey()
	if err != nil {
		return nil, err
	}
	wrapped, err := c.keys.ring.wrap(id, key)
	if err != nil {
		return nil, err
	}
	c.open[id] = key
	c.newIDs, c.newKeys = append(c.newIDs, id), append(c.newKeys, wrapped)
	return key, nil
}

// QueueNewKeys queues into b the insert of the keys Seal made. Queue it
// after the events (nil c: nothing to do): a concurrent writer then fails the chunk on the events
// (a conflict the chunk retries) before it could here.
func (c *ChunkKeys) QueueNewKeys(b *pgx.Batch) {
	if c == nil || len(c.newIDs) == 0 {
		return
	}
	ids := make([][16]byte, len(c.newIDs))
	for i, id := range c.newIDs {
		ids[i] = id
	}
	b.Queue(insertChunkKeysSQL, c.tenantID, c.keys.ring.Active(), ids, c.newKeys)
}
