package postgres

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill/components/delay"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/google/uuid"

	"github.com/userservice/userservice/adapters/postgres/pgtest"
)

// TestImportQueueTakesTenantsInTurn: behind one tenant's 200 queued
// messages, another tenant's message is among the next three, not 201st (fair
// keys), while the first tenant's messages keep their order. The messages
// are due only in an hour, so the importers of other tests leave them.
func TestImportQueueTakesTenantsInTurn(t *testing.T) {
	t.Parallel()
	pool := pgtest.Pool(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	pub, err := NewImportQueuePublisher(pool, nil)
	must(t, err)
	big, small := uuid.NewString(), uuid.NewString()
	later := time.Now().Add(time.Hour).UTC().Format(time.RFC3339Nano)
	msgs := func(tenant string, n int) []*message.Message {
		out := make([]*message.Message, n)
		for i := range out {
			m := message.NewMessage(uuid.NewString(), []byte(fmt.Sprintf(`{"v":1,"n":%d}`, i)))
			m.Metadata.Set("tenant_id", tenant)
			m.Metadata.Set(delay.DelayedUntilKey, later)
			out[i] = m
		}
		return out
	}
	t.Cleanup(func() {
		_, _ = pool.Exec(context.Background(), `DELETE FROM watermill_imports WHERE tenant_id = ANY($1)`, []string{big, small})
	})
	for range 4 { // as an upload queues: batch after batch
		must(t, pub.Publish(ImportQueueTopic, msgs(big, 50)...))
	}
	must(t, pub.Publish(ImportQueueTopic, msgs(small, 1)...))
	rows, err := pool.Query(ctx, `SELECT tenant_id, fair_key FROM watermill_imports WHERE tenant_id = ANY($1) ORDER BY fair_key, "offset"`,
		[]string{big, small})
	must(t, err)
	var order []string
	var keys []int64
	for rows.Next() {
		var tenant string
		var key int64
		must(t, rows.Scan(&tenant, &key))
		order, keys = append(order, tenant), append(keys, key)
	}
	must(t, rows.Err())
	if len(order) != 201 {
		t.Fatalf("%d messages", len(order))
	}
	at := -1
	for i, tenant := range order {
		if tenant == small {
			at = i
		}
	}
	if at < 0 || at > 2 {
		t.Fatalf("the small tenant's message is taken at position %d of 201 (keys %v...)", at, keys[:3])
	}
	for i := 1; i < len(keys); i++ {
		if order[i] == big && order[i-1] == big && keys[i] <= keys[i-1] {
			t.Fatalf("the big tenant's messages out of order at %d: %v", i, keys[i-1:i+1])
		}
	}
}

// TestImportQueueAdmitsBeforeItHoldsARow: a consumer asks Admit before it
// opens the transaction that takes (and holds) its next row, so a consumer
// waiting for its turn (the API first) holds no transaction, no row and no
// transaction id; the admission is released when that transaction ends.
// The consumer's pool has a name of the test's own, so its backends can be
// told apart; a row of another test it may take once admitted is nacked
// (given back, not applied).
func TestImportQueueAdmitsBeforeItHoldsARow(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	name := "t" + uuid.NewString()[:8] + " importer queue"
	subPool, err := Connect(ctx, WithApplicationName(pgtest.URL(), name), 2)
	must(t, err)
	t.Cleanup(subPool.Close)
	asked, released := make(chan struct{}, 16), make(chan struct{}, 16)
	gate := make(chan struct{})
	sub, err := NewImportQueueSubscriber(subPool, ImportQueueConfig{PollInterval: 10 * time.Millisecond,
		Admit: func(ctx context.Context) (func(), error) {
			asked <- struct{}{}
			select {
			case <-gate:
			case <-ctx.Done():
				return nil, ctx.Err()
			}
			return func() { released <- struct{}{} }, nil
		}}, nil)
	must(t, err)
	subCtx, stop := context.WithCancel(ctx)
	defer stop()
	msgs, err := sub.Subscribe(subCtx, ImportQueueTopic)
	must(t, err)
	t.Cleanup(func() { _ = sub.Close() })

	<-asked // the consumer waits for its turn
	var open int
	must(t, pgtest.Pool(t).QueryRow(ctx, `SELECT count(*) FROM pg_stat_activity
		WHERE application_name = $1 AND (xact_start IS NOT NULL OR backend_xid IS NOT NULL)`, name).Scan(&open))
	if open != 0 {
		t.Fatalf("a consumer waiting for its turn holds %d transactions, want none", open)
	}
	gate <- struct{}{} // one admission
	select {
	case msg := <-msgs: // another test's row: held in the admitted transaction until given back
		select {
		case <-released:
			t.Fatal("the admission was released while its transaction held a row")
		case <-time.After(50 * time.Millisecond):
		}
		msg.Nack()
		<-released
	case <-released: // nothing was due: the empty transaction ended
	case <-ctx.Done():
		t.Fatal("the admitted consumer neither took a row nor ended its transaction")
	}
}
