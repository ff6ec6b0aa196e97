package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"

	"github.com/ThreeDotsLabs/watermill"
	wsql "github.com/ThreeDotsLabs/watermill-sql/v4/pkg/sql"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/userservice/userservice/adapters/eventcontract"
	"github.com/userservice/userservice/adapters/postgres"
	"github.com/userservice/userservice/app/command"
	"github.com/userservice/userservice/domain/user"
)

// outboxMsg is one event as the outbox holds it and Kafka receives it.
type outboxMsg struct {
	Shard    int
	UUID     string
	Key      string // the user id: the Kafka key
	Payload  []byte
	Metadata map[string]string
}

// eventFactory makes outbox messages shaped exactly like one the service
// wrote (same envelope, same metadata), each for a fresh user and event id.
type eventFactory struct {
	payload map[string]any
	meta    map[string]string
}

// newEventFactory registers one user through the application's command
// handler and takes its outbox message as the template.
func (b *bench) newEventFactory(ctx context.Context, t tenant) (*eventFactory, error) {
	res, err := b.app.Commands.RegisterUser.Handle(ctx, command.RegisterUser{
		Envelope: command.Envelope{CommandID: uuid.NewString(), TenantID: t.ID, Actor: "userbench",
			Source: command.SourceAPI, CorrelationID: uuid.NewString()},
		Registration: user.Registration{Email: b.nextEmail(), Profile: user.Profile{
			GivenName: "Ada", FamilyName: "Lovelace", DisplayName: "Ada Lovelace", Department: "bench",
			Title: "Engineer", Locale: "en-GB", TimeZone: "Europe/London"}},
	})
	if err != nil {
		return nil, fmt.Errorf("register the template user: %w", err)
	}
	shard := postgres.OutboxShard(res.User.ID)
	var payload, meta []byte
	err = b.pool.QueryRow(ctx, `SELECT payload::text, metadata::text FROM watermill_`+postgres.OutboxTopic(shard)+
		` WHERE metadata->>'`+eventcontract.MetaPartitionKey+`' = $1`, res.User.ID.String()).Scan(&payload, &meta)
	if err != nil {
		return nil, fmt.Errorf("read the template outbox row: %w", err)
	}
	f := &eventFactory{}
	if err := json.Unmarshal(payload, &f.payload); err != nil {
		return nil, err
	}
	if err := json.Unmarshal(meta, &f.meta); err != nil {
		return nil, err
	}
	return f, nil
}

// next is a new event of a new user.
func (f *eventFactory) next() (outboxMsg, error) {
	uid, err := uuid.NewV7()
	if err != nil {
		return outboxMsg{}, err
	}
	eid, err := uuid.NewV7()
	if err != nil {
		return outboxMsg{}, err
	}
	p := maps.Clone(f.payload)
	p["id"], p["subject"] = eid.String(), uid.String()
	payload, err := json.Marshal(p)
	if err != nil {
		return outboxMsg{}, err
	}
	m := maps.Clone(f.meta)
	m[eventcontract.MetaEventID], m[eventcontract.MetaPartitionKey] = eid.String(), uid.String()
	return outboxMsg{Shard: postgres.OutboxShard(user.ID(uid)), UUID: eid.String(), Key: uid.String(), Payload: payload, Metadata: m}, nil
}

// events makes n events.
func (f *eventFactory) events(n int) ([]outboxMsg, error) {
	out := make([]outboxMsg, n)
	for i := range out {
		var err error
		if out[i], err = f.next(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// writeOutbox inserts msgs in one transaction through the same watermill-sql
// publisher the unit of work uses, one multi-row INSERT per shard, all sent
// in one round trip (an implicit transaction), as a command sends its
// outbox rows in its write batch: a transaction holding its id across
// round trips of its own would hold every relay back longer than the
// service's writers do.
func (b *bench) writeOutbox(ctx context.Context, msgs []outboxMsg) error {
	batch := &pgx.Batch{}
	if err := queueOutbox(batch, msgs); err != nil {
		return err
	}
	return b.pool.SendBatch(ctx, batch).Close()
}

// queueOutbox queues writeOutbox's INSERTs into batch.
func queueOutbox(batch *pgx.Batch, msgs []outboxMsg) error {
	byShard := map[int][]*message.Message{}
	for _, m := range msgs {
		wm := message.NewMessage(m.UUID, m.Payload)
		for k, v := range m.Metadata {
			wm.Metadata.Set(k, v)
		}
		byShard[m.Shard] = append(byShard[m.Shard], wm)
	}
	pub, err := wsql.NewPublisher(queueExecutor{batch}, wsql.PublisherConfig{SchemaAdapter: postgres.OutboxSchema(0)}, watermill.NopLogger{})
	if err != nil {
		return err
	}
	for shard, ms := range byShard {
		if err := pub.Publish(postgres.OutboxTopic(shard), ms...); err != nil {
			return fmt.Errorf("write outbox shard %d: %w", shard, err)
		}
	}
	return nil
}

// queueExecutor queues watermill-sql's statements into a pgx batch (as the
// unit of work's batchExecutor does); it answers for no result.
type queueExecutor struct{ b *pgx.Batch }

func (e queueExecutor) ExecContext(_ context.Context, query string, args ...any) (wsql.Result, error) {
	e.b.Queue(query, args...)
	return queuedResult{}, nil
}

func (queueExecutor) QueryContext(context.Context, string, ...any) (wsql.Rows, error) {
	return nil, errors.New("outbox batch: queries are not supported")
}

type queuedResult struct{}

func (queuedResult) RowsAffected() (int64, error) { return 0, errors.New("outbox batch: not run yet") }

// fillOutbox writes msgs in transactions of up to chunk rows.
func (b *bench) fillOutbox(ctx context.Context, msgs []outboxMsg, chunk int) error {
	for len(msgs) > 0 {
		n := min(chunk, len(msgs))
		if err := b.writeOutbox(ctx, msgs[:n]); err != nil {
			return err
		}
		msgs = msgs[n:]
	}
	return nil
}

// positionGroup starts a relay consumer group at the current end of every
// outbox shard (as relaytest.StartGroupAtEnd does for tests), so it relays
// only what is written next, and registers its removal: a forgotten group
// holds back outbox cleanup for ever.
func (b *bench) positionGroup(ctx context.Context, group string) error {
	for shard := range postgres.OutboxShards {
		t := postgres.OutboxTopic(shard)
		_, err := b.pool.Exec(ctx, `INSERT INTO watermill_offsets_`+t+` (consumer_group, offset_acked, last_processed_transaction_id)
			SELECT $1, coalesce(max("offset"), 0), coalesce(max(transaction_id), '0') FROM watermill_`+t, group)
		if err != nil {
			return fmt.Errorf("position relay group %s on shard %d: %w", group, shard, err)
		}
	}
	b.onClose(func(ctx context.Context) error {
		for shard := range postgres.OutboxShards {
			if _, err := b.pool.Exec(ctx, `DELETE FROM watermill_offsets_`+postgres.OutboxTopic(shard)+
				` WHERE consumer_group = $1`, group); err != nil {
				return err
			}
		}
		return nil
	})
	return nil
}
