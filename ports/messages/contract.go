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
//
// Version 2 is a chunk: rows of one job (in queue order: managers before
// their reports), applied in one transaction. Payload: {"v":2, "job_id", "tenant_id", "source", "rows":[
// {"row", "kind", "fields", "manager_row", "source_modified_at", "rejection",
// "deferrals"}, ...]}; metadata as for a row, with row = the first row's
// number; the message id is a UUIDv5 of job id, "chunk" and the first row.
// Rows that must wait for their managers' rows are queued again together,
// as a chunk (id: UUIDv5 of job id, "waiting", first row and deferrals); a
// row of a chunk that failed is queued again as a version 1 message of its
// own, to be retried (then parked) alone.
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

// contractVersion is the payload version of one row; chunkVersion of a
// chunk of rows.
const (
	contractVersion = 1
	chunkVersion    = 2
)

// messageNamespace roots the deterministic message ids.
var messageNamespace = uuid.MustParse("6f1c2a3e-5b7d-4e8f-9a0b-1c2d3e4f5a6b")

// MessageID is the id of a job's row message.
func MessageID(jobID string, row int) string {
	return uuid.NewSHA1(messageNamespace, []byte(jobID+":"+strconv.Itoa(row))).String()
}

type rowMessage struct {
	V                int               `json:"v,omitempty"`
	JobID            string            `json:"job_id,omitempty"`
	TenantID         string            `json:"tenant_id,omitempty"`
	Source           string            `json:"source,omitempty"`
	Row              int               `json:"row"`
	Kind             string            `json:"kind,omitempty"`
	Fields           map[string]string `json:"fields,omitempty"`
	ManagerRow       int               `json:"manager_row,omitempty"`
	SourceModifiedAt *time.Time        `json:"source_modified_at,omitempty"`
	Rejection        []failure         `json:"rejection,omitempty"`
	Deferrals        int               `json:"deferrals,omitempty"`
	// MissingManager is the job's policy; in a chunk, on the chunk.
	MissingManager string `json:"missing_manager,omitempty"`
}

// chunkMessage is a version 2 payload; its rows carry the job's fields
// only once.
type chunkMessage struct {
	V        int          `json:"v"`
	JobID    string       `json:"job_id"`
	TenantID string       `json:"tenant_id"`
	Source   string       `json:"source"`
	Rows     []rowMessage `json:"rows"`
	// MissingManager is the job's policy for a manager not found.
	MissingManager string `json:"missing_manager,omitempty"`
}

type failure struct {
	Row        int    `json:"row"`
	Field      string `json:"field"`
	Code       string `json:"code"`
	Message    string `json:"message"`
	Severity   string `json:"severity,omitempty"`
	Value      string `json:"value,omitempty"`
	ExternalID string `json:"external_id,omitempty"`
	Email      string `json:"email,omitempty"`
	RootRow    int    `json:"root_row,omitempty"`
}

// toRowMessage is a row's payload, without the job's fields.
func toRowMessage(r command.ImportUserRow) rowMessage {
	m := rowMessage{Row: r.Row, Kind: string(r.Kind), Fields: r.Fields, ManagerRow: r.ManagerRow, Deferrals: r.Deferrals}
	if !r.SourceModifiedAt.IsZero() {
		t := r.SourceModifiedAt.UTC()
		m.SourceModifiedAt = &t
	}
	for _, f := range r.Rejection {
		m.Rejection = append(m.Rejection, failure(f))
	}
	return m
}

// encodeRow makes the message of a row.
func encodeRow(r command.ImportUserRow) (*message.Message, error) {
	m := toRowMessage(r)
	m.V, m.JobID, m.TenantID, m.Source = contractVersion, r.JobID, r.TenantID, string(r.Source)
	m.MissingManager = string(r.MissingManager)
	payload, err := json.Marshal(m)
	if err != nil {
		return nil, fmt.Errorf("encode import row %d: %w", r.Row, err)
	}
	return newImportMessage(MessageID(r.JobID, r.Row), payload, r), nil
}

// encodeChunk makes the message of consecutive rows of one job.
func encodeChunk(rows []command.ImportUserRow) (*message.Message, error) {
	first := rows[0]
	m := chunkMessage{V: chunkVersion, JobID: first.JobID, TenantID: first.TenantID, Source: string(first.Source),
		Rows: make([]rowMessage, len(rows)), MissingManager: string(first.MissingManager)}
	for i, r := range rows {
		if r.JobID != first.JobID || r.TenantID != first.TenantID || r.Source != first.Source || r.MissingManager != first.MissingManager {
			return nil, fmt.Errorf("encode import chunk: row %d is of another job than row %d", r.Row, first.Row)
		}
		m.Rows[i] = toRowMessage(r)
	}
	payload, err := json.Marshal(m)
	if err != nil {
		return nil, fmt.Errorf("encode import chunk from row %d: %w", first.Row, err)
	}
	return newImportMessage(ChunkMessageID(first.JobID, first.Row), payload, first), nil
}

