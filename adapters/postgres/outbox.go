package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"strconv"

	"github.com/ThreeDotsLabs/watermill"
	wsql "github.com/ThreeDotsLabs/watermill-sql/v4/pkg/sql"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/jackc/pgx/v5"

	"github.com/userservice/userservice/adapters/eventcontract"
	"github.com/userservice/userservice/adapters/projection"
	"github.com/userservice/userservice/domain/user"
)

// OutboxShards is the number of outbox tables (watermill_user_events_0..N-1,
// created by migration 00001). A user's events always go to the same shard,
// so one relay per shard keeps per-user order while shards relay in parallel.
// Changing it needs a migration and a drained outbox.
const OutboxShards = 4

// OutboxTopic is the watermill-sql topic (table suffix) of a shard.
func OutboxTopic(shard int) string { return "user_events_" + strconv.Itoa(shard) }

// OutboxShard is the shard that carries a user's events.
func OutboxShard(id user.ID) int {
	h := fnv.New32a()
	_, _ = h.Write(id[:])
	return int(h.Sum32() % OutboxShards)
}

// OutboxSchema is the watermill-sql schema adapter of the outbox tables: the
// stock PostgreSQL schema with a keyset read of the next batch (see
// outboxSchema). The tables exist through migrations, so the schema is never
// initialised at run time (that DDL would also commit the command's
// transaction early).
func OutboxSchema(batchSize int) wsql.SchemaAdapter {
	return outboxSchema{wsql.DefaultPostgreSQLSchema{SubscribeBatchSize: batchSize}}
}

// queueOutbox queues the outbox insert of the events (one message per event,
// in the stream's shard) into the command's write batch: the messages become
// visible to relays exactly when the events commit.
//
// The INSERT is watermill-sql's own (its schema adapter builds it), queued
// into the batch instead of executed by a publisher: the insert then travels
// with the command's other writes, and its failure fails the batch like
// theirs. No publisher is built per command (its construction, and its trace
// log's formatting of every argument, ran per command when one was).
func queueOutbox(ctx context.Context, b *pgx.Batch, _ watermill.LoggerAdapter, events []projection.Event) error {
	if len(events) == 0 {
		return nil
	}
	msgs := make([]*message.Message, 0, len(events))
	for _, e := range events {
		msg, err := OutboxMessage(ctx, e)
		if err != nil {
			return err
		}
		msgs = append(msgs, msg)
		if t, ok := TombstoneMessage(ctx, e); ok {
			msgs = append(msgs, t)
		}
	}
	q, err := outboxInsertSchema.InsertQuery(wsql.InsertQueryParams{
		Topic: OutboxTopic(OutboxShard(events[0].StreamID)), Msgs: msgs})
	if err != nil {
		return fmt.Errorf("write outbox: %w", err)
	}
	b.Queue(q.Query, q.Args...)
	return nil
}

// outboxInsertSchema builds the outbox INSERT; only its insert is used, so
// the batch size does not matter.
var outboxInsertSchema = OutboxSchema(0)

// OutboxMessage is the message the outbox carries for one event: its
// CloudEvents envelope, and the metadata that become the Kafka key and
// headers. Re-publishing a stored event read raw (as stored, not upcast)
// builds the very message the relay published.
func OutboxMessage(ctx context.Context, e projection.Event) (*message.Message, error) {
	env := eventcontract.Envelope{
		SpecVersion:     eventcontract.SpecVersion,
		ID:              e.ID,
		Source:          eventcontract.Source,
		Type:            e.Type,
		Subject:         e.StreamID.String(),
		Time:            e.OccurredAt,
		DataContentType: "application/json",
		Data:            e.Data,
		TenantID:        e.TenantID,
		StreamVersion:   e.Version,
		CorrelationID:   e.CorrelationID,
		CausationID:     e.CommandID,
	}
	payload, err := json.Marshal(env)
	if err != nil {
		return nil, fmt.Errorf("encode event %s: %w", e.ID, err)
	}
	msg := message.NewMessage(e.ID, payload)
	msg.Metadata.Set(eventcontract.MetaEventID, e.ID)
	msg.Metadata.Set(eventcontract.MetaEventType, e.Type)
	msg.Metadata.Set(eventcontract.MetaTenantID, e.TenantID)
	msg.Metadata.Set(eventcontract.MetaStreamVersion, strconv.Itoa(e.Version))
	msg.Metadata.Set(eventcontract.MetaCorrelationID, e.CorrelationID)
	msg.Metadata.Set(eventcontract.MetaPartitionKey, e.StreamID.String())
	msg.SetContext(ctx)
	return msg, nil
}
