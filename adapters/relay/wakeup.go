package relay

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgxlisten"

	"github.com/userservice/userservice/adapters/postgres"
)

// listenForWakeUps keeps one connection LISTENing on every shard's channel and
// signals the shard's wake channel on each notification. Signals coalesce: a
// relay that is busy finds one pending wake-up when it next goes idle, so a
// notification is never lost between a query and the wait.
func listenForWakeUps(ctx context.Context, pool *pgxpool.Pool, wake map[int]chan struct{}, logger watermill.LoggerAdapter) error {
	l := &pgxlisten.Listener{
		Connect: func(ctx context.Context) (*pgx.Conn, error) {
			c, err := pool.Acquire(ctx)
			if err != nil {
				return nil, err
			}
			return c.Hijack(), nil
		},
		LogError: func(_ context.Context, err error) {
			if !errors.Is(err, context.Canceled) {
				logger.Error("outbox wake-up listener", err, nil)
			}
		},
		ReconnectDelay: time.Second,
	}
	for shard, ch := range wake {
		l.Handle(postgres.OutboxWakeChannel(shard), pgxlisten.HandlerFunc(func(context.Context, *pgconn.Notification, *pgx.Conn) error {
			signal(ch)
			return nil
		}))
	}
	err := l.Listen(ctx)
	if errors.Is(err, context.Canceled) {
		return nil
	}
	return err
}

func signal(ch chan struct{}) {
	select {
	case ch <- struct{}{}:
	default:
	}
}

// wakingBackoff is a watermill-sql BackoffManager that, when a query finds no
// message, waits for the shard's wake-up signal (or the poll interval, a
// safety net for missed notifications and for rows held back by an older open
// transaction) and then asks the subscriber to query again at once. Errors
// back off exponentially up to maxRetry, so an unreachable database is not
// hammered.
type wakingBackoff struct {
	wake     <-chan struct{}
	done     <-chan struct{}
	poll     time.Duration
	retry    time.Duration
	maxRetry time.Duration
	failures int
}

// HandleError implements sql.BackoffManager.
func (b *wakingBackoff) HandleError(logger watermill.LoggerAdapter, noMsg bool, err error) time.Duration {
	if err != nil {
		select {
		case <-b.done:
			return 0 // shutting down: the cancelled query is expected, and rolled back
		default:
		}
		if strings.Contains(strings.ToLower(err.Error()), "concurrent update") {
			return 0 // another relay took the offsets lock: try again now
		}
		b.failures++
		wait := b.retry << min(b.failures-1, 10)
		wait = min(wait, b.maxRetry)
		logger.Error("outbox query failed", err, watermill.LogFields{"retry_in": wait.String()})
		return wait
	}
	b.failures = 0
	if !noMsg {
		return 0
	}
	t := time.NewTimer(b.poll)
	defer t.Stop()
	select {
	case <-b.wake:
	case <-t.C:
	case <-b.done:
	}
	return 0
}
