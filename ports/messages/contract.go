// Package messages is the import messaging port: the contract of an import
// message (one per row), the publisher that queues rows as messages, and the
// importer role's Watermill router, which hands each message to the same
// application command handlers as the HTTP API.
//
// Message contract, version 1. Payload (JSON):
//
//	{"v":1, "job_id":"<uuid>", "tenant_id":"<uuid>", "source":"csv|hris", "row":12,
//	 "kind":"upsert|deactivate", "fields":{"external_id":"E12","email":"...",...},
//	 "manager_row":7, "source_modified_at":"2025-01-02T03:04:05Z",
//	 "rejection":[{"row":12,"field":"email","code":"duplicate_row","message":"..."}],
//	 "deferrals":0}
//
// Metadata: job_id, tenant_id, row, correlation_id (the job id), partition_key
// (tenant and the row's external id or e-mail, so rows about one person share a
// Kafka partition) and import_attempts (transient failures so far). The message
// id is a UUIDv5 of job id and row: deterministic, so a row queued twice is
// recognisably the same message.
package messages

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/google/uuid"

	"github.com/userservice/userservice/app/command"
)

// Metadata keys of an import message.
const (
	MetaJobID         = "job_id"
	MetaTenantID      = "tenant_id"
	MetaRow           = "row"
	MetaCorrelationID = "correlation_id"
	// MetaPartitionKey is the key the Kafka adapter partitions by.
	MetaPartitionKey = "partition_key"
	// MetaAttempts counts the transient failures of the row so far.
	MetaAttempts = "import_attempts"
)

// contractVersion is the payload version this package writes and reads.
const contractVersion = 1

// messageNamespace roots the deterministic message ids.
var messageNamespace = uuid.MustParse("6f1c2a3e-5b7d-4e8f-9a0b-1c2d3e4f5a6b")

// MessageID is the id of a job's row message.
func MessageID(jobID string, row int) string {
	return uuid.NewSHA1(messageNamespace, []byte(jobID+":"+strconv.Itoa(row))).String()
}

type rowMessage struct {
	V                int               `json:"v"`
	JobID            string            `json:"job_id"`
	TenantID         string            `json:"tenant_id"`
	Source           string            `json:"source"`
	Row              int               `json:"row"`
	Kind             string            `json:"kind,omitempty"`
	Fields           map[string]string `json:"fields,omitempty"`
	ManagerRow       int               `json:"manager_row,omitempty"`
	SourceModifiedAt *time.Time        `json:"source_modified_at,omitempty"`
	Rejection        []failure         `json:"rejection,omitempty"`
	Deferrals        int               `json:"deferrals,omitempty"`
}

type failure struct {
	Row     int    `json:"row"`
	Field   string `json:"field"`
	Code    string `json:"code"`
	Message string `json:"message"`
}

// encodeRow makes the message of a row.
func encodeRow(r command.ImportUserRow) (*message.Message, error) {
	m := rowMessage{V: contractVersion, JobID: r.JobID, TenantID: r.TenantID, Source: string(r.Source), Row: r.Row,
		Kind: string(r.Kind), Fields: r.Fields, ManagerRow: r.ManagerRow, Deferrals: r.Deferrals}
	if !r.SourceModifiedAt.IsZero() {
		t := r.SourceModifiedAt.UTC()
		m.SourceModifiedAt = &t
	}
	for _, f := range r.Rejection {
		m.Rejection = append(m.Rejection, failure(f))
	}
	payload, err := json.Marshal(m)
	if err != nil {
		return nil, fmt.Errorf("encode import row %d: %w", r.Row, err)
	}
	msg := message.NewMessage(MessageID(r.JobID, r.Row), payload)
	msg.Metadata.Set(MetaJobID, r.JobID)
	msg.Metadata.Set(MetaTenantID, r.TenantID)
	msg.Metadata.Set(MetaRow, strconv.Itoa(r.Row))
	msg.Metadata.Set(MetaCorrelationID, r.JobID)
	key := r.Fields[command.ColExternalID]
	if key == "" {
		key = r.Fields[command.ColEmail]
	}
	msg.Metadata.Set(MetaPartitionKey, r.TenantID+":"+key)
	return msg, nil
}

// errUndecodable marks a message this version cannot read.
var errUndecodable = errors.New("undecodable import message")

// decodeRow reads a row's message.
func decodeRow(msg *message.Message) (command.ImportUserRow, error) {
	var m rowMessage
	if err := json.Unmarshal(msg.Payload, &m); err != nil {
		return command.ImportUserRow{}, fmt.Errorf("%w %s: %w", errUndecodable, msg.UUID, err)
	}
	if m.V != contractVersion || m.JobID == "" || m.TenantID == "" || m.Row <= 0 {
		return command.ImportUserRow{}, fmt.Errorf("%w %s: version %d, job %q, row %d", errUndecodable, msg.UUID, m.V, m.JobID, m.Row)
	}
	r := command.ImportUserRow{JobID: m.JobID, TenantID: m.TenantID, Source: command.Source(m.Source), Deferrals: m.Deferrals,
		ImportRow: command.ImportRow{Row: m.Row, Kind: command.RowKind(m.Kind), Fields: m.Fields, ManagerRow: m.ManagerRow}}
	if m.SourceModifiedAt != nil {
		r.SourceModifiedAt = *m.SourceModifiedAt
	}
	for _, f := range m.Rejection {
		r.Rejection = append(r.Rejection, command.Failure(f))
	}
	return r, nil
}

// attempts reads a message's count of transient failures.
func attempts(msg *message.Message) int {
	n, _ := strconv.Atoi(msg.Metadata.Get(MetaAttempts))
	return n
}
