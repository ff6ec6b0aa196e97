package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// ListenConn is a pgxlisten.Listener's Connect on pool: a connection taken
// out of the pool for good (Hijack), since LISTEN holds it for as long as
// the listener runs and the pool must not hand it to anyone else. The
// listener closes it when it reconnects or stops.
func ListenConn(pool *pgxpool.Pool) func(context.Context) (*pgx.Conn, error) {
	return func(ctx context.Context) (*pgx.Conn, error) {
		c, err := pool.Acquire(ctx)
		if err != nil {
			return nil, err
		}
		return c.Hijack(), nil
	}
}
