package projection

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/userservice/userservice/domain/user"
)

// Event is one stored event as a projection sees it.
type Event struct {
	// Position is the event's place in the global order; zero for an event
	// applied inline, before its transaction commits.
	Position Position
	// ID is the event id: unique, and the id subscribers de-duplicate by.
	ID       string
	StreamID user.ID
	TenantID string
	// Version is the event's place in its stream, from 1.
	Version int
	// Type and Data are the event as stored or, when read with upcasting,
	// as brought to the current version of its type.
	Type string
	Data []byte
	// Payload is the decoded event; nil when the event was read raw.
	Payload       user.Event
	OccurredAt    time.Time
	CommandID     string
	CorrelationID string
	Actor         string
	Source        string
	// DataKey is the wrapped data key of the stream, read with the event
	// for ReaderConfig.Opener (nil: none, e.g. the person was erased).
	DataKey []byte
}

// Position is a place in the global event order: the id of the transaction
// that wrote the event, then the event's number (events.position). Ordered
// this way and read only below the oldest running transaction, a reader
// never skips an event that commits late.
type Position struct {
	TransactionID int64
	Sequence      int64
}

// Less reports whether p comes before q.
func (p Position) Less(q Position) bool {
	return p.TransactionID < q.TransactionID || p.TransactionID == q.TransactionID && p.Sequence < q.Sequence
}

// String renders p as "transaction:sequence", the form ParsePosition reads.
func (p Position) String() string { return fmt.Sprintf("%d:%d", p.TransactionID, p.Sequence) }

// ParsePosition reads "transaction:sequence".
func ParsePosition(s string) (Position, error) {
	tx, seq, ok := strings.Cut(s, ":")
	t, err1 := strconv.ParseInt(tx, 10, 64)
	q, err2 := strconv.ParseInt(seq, 10, 64)
	if !ok || err1 != nil || err2 != nil || t < 0 || q < 0 {
		return Position{}, fmt.Errorf("position %q: want transaction:sequence, two non-negative integers", s)
	}
	return Position{TransactionID: t, Sequence: q}, nil
}