// ChunkMessageID is the id of a job's chunk whose first row is row (the
// PostgreSQL queue's chunks queued straight from the staging table carry it
// too).
func ChunkMessageID(jobID string, row int) string {
	return uuid.NewSHA1(messageNamespace, []byte(jobID+":chunk:"+strconv.Itoa(row))).String()
}

// encodeWaitingRows makes the message of rows queued again to wait for
// their managers' rows: a chunk (a lone row as a row message), with an id of
// its own (the rows' first wait and their next differ).
func encodeWaitingRows(rows []command.ImportUserRow) (*message.Message, error) {
	if len(rows) == 1 {
		return encodeRow(rows[0])
	}
	m, err := encodeChunk(rows)
	if err != nil {
		return nil, err
	}
	m.UUID = uuid.NewSHA1(messageNamespace, []byte(fmt.Sprintf("%s:waiting:%d:%d", rows[0].JobID, rows[0].Row, rows[0].Deferrals))).String()
	return m, nil
}

func newImportMessage(id string, payload []byte, r command.ImportUserRow) *message.Message {
	msg := message.NewMessage(id, payload)
	msg.Metadata.Set(MetaJobID, r.JobID)
	msg.Metadata.Set(MetaTenantID, r.TenantID)
	msg.Metadata.Set(MetaRow, strconv.Itoa(r.Row))
	msg.Metadata.Set(MetaCorrelationID, r.JobID)
	key := r.Fields[command.ColExternalID]
	if key == "" {
		key = r.Fields[command.ColEmail]
	}
	msg.Metadata.Set(MetaPartitionKey, r.TenantID+":"+key)
	return msg
}

// errUndecodable marks a message this version cannot read.
var errUndecodable = errors.New("undecodable import message")

// decodeRow reads a row's message (version 1).
func decodeRow(msg *message.Message) (command.ImportUserRow, error) {
	rows, chunk, err := decodeMessage(msg)
	if err == nil && chunk {
		err = fmt.Errorf("%w %s: a chunk, not a row", errUndecodable, msg.UUID)
	}
	if err != nil {
		return command.ImportUserRow{}, err
	}
	return rows[0], nil
}

// decodeMessage reads a row's message or a chunk's (chunk true).
func decodeMessage(msg *message.Message) (rows []command.ImportUserRow, chunk bool, err error) {
	var head struct {
		V int `json:"v"`
	}
	if err := json.Unmarshal(msg.Payload, &head); err != nil {
		return nil, false, fmt.Errorf("%w %s: %w", errUndecodable, msg.UUID, err)
	}
	if head.V == chunkVersion {
		var m chunkMessage
		if err := json.Unmarshal(msg.Payload, &m); err != nil {
			return nil, true, fmt.Errorf("%w %s: %w", errUndecodable, msg.UUID, err)
		}
		if m.JobID == "" || m.TenantID == "" || len(m.Rows) == 0 {
			return nil, true, fmt.Errorf("%w %s: chunk of job %q with %d rows", errUndecodable, msg.UUID, m.JobID, len(m.Rows))
		}
		rows = make([]command.ImportUserRow, len(m.Rows))
		for i, r := range m.Rows {
			if r.Row <= 0 {
				return nil, true, fmt.Errorf("%w %s: chunk row %d", errUndecodable, msg.UUID, r.Row)
			}
			rows[i] = fromRowMessage(r, m.JobID, m.TenantID, m.Source)
			rows[i].MissingManager = command.MissingManagerPolicy(m.MissingManager)
		}
		return rows, true, nil
	}
	var m rowMessage
	if err := json.Unmarshal(msg.Payload, &m); err != nil {
		return nil, false, fmt.Errorf("%w %s: %w", errUndecodable, msg.UUID, err)
	}
	if m.V != contractVersion || m.JobID == "" || m.TenantID == "" || m.Row <= 0 {
		return nil, false, fmt.Errorf("%w %s: version %d, job %q, row %d", errUndecodable, msg.UUID, m.V, m.JobID, m.Row)
	}
	r := fromRowMessage(m, m.JobID, m.TenantID, m.Source)
	r.MissingManager = command.MissingManagerPolicy(m.MissingManager)
	return []command.ImportUserRow{r}, false, nil
}

func fromRowMessage(m rowMessage, jobID, tenantID, source string) command.ImportUserRow {
	r := command.ImportUserRow{JobID: jobID, TenantID: tenantID, Source: command.Source(source), Deferrals: m.Deferrals,
		ImportRow: command.ImportRow{Row: m.Row, Kind: command.RowKind(m.Kind), Fields: m.Fields, ManagerRow: m.ManagerRow}}
	if m.SourceModifiedAt != nil {
		r.SourceModifiedAt = *m.SourceModifiedAt
	}
	for _, f := range m.Rejection {
		r.Rejection = append(r.Rejection, command.Failure(f))
	}
	return r
}

// attempts reads a message's count of transient failures.
func attempts(msg *message.Message) int {
	n, _ := strconv.Atoi(msg.Metadata.Get(MetaAttempts))
	return n
}
