package relay

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/userservice/userservice/adapters/kafka/kafkatest"
	"github.com/userservice/userservice/adapters/postgres"
	"github.com/userservice/userservice/app/command"
	"github.com/userservice/userservice/domain/user"
)

// TestBrokerRestartsUnderLoadKeepEveryUsersOrder restarts the broker (every
// partition loses its leader, and gets it back) twice while commands keep
// writing and the relay keeps publishing with many records in flight: every
// event reaches Kafka at least once, and each user's events first arrive in
// version order, nothing missing.
func TestBrokerRestartsUnderLoadKeepEveryUsersOrder(t *testing.T) {
	broker := kafkatest.StartPrivateBroker(t, "relay-outage", outageBrokerPort)
	h := newHarnessOn(t, broker.Brokers())
	stop := h.startRelay(Config{BatchSize: 200, RetryInterval: 50 * time.Millisecond, MaxRetryInterval: time.Second})
	defer stop()

	ctx, stopWriting := context.WithCancel(h.ctx)
	var wg sync.WaitGroup
	wg.Go(func() { h.writeUntil(ctx, 10) })
	for range 2 {
		time.Sleep(time.Second)
		broker.Stop(t)
		time.Sleep(500 * time.Millisecond)
		broker.Start(t)
	}
	time.Sleep(time.Second) // writes after the last restart too
	stopWriting()
	wg.Wait()

	want := h.written()
	events := 0
	for _, ids := range want {
		events += len(ids)
	}
	got := h.ofTenant(h.readTopic(2*time.Minute, allOf(want)))
	if !allOf(want)(got) {
		h.logRelayState()
	}
	dups := checkDelivered(t, want, got)
	t.Logf("%d users, %d events, %d records (%d duplicates) across two broker restarts", len(want), events, len(got), dups)
	if events < 100 {
		t.Errorf("only %d events written: the load is too light to prove anything", events)
	}
}

// writeUntil registers users, then updates them round and round until ctx
// ends; a command refused while the database is busy is simply not counted.
func (h *harness) writeUntil(ctx context.Context, users int) {
	reg, err := command.NewRegisterUserHandler(h.uow, func() (user.ID, error) { id, err := uuid.NewV7(); return user.ID(id), err })
	must(h.t, err)
	upd, err := command.NewUpdateUserHandler(h.uow)
	must(h.t, err)
	env := func() command.Envelope {
		return command.Envelope{CommandID: uuid.NewString(), TenantID: h.tenant, Actor: "test", Source: command.SourceAPI, CorrelationID: "c"}
	}
	var wg sync.WaitGroup
	for i := range users {
		wg.Go(func() {
			res, err := reg.Handle(ctx, command.RegisterUser{Envelope: env(), Registration: user.Registration{
				Email: fmt.Sprintf("u%d-%s@example.com", i, uuid.NewString()[:8]), Profile: user.Profile{GivenName: "R", FamilyName: "Estart"}}})
			if err != nil {
				return
			}
			for j := 0; ctx.Err() == nil; j++ {
				title := fmt.Sprintf("title %d", j)
				_, _ = upd.Handle(ctx, command.UpdateUser{Envelope: env(), UserID: res.User.ID, Patch: user.Patch{Title: &title}})
				time.Sleep(20 * time.Millisecond)
			}
		})
	}
	wg.Wait()
}

// logRelayState logs, for a test that waited in vain, where the group
// stands in each shard, what is left after it, and the oldest transaction
// with an id in this database (which holds every later row back).
func (h *harness) logRelayState() {
	for shard := range postgres.OutboxShards {
		tbl := postgres.OutboxTopic(shard)
		var pos string
		var left int
		err := h.pool.QueryRow(h.ctx, `SELECT p.last_processed_transaction_id::text || ':' || p.offset_acked,
			(SELECT count(*) FROM watermill_`+tbl+` o WHERE (o.transaction_id, o."offset") > (p.last_processed_transaction_id, p.offset_acked))
			FROM watermill_offsets_`+tbl+` p WHERE p.consumer_group = $1`, h.group).Scan(&pos, &left)
		h.t.Logf("shard %d: group at %s, %d rows after it (%v)", shard, pos, left, err)
	}
	var age, query string
	err := h.pool.QueryRow(h.ctx, `SELECT coalesce(max(now() - xact_start)::text, 'none'), coalesce(min(left(query, 80)), '')
		FROM pg_stat_activity WHERE datname = current_database() AND backend_xid IS NOT NULL`).Scan(&age, &query)
	h.t.Logf("oldest transaction with an id in this database: %s (%s) (%v)", age, query, err)
}
