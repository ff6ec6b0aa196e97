package relay

import (
	"context"
	"errors"
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
//
// Every notification also nudges every shard (nudge): a shard whose rows
// wait behind another transaction looks again when any commit is announced,
// since the transaction it waits for may be that one, on another shard.
func listenForWakeUps(ctx context.Context, pool *pgxpool.Pool, wake, nudge map[int]chan struct{}, logger watermill.LoggerAdapter) error {
	l := &pgxlisten.Listener{
		Connect: postgres.ListenConn(pool),
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
			for _, n := range nudge {
				signal(n)
			}
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

// waitForWork waits for the shard's wake-up signal, when held also for a
// nudge (any shard's wake-up), or for d (a safety net for missed
// notifications and for rows held back by an older open transaction),
// whichever comes first, or for ctx to end. (A nudge left from a busy spell
// costs one read more.)
func waitForWork(ctx context.Context, wake, nudge <-chan struct{}, held bool, d time.Duration) {
	if !held {
		nudge = nil // a nil channel is never ready
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-wake:
	case <-nudge:
	case <-t.C:
	case <-ctx.Done():
	}
}

// sleep waits d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}

// backoff is an exponential wait after failures, from retry up to maxRetry.
type backoff struct {
	retry, maxRetry time.Duration
	failures        int
}

// next returns the wait after one more failure.
func (b *backoff) next() time.Duration {
	b.failures++
	return min(b.retry<<min(b.failures-1, 10), b.maxRetry)
}

func (b *backoff) reset() { b.failures = 0 }
