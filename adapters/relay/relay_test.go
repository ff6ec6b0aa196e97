package relay

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/IBM/sarama"
	"github.com/ThreeDotsLabs/watermill"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/userservice/userservice/adapters/eventcontract"
	"github.com/userservice/userservice/adapters/kafka"
	"github.com/userservice/userservice/adapters/kafka/kafkatest"
	"github.com/userservice/userservice/adapters/postgres"
	"github.com/userservice/userservice/adapters/postgres/pgtest"
	"github.com/userservice/userservice/adapters/relay/relaytest"
	"github.com/userservice/userservice/app/command"
	"github.com/userservice/userservice/domain/user"
)

// harness is one test's tenant, Kafka topic and relay consumer group.
type harness struct {
	t       *testing.T
	ctx     context.Context
	pool    *pgxpool.Pool
	brokers []string
	topic   string
	group   string
	tenant  string
	uow     *postgres.UnitOfWork
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	return newHarnessOn(t, kafkatest.Brokers(t))
}

// newHarnessOn is newHarness on the given Kafka brokers (a test's private
// broker, for one it stops and starts).
func newHarnessOn(t *testing.T, brokers []string) *harness {
	t.Helper()
	return newHarnessWith(t, brokers, 1, 3*time.Minute)
}

// newHarnessWith is newHarnessOn with the topic's partitions on that many
// brokers, and the test's time limit.
func newHarnessWith(t *testing.T, brokers []string, replicas int16, limit time.Duration) *harness {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	t.Cleanup(cancel)
	h := &harness{t: t, ctx: ctx, pool: pgtest.Pool(t), brokers: brokers}
	h.topic = kafkatest.ReplicatedTopic(t, h.brokers, 4, replicas)
	h.group = kafkatest.UniqueName(t, "relay")
	h.tenant = uuid.NewString()
	must(t, postgres.NewTenants(h.pool).CreateTenant(ctx, command.Tenant{ID: h.tenant, Name: t.Name(), Seats: 100000}))
	var err error
	h.uow, err = postgres.NewUnitOfWork(h.pool, nil)
	must(t, err)
	relaytest.StartGroupAtEnd(t, h.pool, h.group)
	return h
}

var testLogger = watermill.NewStdLogger(false, false)

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// write registers users and updates each a few times; it returns the ids of
// the events written, per user, in stream order.
func (h *harness) write(users, updatesEach int) map[string][]string {
	h.t.Helper()
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
			res, err := reg.Handle(h.ctx, command.RegisterUser{Envelope: env(), Registration: user.Registration{
				Email: fmt.Sprintf("u%d-%s@example.com", i, uuid.NewString()[:8]), Profile: user.Profile{GivenName: "R", FamilyName: "Elay"}}})
			if err != nil {
				h.t.Error(err)
				return
			}
			for j := range updatesEach {
				title := fmt.Sprintf("title %d", j)
				if _, err := upd.Handle(h.ctx, command.UpdateUser{Envelope: env(), UserID: res.User.ID, Patch: user.Patch{Title: &title}}); err != nil {
					h.t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	return h.written()
}

// written returns the ids of every event of the tenant, per user, in
// stream order.
func (h *harness) written() map[string][]string {
	h.t.Helper()
	want := map[string][]string{}
	rows, err := h.pool.Query(h.ctx, `SELECT stream_id::text, event_id::text FROM events WHERE tenant_id = $1 ORDER BY stream_id, version`, h.tenant)
	must(h.t, err)
	for rows.Next() {
		var s, e string
		must(h.t, rows.Scan(&s, &e))
		want[s] = append(want[s], e)
	}
	must(h.t, rows.Err())
	return want
}

// startRelay runs a relay of this harness until the returned stop is called.
func (h *harness) startRelay(cfg Config) (stop func()) {
	h.t.Helper()
	pub, err := kafka.NewOrderedPublisher(kafka.OrderedPublisherConfig{Brokers: h.brokers}, nil)
	must(h.t, err)
	cfg.KafkaTopic, cfg.ConsumerGroup = h.topic, h.group
	// A pool of its own, as the relay role has: while Kafka is down its
	// shards hold their connections, and the writers must not wait for them.
	pool, err := postgres.Connect(h.ctx, pgtest.URL(), PoolSize(0))
	must(h.t, err)
	r, err := New(pool, pub, cfg, testLogger)
	must(h.t, err)
	ctx, cancel := context.WithCancel(h.ctx)
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx) }()
	return func() {
		cancel()
		if err := <-done; err != nil {
			h.t.Errorf("relay: %v", err)
		}
		must(h.t, pub.Close())
		pool.Close()
	}
}

