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

// ChunkRows is the most rows one import message carries. The importer
// applies a chunk in one transaction (one read, one set-wise write, one
// commit, one seat update), so it is what makes bulk imports fast; it is
// also how long (in rows) an importer's transaction stays open, holding
// back readers of the outbox, so it stays small. With set-wise writes 250
// rows were 30 to 45 % faster than 100 in back-to-back runs (BENCHMARKS.md,
// section 3) for a transaction of tens of milliseconds.
const ChunkRows = 250

// Enqueue implements command.ImportQueue: consecutive rows of a job go in
// chunks of up to ChunkRows (a lone row as a row message), all in one
// Publish (one INSERT on the PostgreSQL queue).
func (p *ImportPublisher) Enqueue(ctx context.Context, rows []command.ImportUserRow) error {
	var msgs []*message.Message
	for len(rows) > 0 {
		n := 1
		for n < len(rows) && n < ChunkRows && rows[n].JobID == rows[0].JobID && rows[n].TenantID == rows[0].TenantID &&
			rows[n].Source == rows[0].Source {
			n++
		}
		var (
			m   *message.Message
			err error
		)
		if n == 1 {
			m, err = encodeRow(rows[0])
		} else {
			m, err = encodeChunk(rows[:n])
		}
		if err != nil {
			return err
		}
		m.SetContext(ctx)
		msgs = append(msgs, m)
		rows = rows[n:]
	}
	return p.pub.Publish(p.topic, msgs...)
}
