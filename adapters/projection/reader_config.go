package projection

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/userservice/userservice/domain/user"
)

// ReaderConfig says which events a Reader reads, and how.
type ReaderConfig struct {
	// TenantID, when set, reads only that tenant's events.
	TenantID string
	// Types, when set, reads only events of these stored types; a type
	// given without its version ("user.deactivated") matches every version.
	Types []string
	// FromSequence, when above zero, reads only events numbered
	// (events.position) from it on.
	FromSequence int64
	// Since, when set, reads only events that occurred at or after it.
	Since time.Time
	// BatchSize is the most events one Next returns, and the size of the
	// batches the other reads hand over. Default 1000.
	BatchSize int
	// Raw reads events exactly as stored: neither upcast nor decoded
	// (Payload stays nil). Re-publishing history needs that; projections
	// need the default: current types, decoded.
	Raw bool
	// Upcasters bring stored versions to current ones unless Raw. Default
	// user.EventUpcasters().
	Upcasters *user.Upcasters
	// Opener, when set, decrypts the personal fields of events before
	// they are upcast (personaldata.Keys); unset, sealed fields stay
	// sealed. Raw readers never decrypt: a re-publication carries the
	// events exactly as stored.
	Opener Opener
}

// Opener decrypts an event's personal fields with the wrapped data key read
// with it (nil: the stream has none; the fields then read as erased).
type Opener interface {
	Open(streamID user.ID, eventType string, data, wrappedKey []byte) ([]byte, error)
}

func (c *ReaderConfig) setDefaults() {
	if c.BatchSize == 0 {
		c.BatchSize = 1000
	}
	if c.Upcasters == nil {
		c.Upcasters = user.EventUpcasters()
	}
}

// Validate reports every problem of the configuration at once.
func (c ReaderConfig) Validate() error {
	var errs []error
	if c.BatchSize < 1 {
		errs = append(errs, fmt.Errorf("batch size must be positive, got %d", c.BatchSize))
	}
	if c.FromSequence < 0 {
		errs = append(errs, fmt.Errorf("from sequence must not be negative, got %d", c.FromSequence))
	}
	for _, t := range c.Types {
		if strings.TrimSpace(t) == "" {
			errs = append(errs, errors.New("an empty event type filter"))
		}
	}
	return errors.Join(errs...)
}

// Reader reads the event store: in the gap-safe global order (Next,
// Committed) or stream by stream (Streams).
type Reader struct {
	cfg   ReaderConfig
	where string
	args  []any
}

// NewReader returns a reader for cfg.
func NewReader(cfg ReaderConfig) (*Reader, error) {
	cfg.setDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("event reader: %w", err)
	}
	r := &Reader{cfg: cfg}
	var conds []string
	add := func(cond string, v any) {
		r.args = append(r.args, v)
		conds = append(conds, strings.ReplaceAll(cond, "?", "$"+strconv.Itoa(len(r.args))))
	}
	if cfg.TenantID != "" {
		add("events.tenant_id = ?::uuid", cfg.TenantID)
	}
	if len(cfg.Types) > 0 {
		add(`(events.type = ANY(?::text[]) OR regexp_replace(events.type, '\.v[0-9]+$', '') = ANY(?::text[]))`, cfg.Types)
	}
	if !cfg.Raw {
		// A decoding reader feeds the users read models: the events of
		// other aggregates in the same store (group.*) are not for it.
		conds = append(conds, "events.type LIKE 'user.%'")
	}
	if cfg.FromSequence > 0 {
		add("events.position >= ?", cfg.FromSequence)
	}
	if !cfg.Since.IsZero() {
		add("events.occurred_at >= ?", cfg.Since)
	}
	// Qualified: the stream-order read joins the data keys.
	r.where = strings.Join(append(conds, "true"), " AND ")
	return r, nil
}
