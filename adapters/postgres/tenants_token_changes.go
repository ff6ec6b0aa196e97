package postgres

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgxlisten"
)

// TokenChangeChannel is the LISTEN/NOTIFY channel on which a token's id is
// announced when a change commits that can stop it from working (migration
// 00041: a trigger on api_tokens, so every writer announces).
const TokenChangeChannel = "api_token_changed"

// tokenChangeReconnectDelay is how long a lost listener waits before it
// connects again; meanwhile the cache's TTL is the only bound.
const tokenChangeReconnectDelay = time.Second

// TokenForgetter is told of token changes: query.TokenCache.
type TokenForgetter interface {
	// Forget drops one token by id.
	Forget(tokenID string)
	// Reset drops every token: notices may have been missed.
	Reset()
}

// ListenTokenChanges keeps one connection LISTENing on TokenChangeChannel
// and makes cache forget each announced token, until ctx ends (then it
// returns nil). Each time it (re)connects it resets the whole cache, since
// changes committed while it was not listening were announced to nobody:
// only while it is down does a revoked token work on, for at most the
// cache's TTL. logError receives connection errors (it keeps trying).
func ListenTokenChanges(ctx context.Context, pool *pgxpool.Pool, cache TokenForgetter, logError func(error)) error {
	l := &pgxlisten.Listener{
		Connect: ListenConn(pool),
		LogError: func(_ context.Context, err error) {
			if logError != nil && !errors.Is(err, context.Canceled) {
				logError(err)
			}
		},
		ReconnectDelay: tokenChangeReconnectDelay,
	}
	l.Handle(TokenChangeChannel, tokenChanges{cache})
	err := l.Listen(ctx)
	if errors.Is(err, context.Canceled) || ctx.Err() != nil {
		return nil
	}
	return err
}

// tokenChanges hands notices to the cache.
type tokenChanges struct{ cache TokenForgetter }

func (h tokenChanges) HandleNotification(_ context.Context, n *pgconn.Notification, _ *pgx.Conn) error {
	h.cache.Forget(n.Payload)
	return nil
}

// HandleBacklog runs once LISTEN is in place after every (re)connect.
func (h tokenChanges) HandleBacklog(context.Context, string, *pgx.Conn) error {
	h.cache.Reset()
	return nil
}
