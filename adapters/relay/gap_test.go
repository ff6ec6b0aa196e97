package relay

import (
	"net/url"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	wsql "github.com/ThreeDotsLabs/watermill-sql/v4/pkg/sql"
	"github.com/jackc/pgx/v5"

	"github.com/userservice/userservice/adapters/postgres"
	"github.com/userservice/userservice/adapters/postgres/pgtest"
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

// TestOpenTransactionInAnotherDatabaseDoesNotHoldTheRelayBack: a
// transaction with an id, open in another database of the cluster, cannot
// write the outbox, so the relay does not wait for it (the snapshot's xmin,
// cluster-wide, would have held every later row back until it ended).
func TestOpenTransactionInAnotherDatabaseDoesNotHoldTheRelayBack(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	u, err := url.Parse(pgtest.URL())
	must(t, err)
	u.Path = "/postgres" // the cluster's maintenance database
	conn, err := pgx.Connect(h.ctx, u.String())
	if err != nil {
		pgtest.Unavailable(t, "PostgreSQL's postgres database", err)
	}
	defer conn.Close(h.ctx)
	tx, err := conn.Begin(h.ctx)
	must(t, err)
	defer func() { _ = tx.Rollback(h.ctx) }()
	var xid string
	must(t, tx.QueryRow(h.ctx, `SELECT pg_current_xact_id()::text`).Scan(&xid)) // it has an id now

	stop := h.startRelay(Config{})
	defer stop()
	e := h.event(userOnShard(t, 0), 1, 10)
	h.inject(e)
	// Other tests' transactions in this database may hold it back a moment.
	got := h.ofTenant(h.readTopic(20*time.Second, allOf(ids(e))))
	if len(got) == 0 {
		t.Fatalf("an event committed after transaction %s began in another database waited for it", xid)
	}
}

// TestRelaysOwnTransactionsDoNotHoldItBack: a transaction of the relay's
// own (an acknowledgement, a cleanup DELETE), marked with relayAppName,
// writes no outbox row, so no relay waits for it; an unmarked one would
// hold every later row back (TestLateCommitIsNeverSkipped).
func TestRelaysOwnTransactionsDoNotHoldItBack(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	tx, err := h.pool.Begin(h.ctx)
	must(t, err)
	defer func() { _ = tx.Rollback(h.ctx) }()
	_, err = tx.Exec(h.ctx, `SET LOCAL application_name TO '`+relayAppName+`'`)
	must(t, err)
	var xid string
	must(t, tx.QueryRow(h.ctx, `SELECT pg_current_xact_id()::text`).Scan(&xid)) // it has an id now

	stop := h.startRelay(Config{})
	defer stop()
	e := h.event(userOnShard(t, 1), 1, 10)
	h.inject(e)
	// Other tests' transactions in this database may hold it back a moment.
	got := h.ofTenant(h.readTopic(20*time.Second, allOf(ids(e))))
	if len(got) == 0 {
		t.Fatalf("an event committed after the relay's own transaction %s began waited for it", xid)
	}
}
