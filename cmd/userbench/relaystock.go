package main

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	wsql "github.com/ThreeDotsLabs/watermill-sql/v4/pkg/sql"
	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/userservice/userservice/adapters/kafka"
	"github.com/userservice/userservice/adapters/postgres"
)

// stockBatch and stockPoll are the stock relay's settings: watermill-sql's
// default batch, and the 10 ms poll DESIGN.md measured it at its best with
// (its default, 1 s, would only measure the wait).
const (
	stockBatch = 100
	stockPoll  = 10 * time.Millisecond
)

// stockDrain drains the backlog already in the outbox past group's position
// with the stock parts, in this process: per shard a watermill-sql
// subscriber (stock PostgreSQL schema and offsets adapter) feeding a
// Watermill router handler that forwards each message to the watermill-kafka
// publisher (synchronous, one message at a time). It is the setup the relay
// replaced, measured on the same rows in the same run.
func (b *bench) stockDrain(ctx context.Context, group string, n int) (d relayDrain, err error) {
	topic, err := b.newTopic("stock")
	if err != nil {
		return d, err
	}
	pub, err := kafka.NewPublisher(kafka.PublisherConfig{Brokers: b.brokers()}, nil)
	if err != nil {
		return d, err
	}
	defer pub.Close()
	router, err := message.NewRouter(message.RouterConfig{}, watermill.NopLogger{})
	if err != nil {
		return d, err
	}
	for shard := range postgres.OutboxShards {
		sub, err := wsql.NewSubscriber(wsql.BeginnerFromPgx(b.pool), wsql.SubscriberConfig{
			ConsumerGroup:  group,
			SchemaAdapter:  wsql.DefaultPostgreSQLSchema{SubscribeBatchSize: stockBatch},
			OffsetsAdapter: wsql.DefaultPostgreSQLOffsetsAdapter{},
			PollInterval:   stockPoll,
		}, watermill.NopLogger{})
		if err != nil {
			return d, err
		}
		router.AddHandler("stock-"+strconv.Itoa(shard), postgres.OutboxTopic(shard), sub, topic, pub,
			func(m *message.Message) ([]*message.Message, error) {
				out := message.NewMessage(m.UUID, m.Payload)
				out.Metadata = m.Metadata
				return []*message.Message{out}, nil
			})
	}
	rctx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	started := time.Now()
	go func() { done <- router.Run(rctx) }()
	first, last, total, err := b.highWaterMarks(ctx, topic, int64(n), 50*time.Millisecond, 10*time.Minute)
	stop()
	<-done
	d.Received = int(total)
	if err != nil {
		return d, fmt.Errorf("stock relay: %w", err)
	}
	d.FirstToLast, d.StartToLast = last.Sub(first), last.Sub(started)
	b.log("relay: the stock watermill-sql → watermill-kafka relay drained at %.0f events/s", d.PerSecond())
	return d, nil
}
