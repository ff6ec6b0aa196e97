package relay

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	wsql "github.com/ThreeDotsLabs/watermill-sql/v4/pkg/sql"
	"github.com/google/uuid"

	"github.com/userservice/userservice/adapters/kafka"
	"github.com/userservice/userservice/adapters/kafka/kafkatest"
	"github.com/userservice/userservice/adapters/postgres"
	"github.com/userservice/userservice/adapters/projection"
	"github.com/userservice/userservice/domain/user"
)

// userOnShard returns a new user id whose events go to shard.
func userOnShard(t *testing.T, shard int) user.ID {
	t.Helper()
	for {
		id, err := uuid.NewV7()
		must(t, err)
		if postgres.OutboxShard(user.ID(id)) == shard {
			return user.ID(id)
		}
	}
}

// event is version v of a user's stream with data of about size bytes.
func (h *harness) event(id user.ID, v, size int) projection.Event {
	data, err := json.Marshal(map[string]string{"title": strings.Repeat("x", size)})
	must(h.t, err)
	return projection.Event{ID: uuid.NewString(), StreamID: id, TenantID: h.tenant, Version: v, Type: "user.updated.v1",
		Data: data, OccurredAt: time.Now().UTC(), CommandID: uuid.NewString(), CorrelationID: "c"}
}

// inject writes events straight into their outbox shards in one
// transaction, below the API and its size limits.
func (h *harness) inject(events ...projection.Event) {
	h.t.Helper()
	tx, err := h.pool.Begin(h.ctx)
	must(h.t, err)
	defer func() { _ = tx.Rollback(h.ctx) }()
	pub, err := wsql.NewPublisher(wsql.TxFromPgx(tx), wsql.PublisherConfig{SchemaAdapter: postgres.OutboxSchema(0)}, watermill.NopLogger{})
	must(h.t, err)
	for _, e := range events {
		m, err := postgres.OutboxMessage(h.ctx, e)
		must(h.t, err)
		must(h.t, pub.Publish(postgres.OutboxTopic(postgres.OutboxShard(e.StreamID)), m))
	}
	must(h.t, tx.Commit(h.ctx)) // through the pgx.Tx (DESIGN.md)
}

func ids(events ...projection.Event) map[string][]string {
	out := map[string][]string{}
	for _, e := range events {
		out[e.StreamID.String()] = append(out[e.StreamID.String()], e.ID)
	}
	return out
}

// TestOversizeMessageIsParkedWhileOtherUsersFlow: a message over the
// producer's limit, injected below the API, is parked; later messages of the
// same user wait behind it (parked too, in order); every other user's events,
// on the same shard and on others, keep flowing; `outbox retry` after the
// limit was raised publishes the parked ones in order and the user flows again.
func TestOversizeMessageIsParkedWhileOtherUsersFlow(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	// A topic that admits 4 MiB records, so the retry below can succeed
	// with a producer whose limit was raised to it (the operator's fix).
	h.topic = kafkatest.UniqueName(t, "park")
	must(t, kafka.EnsureTopic(h.ctx, h.brokers, h.topic, 4<<20))
	parking := postgres.NewOutboxParking(h.pool)

	const shard = 1
	poison, other, far := userOnShard(t, shard), userOnShard(t, shard), userOnShard(t, shard+1)
	p1, p2, o1, p3, o2, f1 := h.event(poison, 1, 10), h.event(poison, 2, 1_500_000), h.event(other, 1, 10),
		h.event(poison, 3, 10), h.event(other, 2, 10), h.event(far, 1, 10)
	h.inject(p1, p2, o1, p3, o2, f1)
	stop := h.startRelay(Config{})
	defer stop()

	flowing := ids(p1, o1, o2, f1)
	got := h.ofTenant(h.readTopic(time.Minute, allOf(flowing)))
	checkDelivered(t, flowing, got)
	parked := waitParked(t, h, parking, 2)
	if parked[0].UUID != p2.ID || parked[0].BehindUUID != "" || !strings.Contains(parked[0].Reason, "MaxMessageBytes") {
		t.Errorf("first parked = %s behind %q (%s), want the oversize %s refused by the producer", parked[0].UUID, parked[0].BehindUUID, parked[0].Reason, p2.ID)
	}
	if parked[1].UUID != p3.ID || parked[1].BehindUUID != p2.ID {
		t.Errorf("second parked = %s behind %q, want %s behind %s", parked[1].UUID, parked[1].BehindUUID, p3.ID, p2.ID)
	}

	// Later: the poisoned user's next event waits too; the other user's flows.
	p4, o3 := h.event(poison, 4, 10), h.event(other, 3, 10)
	h.inject(p4, o3)
	got = h.ofTenant(h.readTopic(time.Minute, allOf(ids(o3))))
	parked = waitParked(t, h, parking, 3)
	for _, r := range got {
		if r.envelope.Subject == poison.String() && r.envelope.StreamVersion > 1 {
			t.Errorf("version %d of the poisoned user reached Kafka while version 2 is parked", r.envelope.StreamVersion)
		}
	}
	if parked[2].UUID != p4.ID || parked[2].BehindUUID != p2.ID {
		t.Errorf("third parked = %s behind %q, want %s behind %s", parked[2].UUID, parked[2].BehindUUID, p4.ID, p2.ID)
	}

	// The operator raises the producer's limit and retries.
	big, err := kafka.NewPublisher(kafka.PublisherConfig{Brokers: h.brokers, MaxMessageBytes: 4 << 20}, nil)
	must(t, err)
	defer big.Close()
	n, err := RetryParked(h.ctx, parking, big, h.topic, h.group, poison.String())
	if err != nil || n != 3 {
		t.Fatalf("RetryParked = %d, %v; want 3 published", n, err)
	}
	if left, err := parking.List(h.ctx, h.group, ""); err != nil || len(left) != 0 {
		t.Fatalf("after the retry %d parked (%v), want none", len(left), err)
	}
	p5 := h.event(poison, 5, 10)
	h.inject(p5)
	all := ids(p1, p2, p3, p4, p5, o1, o2, o3, f1)
	got = h.ofTenant(h.readTopic(time.Minute, allOf(all)))
	checkDelivered(t, all, got)
	// First arrivals (a retried batch may repeat what preceded the refusal).
	var versions []int
	seen := map[string]bool{}
	for _, r := range got {
		if r.envelope.Subject == poison.String() && !seen[r.envelope.ID] {
			seen[r.envelope.ID] = true
			versions = append(versions, r.envelope.StreamVersion)
		}
	}
	if fmt.Sprint(versions) != "[1 2 3 4 5]" {
		t.Errorf("the poisoned user's versions first reached Kafka as %v, want [1 2 3 4 5]", versions)
	}
}

// waitParked waits until the group has n parked messages and returns them.
func waitParked(t *testing.T, h *harness, parking *postgres.OutboxParking, n int) []postgres.ParkedMessage {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		list, err := parking.List(h.ctx, h.group, "")
		must(t, err)
		if len(list) >= n || time.Now().After(deadline) {
			if len(list) != n {
				t.Fatalf("%d parked messages, want %d", len(list), n)
			}
			return list
		}
		time.Sleep(20 * time.Millisecond)
	}
}