// record is one Kafka record of the topic.
type record struct {
	key      string
	headers  map[string]string
	envelope eventcontract.Envelope
	raw      []byte
}

// ofTenant keeps the records of the harness's tenant: the outbox is shared,
// so a relay also carries what parallel tests write.
func (h *harness) ofTenant(got []record) []record {
	var mine []record
	for _, r := range got {
		if r.envelope.TenantID == h.tenant {
			mine = append(mine, r)
		}
	}
	return mine
}

// readTopic reads the topic until done says enough or the timeout passes.
func (h *harness) readTopic(timeout time.Duration, done func([]record) bool) []record {
	h.t.Helper()
	var got []record
	kafkatest.Read(h.t, h.brokers, h.topic, timeout, func(msgs []*sarama.ConsumerMessage) bool {
		for _, m := range msgs[len(got):] {
			r := record{key: string(m.Key), headers: map[string]string{}, raw: m.Value}
			for _, hd := range m.Headers {
				r.headers[string(hd.Key)] = string(hd.Value)
			}
			// A tombstone (an erased user's, maybe of a parallel test) has
			// no envelope: it belongs to no tenant here.
			if err := json.Unmarshal(m.Value, &r.envelope); err != nil && len(m.Value) > 0 {
				h.t.Errorf("record is not a CloudEvents envelope: %v: %s", err, m.Value)
			}
			got = append(got, r)
		}
		return done(got)
	})
	return got
}

// allOf reports when every wanted event id has been read at least once.
func allOf(want map[string][]string) func([]record) bool {
	wanted := map[string]bool{}
	for _, ids := range want {
		for _, id := range ids {
			wanted[id] = true
		}
	}
	return func(got []record) bool {
		seen := map[string]bool{}
		for _, r := range got {
			if wanted[r.envelope.ID] {
				seen[r.envelope.ID] = true
			}
		}
		return len(seen) == len(wanted)
	}
}

// checkDelivered asserts that every wanted event arrived, keyed by its user,
// with per-user stream versions never going backwards, and returns how many
// duplicates there were.
func checkDelivered(t *testing.T, want map[string][]string, got []record) (duplicates int) {
	t.Helper()
	seen := map[string]int{}
	lastVersion := map[string]int{}
	for _, r := range got {
		e := r.envelope
		seen[e.ID]++
		if seen[e.ID] > 1 {
			duplicates++
			continue
		}
		if r.key != e.Subject || r.headers[eventcontract.MetaEventID] != e.ID || r.headers[eventcontract.MetaEventType] != e.Type {
			t.Errorf("record %s: key %q, headers %v do not match the envelope", e.ID, r.key, r.headers)
		}
		if e.StreamVersion < lastVersion[e.Subject] {
			t.Errorf("user %s: version %d after %d", e.Subject, e.StreamVersion, lastVersion[e.Subject])
		}
		lastVersion[e.Subject] = e.StreamVersion
	}
	for userID, ids := range want {
		for _, id := range ids {
			if seen[id] == 0 {
				t.Errorf("event %s of user %s never reached Kafka", id, userID)
			}
		}
	}
	return duplicates
}

func TestRelayPublishesEveryEventExactlyOnceInUserOrder(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	stop := h.startRelay(Config{})
	defer stop()
	want := h.write(30, 4)
	got := h.ofTenant(h.readTopic(time.Minute, allOf(want)))
	if dups := checkDelivered(t, want, got); dups != 0 {
		t.Fatalf("%d duplicates after normal operation", dups)
	}
	if len(got) != 150 {
		t.Fatalf("read %d records, want 150", len(got))
	}
}

func TestRelayStoppedMidStreamResumesWithoutGaps(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	want := h.write(40, 5)
	stop := h.startRelay(Config{BatchSize: 7})
	time.Sleep(150 * time.Millisecond) // part of the backlog is out
	stop()
	stop = h.startRelay(Config{BatchSize: 7})
	defer stop()
	got := h.ofTenant(h.readTopic(time.Minute, allOf(want)))
	dups := checkDelivered(t, want, got)
	t.Logf("%d events, %d records, %d duplicates after the restart", 240, len(got), dups)
}

