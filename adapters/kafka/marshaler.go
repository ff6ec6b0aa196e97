package kafka

import (
	"github.com/IBM/sarama"
	"github.com/ThreeDotsLabs/watermill-kafka/v3/pkg/kafka"
	"github.com/ThreeDotsLabs/watermill/message"
)

// PartitionKeyMetadata is the message metadata key whose value becomes the
// Kafka record key. The relay sets it to the user id, so one user's events
// land on one partition and stay in order.
const PartitionKeyMetadata = "partition_key"

// TombstoneMetadata ("true") makes the record a tombstone: its value is
// empty (nil), whatever the message's payload.
const TombstoneMetadata = "tombstone"

// keyedMarshaler keys records by PartitionKeyMetadata when a message has it.
// Watermill's partitioning marshaler alone would key the others with an empty
// (non-nil) key, which hashes every one of them to the same partition; a nil
// key lets sarama spread them instead.
type keyedMarshaler struct {
	kafka.MarshalerUnmarshaler
}

func newKeyedMarshaler() keyedMarshaler {
	return keyedMarshaler{kafka.NewWithPartitioningMarshaler(
		func(_ string, msg *message.Message) (string, error) {
			return msg.Metadata.Get(PartitionKeyMetadata), nil
		})}
}

// Marshal implements kafka.Marshaler.
func (m keyedMarshaler) Marshal(topic string, msg *message.Message) (*sarama.ProducerMessage, error) {
	rec, err := m.MarshalerUnmarshaler.Marshal(topic, msg)
	if err != nil {
		return nil, err
	}
	if msg.Metadata.Get(PartitionKeyMetadata) == "" {
		rec.Key = nil
	}
	if msg.Metadata.Get(TombstoneMetadata) == "true" {
		rec.Value = nil // see postgres.TombstoneMessage
	}
	return rec, nil
}
