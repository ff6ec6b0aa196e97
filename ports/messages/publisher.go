package messages

import (
	"context"
	"errors"

	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/userservice/userservice/app/command"
)

// ImportPublisher queues import rows as messages on a topic: it is the
// command.ImportQueue of the import use cases.
type ImportPublisher struct {
	pub   message.Publisher
	topic string
}

// NewImportPublisher returns a publisher of rows to topic on pub (the
// PostgreSQL import queue, postgres.ImportQueueTopic, or a Kafka topic).
func NewImportPublisher(pub message.Publisher, topic string) (*ImportPublisher, error) {
	if pub == nil || topic == "" {
		return nil, errors.New("messages.NewImportPublisher: nil publisher or empty topic")
	}
	return &ImportPublisher{pub: pub, topic: topic}, nil
}

// Enqueue implements command.ImportQueue: all rows in one Publish (one
// INSERT on the PostgreSQL queue).
func (p *ImportPublisher) Enqueue(ctx context.Context, rows []command.ImportUserRow) error {
	msgs := make([]*message.Message, len(rows))
	for i, r := range rows {
		m, err := encodeRow(r)
		if err != nil {
			return err
		}
		m.SetContext(ctx)
		msgs[i] = m
	}
	return p.pub.Publish(p.topic, msgs...)
}
