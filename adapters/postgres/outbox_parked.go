package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// ParkedMessage is an outbox message a relay set aside (migration 00030):
// Kafka refused it for good, or it waits behind one of its user's that was.
type ParkedMessage struct {
	ID            int64 // the park order: a user's messages are retried in it
	ConsumerGroup string
	Shard         int
	PartitionKey  string // the user id: whose later messages wait
	UUID          string
	Payload       []byte
	Metadata      map[string]string
	Reason        string
	BehindUUID    string // "" for the refused message itself
	ParkedAt      time.Time
}

// OutboxParking stores parked outbox messages. Parking and retrying one
// partition key take the same advisory lock, so a relay never publishes a
// user's message while an earlier one of that user is still parked, and a
// retry never leaves one parked behind nothing.
type OutboxParking struct{ pool OutboxDB }

// OutboxDB is a pool or one connection of it (a relay parks on the
// connection that holds its shard).
type OutboxDB interface {
	Begin(ctx context.Context) (pgx.Tx, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

// NewOutboxParking returns the parking store on db.
func NewOutboxParking(db OutboxDB) *OutboxParking { return &OutboxParking{pool: db} }

// lockKey serialises parking and retrying of one consumer group's key.
const lockKey = `SELECT pg_advisory_xact_lock(hashtextextended($1 || '/' || $2, 30))`

// Park parks a message Kafka refused. Parking one already parked (the relay
// re-reads a batch after a restart) changes nothing.
func (p *OutboxParking) Park(ctx context.Context, m ParkedMessage) error {
	return pgx.BeginFunc(ctx, p.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, lockKey, m.ConsumerGroup, m.PartitionKey); err != nil {
			return err
		}
		return insertParked(ctx, tx, m)
	})
}

// ParkBehind parks m behind the earliest parked message of its key, if the
// key has one, and reports whether m is parked (now or already).
func (p *OutboxParking) ParkBehind(ctx context.Context, m ParkedMessage) (bool, error) {
	parked := false
	err := pgx.BeginFunc(ctx, p.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, lockKey, m.ConsumerGroup, m.PartitionKey); err != nil {
			return err
		}
		err := tx.QueryRow(ctx, `SELECT uuid FROM outbox_parked WHERE consumer_group = $1 AND shard = $2
			AND partition_key = $3 ORDER BY id LIMIT 1`, m.ConsumerGroup, m.Shard, m.PartitionKey).Scan(&m.BehindUUID)
		if errors.Is(err, pgx.ErrNoRows) {
			return nil
		}
		if err != nil {
			return err
		}
		parked = true
		if m.BehindUUID == m.UUID {
			return nil // the refused message itself, read again
		}
		m.Reason = "waits behind parked message " + m.BehindUUID + " of the same partition key"
		return insertParked(ctx, tx, m)
	})
	if err != nil {
		return false, fmt.Errorf("park behind: %w", err)
	}
	return parked, nil
}

func insertParked(ctx context.Context, tx pgx.Tx, m ParkedMessage) error {
	meta, err := json.Marshal(m.Metadata)
	if err != nil {
		return err
	}
	var behind *string
	if m.BehindUUID != "" {
		behind = &m.BehindUUID
	}
	_, err = tx.Exec(ctx, `INSERT INTO outbox_parked (consumer_group, shard, partition_key, uuid, payload, metadata, reason, behind_uuid)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (consumer_group, uuid) DO NOTHING`,
		m.ConsumerGroup, m.Shard, m.PartitionKey, m.UUID, string(m.Payload), string(meta), m.Reason, behind)
	if err != nil {
		return fmt.Errorf("park message %s: %w", m.UUID, err)
	}
	return nil
}

// ParkedKeys returns the partition keys of a shard that have parked messages.
func (p *OutboxParking) ParkedKeys(ctx context.Context, group string, shard int) (map[string]bool, error) {
	rows, err := p.pool.Query(ctx, `SELECT DISTINCT partition_key FROM outbox_parked WHERE consumer_group = $1 AND shard = $2`, group, shard)
	if err != nil {
		return nil, fmt.Errorf("parked keys: %w", err)
	}
	keys, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("parked keys: %w", err)
	}
	set := make(map[string]bool, len(keys))
	for _, k := range keys {
		set[k] = true
	}
	return set, nil
}

// List returns a consumer group's parked messages (all groups' when group
// is ""), of one partition key when key is not "", in park order.
func (p *OutboxParking) List(ctx context.Context, group, key string) ([]ParkedMessage, error) {
	rows, err := p.pool.Query(ctx, `SELECT id, consumer_group, shard, partition_key, uuid, payload::text, metadata::text,
		reason, coalesce(behind_uuid, ''), parked_at FROM outbox_parked
		WHERE ($1 = '' OR consumer_group = $1) AND ($2 = '' OR partition_key = $2) ORDER BY id`, group, key)
	if err != nil {
		return nil, fmt.Errorf("list parked: %w", err)
	}
	list, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (ParkedMessage, error) {
		var (
			m             ParkedMessage
			payload, meta string
		)
		if err := r.Scan(&m.ID, &m.ConsumerGroup, &m.Shard, &m.PartitionKey, &m.UUID, &payload, &meta,
			&m.Reason, &m.BehindUUID, &m.ParkedAt); err != nil {
			return m, err
		}
		m.Payload = []byte(payload)
		return m, json.Unmarshal([]byte(meta), &m.Metadata)
	})
	if err != nil {
		return nil, fmt.Errorf("list parked: %w", err)
	}
	return list, nil
}

// Unpark removes a parked message once it has been published.
func (p *OutboxParking) Unpark(ctx context.Context, m ParkedMessage) error {
	err := pgx.BeginFunc(ctx, p.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, lockKey, m.ConsumerGroup, m.PartitionKey); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `DELETE FROM outbox_parked WHERE id = $1`, m.ID)
		return err
	})
	if err != nil {
		return fmt.Errorf("unpark %s: %w", m.UUID, err)
	}
	return nil
}

// CountParked returns the number of parked messages per shard of a group.
func (p *OutboxParking) CountParked(ctx context.Context, group string) (map[int]int64, error) {
	rows, err := p.pool.Query(ctx, `SELECT shard, count(*) FROM outbox_parked WHERE consumer_group = $1 GROUP BY shard`, group)
	if err != nil {
		return nil, fmt.Errorf("count parked: %w", err)
	}
	defer rows.Close()
	out := map[int]int64{}
	for rows.Next() {
		var (
			shard int
			n     int64
		)
		if err := rows.Scan(&shard, &n); err != nil {
			return nil, err
		}
		out[shard] = n
	}
	return out, rows.Err()
}