func TestTwoRelaysOnOneGroupDeliverEverythingInOrder(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	stopA := h.startRelay(Config{})
	defer stopA()
	stopB := h.startRelay(Config{})
	defer stopB()
	want := h.write(30, 3)
	got := h.ofTenant(h.readTopic(time.Minute, allOf(want)))
	checkDelivered(t, want, got)
}

func TestCleanupDeletesOnlyRowsEveryGroupRelayed(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	want := h.write(5, 1)
	stop := h.startRelay(Config{})
	h.readTopic(time.Minute, allOf(want))
	stop()
	all := h.write(3, 0) // this group has not relayed the new ones
	more := map[string][]string{}
	for userID, ids := range all {
		if _, old := want[userID]; !old {
			more[userID] = ids
		}
	}
	r := h.cleaner(time.Nanosecond)
	for shard := range postgres.OutboxShards {
		tbl := postgres.OutboxTopic(shard)
		// Other tests' groups share the outbox and keep moving, so what may
		// be deleted is bounded by the slowest group and grows meanwhile:
		// check that the rows every group had relayed before the cleanup
		// are gone, not a count.
		var relayed []int64
		rows, err := h.pool.Query(h.ctx, `SELECT o."offset" `+relayedSQL(shard)+
			` AND o.created_at < now()::timestamp - interval '1 second'`)
		must(t, err)
		relayed, err = pgx.CollectRows(rows, pgx.RowTo[int64])
		must(t, err)
		_, err = r.Cleanup(h.ctx, shard)
		must(t, err)
		var relayedLeft int
		must(t, h.pool.QueryRow(h.ctx, `SELECT count(*) FROM watermill_`+tbl+` WHERE "offset" = ANY($1)`, relayed).Scan(&relayedLeft))
		if relayedLeft != 0 {
			t.Errorf("shard %d: %d of %d rows every group had relayed survived cleanup", shard, relayedLeft, len(relayed))
		}
		var unrelayed int
		must(t, h.pool.QueryRow(h.ctx, `SELECT count(*) FROM watermill_`+tbl+` o, watermill_offsets_`+tbl+` p
			WHERE p.consumer_group = $1 AND o.metadata->>'tenant_id' = $2
			AND (o.transaction_id, o."offset") > (p.last_processed_transaction_id, p.offset_acked)`, h.group, h.tenant).Scan(&unrelayed))
		// At least the new rows; more when the stop rolled back the last ack.
		if want := countOnShard(more, shard); unrelayed < want {
			t.Errorf("shard %d: %d unrelayed rows of this test left, want at least %d", shard, unrelayed, want)
		}
	}
}

// cleaner is a relay of the harness's group, not running, whose Cleanup
// the test calls; it goes when the test ends.
func (h *harness) cleaner(retention time.Duration) *Relay {
	h.t.Helper()
	pub, err := kafka.NewPublisher(kafka.PublisherConfig{Brokers: h.brokers}, nil)
	must(h.t, err)
	h.t.Cleanup(func() { _ = pub.Close() })
	pool, err := postgres.Connect(h.ctx, pgtest.URL(), PoolSize(0))
	must(h.t, err)
	h.t.Cleanup(pool.Close)
	r, err := New(pool, pub, Config{ConsumerGroup: h.group, Retention: retention}, nil)
	must(h.t, err)
	return r
}

func countOnShard(events map[string][]string, shard int) int {
	n := 0
	for userID, ids := range events {
		id, err := user.ParseID(userID)
		if err == nil && postgres.OutboxShard(id) == shard {
			n += len(ids)
		}
	}
	return n
}

// TestCleanupKeepsRowsWithinTheRetention: relayed rows younger than the
// retention stay, whether or not older rows ahead of them are due.
func TestCleanupKeepsRowsWithinTheRetention(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	want := h.write(4, 1)
	stop := h.startRelay(Config{})
	h.readTopic(time.Minute, allOf(want))
	stop()
	r := h.cleaner(time.Hour)
	for shard := range postgres.OutboxShards {
		_, err := r.Cleanup(h.ctx, shard)
		must(t, err)
		var left int
		must(t, h.pool.QueryRow(h.ctx, `SELECT count(*) FROM watermill_`+postgres.OutboxTopic(shard)+
			` WHERE metadata->>'tenant_id' = $1`, h.tenant).Scan(&left))
		if want := countOnShard(want, shard); left != want {
			t.Errorf("shard %d: %d of the test's %d rows left after cleanup with a 1 h retention", shard, left, want)
		}
	}
}
