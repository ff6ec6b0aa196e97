package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// commandConn is the connection one command (or one group of commands) runs
// on. It opens its transaction only when something must happen inside one:
// the reads before a decision need none (they take no lock, and every write
// is guarded by the version or constraint it depends on), so a command costs
// one round trip to read and one to write, BEGIN and COMMIT travelling in the
// write's pipeline, and a no-op costs the read alone.
type commandConn struct {
	conn *pgx.Conn
}

// inTx reports whether the connection is inside a transaction block (open or
// failed), as the server last said.
func (c commandConn) inTx() bool { return c.conn.PgConn().TxStatus() != 'I' }

// begin opens the transaction now, unless it is open: for the manager checks,
// whose advisory lock must be held until the commit.
func (c commandConn) begin(ctx context.Context) error {
	if c.inTx() {
		return nil
	}
	if _, err := c.conn.Exec(ctx, "BEGIN"); err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	return nil
}

// Exec runs sql inside the transaction, opening it first.
func (c commandConn) Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error) {
	if err := c.begin(ctx); err != nil {
		return pgconn.CommandTag{}, err
	}
	return c.conn.Exec(ctx, sql, args...)
}

// Query runs sql inside the transaction, opening it first.
func (c commandConn) Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error) {
	if err := c.begin(ctx); err != nil {
		return nil, err
	}
	return c.conn.Query(ctx, sql, args...)
}

// commit runs b as one transaction in one round trip: BEGIN (unless open),
// b's statements, COMMIT. Every check in b must fail in the database (see
// migration 00040): an error from a Go callback would come after the COMMIT
// had run. With a hook (tests only) the COMMIT waits until the hook returns,
// standing for a crash between the writes and the commit.
//
// wake, unless empty, is the outbox channel to NOTIFY once committed (see
// outboxWakeups): it travels in the same round trip, after the COMMIT, as
// a statement of its own (an implicit transaction that writes no WAL, so
// it never holds the NOTIFY lock through a flush). Sent apart, it cost a
// connection of the pool and a round trip per command: a lone client ran
// 12 % faster without them (README, "What one command costs"). It is a
// hint: its failure (a full notification queue) leaves the command
// committed and answered as such.
func (c commandConn) commit(ctx context.Context, b *pgx.Batch, hook func(context.Context) error, wake string) error {
	all := &pgx.Batch{QueuedQueries: make([]*pgx.QueuedQuery, 0, len(b.QueuedQueries)+3)}
	if !c.inTx() {
		all.Queue("BEGIN")
	}
	all.QueuedQueries = append(all.QueuedQueries, b.QueuedQueries...)
	if hook == nil {
		all.Queue("COMMIT")
	}
	transaction := len(all.QueuedQueries)
	if hook == nil && wake != "" {
		all.Queue(notifySQL, wake)
	}
	if err := c.send(ctx, all, transaction); err != nil {
		return err
	}
	if hook != nil {
		if err := hook(ctx); err != nil {
			return err
		}
		if _, err := c.conn.Exec(ctx, "COMMIT"); err != nil {
			return err
		}
		if wake != "" {
			_, _ = c.conn.Exec(ctx, notifySQL, wake)
		}
	}
	if c.inTx() { // cannot happen after a COMMIT that did not fail; never report it as committed
		return errors.New("commit: the transaction was still open after COMMIT")
	}
	return nil
}

// send runs the batch in one round trip and returns the first error among
// its first n statements (the transaction); what comes after them (the
// wake-up) may fail without failing the transaction.
func (c commandConn) send(ctx context.Context, b *pgx.Batch, n int) error {
	br := c.conn.SendBatch(ctx, b)
	var err error
	for range n {
		if _, err = br.Exec(); err != nil {
			break
		}
	}
	closeErr := br.Close() // reads the results after the first n
	if err == nil && n == len(b.QueuedQueries) {
		err = closeErr
	}
	return err
}

// rollback ends a transaction left open or failed; nothing when none is.
func (c commandConn) rollback(ctx context.Context) error {
	if !c.inTx() {
		return nil
	}
	if _, err := c.conn.Exec(ctx, "ROLLBACK"); err != nil {
		return fmt.Errorf("rollback: %w", err)
	}
	return nil
}
