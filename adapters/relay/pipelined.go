package relay

import (
	"context"
	"time"

	wsql "github.com/ThreeDotsLabs/watermill-sql/v4/pkg/sql"
	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/userservice/userservice/adapters/kafka"
	"github.com/userservice/userservice/adapters/postgres"
)

// A pipelined relay sends a whole outbox batch to Kafka before it waits, and
// waits once, before the batch's offset is acknowledged. It rides on the
// order of watermill-sql's subscriber, which for each batch, in one
// transaction: runs the schema adapter's SelectQuery, hands the rows out one
// by one (each acked when our publisher has queued it), then asks the
// offsets adapter for the AckMessageQuery of the last acked row, runs it and
// commits. So:
//   - batchStart tells the shard's lane a batch begins (SelectQuery): it is
//     read from the committed offset, so earlier failures are being retried;
//   - flushBeforeAck waits, in AckMessageQuery, until Kafka acknowledged
//     every record queued; a failure or timeout returns an error, the
//     subscriber rolls back, and the batch is read and sent again.
//
// The offset thus never passes an event Kafka does not have: at-least-once,
// as with a synchronous publisher. Per-user order holds too: the lane's
// producer keeps the queue order on each partition (one request in flight
// per broker), and a batch sent again is a later copy of the same sequence,
// so the first copy of each event on a partition arrives in outbox order.

// shardLane is where one shard's messages go.
type shardLane interface {
	message.Publisher
	Begin()
	Flush(ctx context.Context, timeout time.Duration) error
}

// laneSource is a publisher with a lane per shard (kafka.PipelinedPublisher).
type laneSource interface {
	Lane(name string) *kafka.Lane
}

// lane returns the shard's lane: a lane of a pipelined publisher, or the
// publisher itself, waited for message by message.
func (r *Relay) lane(shard int) shardLane {
	if src, ok := r.publisher.(laneSource); ok {
		return src.Lane(postgres.OutboxTopic(shard))
	}
	return synchronous{r.publisher}
}

// synchronous is a publisher that returns once the brokers have a message:
// nothing is left in flight to wait for.
type synchronous struct{ message.Publisher }

func (synchronous) Begin()                                     {}
func (synchronous) Flush(context.Context, time.Duration) error { return nil }

// batchStart is the outbox schema, telling the lane when a batch begins.
type batchStart struct {
	wsql.SchemaAdapter
	lane shardLane
}

func (s batchStart) SelectQuery(params wsql.SelectQueryParams) (wsql.Query, error) {
	s.lane.Begin()
	return s.SchemaAdapter.SelectQuery(params)
}

// flushBeforeAck is the offsets adapter, waiting for Kafka before a batch's
// offset is acknowledged.
type flushBeforeAck struct {
	wsql.OffsetsAdapter
	lane    shardLane
	ctx     context.Context
	timeout time.Duration
}

func (a flushBeforeAck) AckMessageQuery(params wsql.AckMessageQueryParams) (wsql.Query, error) {
	if err := a.lane.Flush(a.ctx, a.timeout); err != nil {
		return wsql.Query{}, err
	}
	return a.OffsetsAdapter.AckMessageQuery(params)
}
