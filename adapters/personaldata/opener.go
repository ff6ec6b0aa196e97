package personaldata

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/userservice/userservice/domain/user"
)

// Querier runs one-row queries: a *pgxpool.Pool, say.
type Querier interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// StoreOpener decrypts published events for a subscriber trusted with the
// service's database (eventcontract.Opener): it reads the subject's data
// key per sealed event. Subscribers without it see personal fields unset.
type StoreOpener struct {
	Keys *Keys
	DB   Querier
	// Timeout bounds one key read. Default 5s.
	Timeout time.Duration
}

// OpenEvent implements eventcontract.Opener.
func (o StoreOpener) OpenEvent(subject, eventType string, data []byte) ([]byte, error) {
	if !IsSealed(data) {
		return data, nil
	}
	id, err := user.ParseID(subject)
	if err != nil {
		return nil, fmt.Errorf("personaldata: subject %q: %w", subject, err)
	}
	timeout := o.Timeout
	if timeout == 0 {
		timeout = 5 * time.Second
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	wrapped, err := o.Keys.LoadKey(ctx, o.DB, id)
	if err != nil {
		return nil, &KeyStoreError{Err: err}
	}
	return o.Keys.Open(id, eventType, data, wrapped)
}

// KeyStoreError is a failure to read a data key from the store (the
// database did not answer, or not in time): the event is fine and decrypts
// once it does, so a subscriber retries it rather than skip it as broken.
// The chaos suite's pg-stall found directory events skipped for this.
type KeyStoreError struct{ Err error }

func (e *KeyStoreError) Error() string { return e.Err.Error() }

// Unwrap returns the store's error.
func (e *KeyStoreError) Unwrap() error { return e.Err }

// Temporary reports that reading the key again may succeed
// (eventcontract.ErrOpenerUnavailable).
func (e *KeyStoreError) Temporary() bool { return true }
