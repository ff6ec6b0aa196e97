package relay

import (
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	wsql "github.com/ThreeDotsLabs/watermill-sql/v4/pkg/sql"

	"github.com/userservice/userservice/adapters/postgres"
)

// TestLateCommitIsNeverSkipped: a transaction that wrote an outbox row and
// commits after later transactions did is still relayed; the relay does not
// move past it while it is open.
func TestLateCommitIsNeverSkipped(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	stop := h.startRelay(Config{})
	defer stop()

	late := h.event(userOnShard(t, 2), 1, 10)
	tx, err := h.pool.Begin(h.ctx)
	must(t, err)
	defer func() { _ = tx.Rollback(h.ctx) }()
	pub, err := wsql.NewPublisher(wsql.TxFromPgx(tx), wsql.PublisherConfig{SchemaAdapter: postgres.OutboxSchema(0)}, watermill.NopLogger{})
	must(t, err)
	m, err := postgres.OutboxMessage(h.ctx, late)
	must(t, err)
	must(t, pub.Publish(postgres.OutboxTopic(2), m)) // the transaction has its id now

	after := []string{}
	for range 3 {
		e := h.event(userOnShard(t, 2), 1, 10)
		h.inject(e) // committed, with larger transaction ids
		after = append(after, e.ID)
	}
	// While the late transaction is open, nothing after it goes out (the
	// relay cannot know whether it will commit rows before them).
	early := h.ofTenant(h.readTopic(500*time.Millisecond, func([]record) bool { return false }))
	if len(early) != 0 {
		t.Errorf("%d events committed after the open transaction began reached Kafka before it ended", len(early))
	}
	must(t, tx.Commit(h.ctx)) // through the pgx.Tx (DESIGN.md)

	want := ids(late)
	want["later"] = after
	got := h.ofTenant(h.readTopic(time.Minute, allOf(want)))
	checkDelivered(t, want, got)
}
