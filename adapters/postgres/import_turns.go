package postgres

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// ImportTurns lets the import's background work take turns across
// processes while the API is busy (messages.APIFirst): a chunk of an
// importer process, a chunk of another importer process and a batch of an
// upload's queueing on an api process hold the same advisory lock for their
// turn, so the busy API meets one of them at a time, however many
// processes import. Before, each process paced itself alone: in the full
// bench the upload's queueing and the importer's chunks ran side by side
// during the 1M import, about one core of the two, and the API's create-user
// p99 was 2.90× its idle p99.
//
// The lock is held on a connection of its own, opened on first use and
// named apart (<prefix> import turn), so a turn never takes a connection
// the work it admits needs, and waiting for a turn never counts as the
// API's work. A connection that fails is closed, which releases its lock
// with the session. The lock's key is that name's hash (as the rebuild's
// locks are): the processes that share a prefix, which are the ones that
// see each other's API work, share the turn; advisory locks are per
// database.
type ImportTurns struct {
	config *pgx.ConnConfig
	name   string
	// sem holds the connection: one turn at a time per ImportTurns, and a
	// wait for it that ends with its context.
	sem  chan struct{}
	conn *pgx.Conn
}

// NewImportTurns returns the turns of the database pool talks to, on a
// connection of their own named prefix + " import turn" (empty prefix:
// ApplicationNamePrefix).
func NewImportTurns(pool *pgxpool.Pool, prefix string) (*ImportTurns, error) {
	if pool == nil {
		return nil, errors.New("postgres.NewImportTurns: nil pool")
	}
	if prefix == "" {
		prefix = ApplicationNamePrefix
	}
	cfg, name := pool.Config().ConnConfig.Copy(), prefix+" import turn"
	cfg.RuntimeParams["application_name"] = name
	return &ImportTurns{config: cfg, name: name, sem: make(chan struct{}, 1)}, nil
}

// Take implements messages.Turns: it returns once this process holds the
// turn, and release ends it.
func (t *ImportTurns) Take(ctx context.Context) (release func(), err error) {
	select {
	case t.sem <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	if err := t.lock(ctx); err != nil {
		t.drop()
		<-t.sem
		return nil, fmt.Errorf("take the import's turn: %w", err)
	}
	return sync.OnceFunc(t.unlock), nil
}

func (t *ImportTurns) lock(ctx context.Context) error {
	if t.conn == nil {
		conn, err := pgx.ConnectConfig(ctx, t.config)
		if err != nil {
			return err
		}
		t.conn = conn
	}
	_, err := t.conn.Exec(ctx, `SELECT pg_advisory_lock(hashtextextended($1, 0))`, t.name)
	return err
}

// unlock ends the turn; if the unlock fails the connection is closed, which
// ends the lock with the session.
func (t *ImportTurns) unlock() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := t.conn.Exec(ctx, `SELECT pg_advisory_unlock(hashtextextended($1, 0))`, t.name); err != nil {
		t.drop()
	}
	<-t.sem
}

// drop closes the connection, if any (its session's lock goes with it).
func (t *ImportTurns) drop() {
	if t.conn == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	_ = t.conn.Close(ctx)
	t.conn = nil
}

// Close closes the turns' connection. Call it once no turn is held or
// being taken.
func (t *ImportTurns) Close() {
	t.sem <- struct{}{}
	t.drop()
	<-t.sem
}
