// Package eventcontract is the published shape of userservice's events: JSON
// in CloudEvents 1.0 structured mode, one message per domain event. The relay
// publishes it to Kafka unchanged from the outbox; subscribers can import this
// package to decode messages into typed values.
package eventcontract

import (
	"encoding/json"
	"time"
)

// SpecVersion is the CloudEvents version of every envelope.
const SpecVersion = "1.0"

// Topic is the default Kafka topic of the events (KAFKA_TOPIC): named here
// once, for the relay, the readers of the topic and the CLI's defaults.
const Topic = "users.events"

// Source is the CloudEvents source of every event this service emits.
const Source = "urn:userservice"

// Envelope is one published event. The extension attributes carry what a
// subscriber needs to order (streamversion), de-duplicate (id) and trace
// (correlationid, causationid) events.
type Envelope struct {
	SpecVersion     string          `json:"specversion"`
	ID              string          `json:"id"`
	Source          string          `json:"source"`
	Type            string          `json:"type"`
	Subject         string          `json:"subject"`
	Time            time.Time       `json:"time"`
	DataContentType string          `json:"datacontenttype"`
	Data            json.RawMessage `json:"data"`
	TenantID        string          `json:"tenantid"`
	StreamVersion   int             `json:"streamversion"`
	CorrelationID   string          `json:"correlationid,omitempty"`
	CausationID     string          `json:"causationid,omitempty"`
}

// Message metadata keys set on every outbox message (and so on every Kafka
// record as headers), so routers and subscribers need not parse the payload.
const (
	MetaEventID       = "event_id"
	MetaEventType     = "event_type"
	MetaTenantID      = "tenant_id"
	MetaStreamVersion = "stream_version"
	MetaCorrelationID = "correlation_id"
	// MetaPartitionKey is the user id: the Kafka key, so one user's events
	// stay in order on one partition.
	MetaPartitionKey = "partition_key"
	// MetaTombstone ("true") marks the message that follows an erased
	// user's user.erased: published as a Kafka tombstone (the user's key,
	// an empty value), so a compacted topic forgets their records.
	MetaTombstone = "tombstone"
)
