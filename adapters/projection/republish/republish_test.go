package republish_test

import (
	"context"
	"encoding/json"
	"reflect"
	"strconv"
	"testing"
	"time"

	"github.com/IBM/sarama"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/userservice/userservice/adapters/kafka"
	"github.com/userservice/userservice/adapters/kafka/kafkatest"
	"github.com/userservice/userservice/adapters/postgres"
	"github.com/userservice/userservice/adapters/postgres/pgtest"
	"github.com/userservice/userservice/adapters/projection"
	"github.com/userservice/userservice/adapters/projection/republish"
	"github.com/userservice/userservice/app/command"
	"github.com/userservice/userservice/domain/user"
)

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// Republished events are the outbox's messages again: same id, key,
// headers and payload, byte for byte; per user in stream order; and a run
// started after the previous one's last position sends only what is new.
func TestRepublishSendsWhatTheOutboxCarried(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	pool := pgtest.Pool(t)
	brokers := kafkatest.Brokers(t)
	topic := kafkatest.Topic(t, brokers, 3)
	tenant := uuid.NewString()
	must(t, postgres.NewTenants(pool).CreateTenant(ctx, command.Tenant{ID: tenant, Name: t.Name(), Seats: 100}))
	uow, err := postgres.NewUnitOfWork(pool, nil)
	must(t, err)
	reg, err := command.NewRegisterUserHandler(uow, func() (user.ID, error) { id, err := uuid.NewV7(); return user.ID(id), err })
	must(t, err)
	upd, err := command.NewUpdateUserHandler(uow)
	must(t, err)
	env := func() command.Envelope {
		return command.Envelope{CommandID: uuid.NewString(), TenantID: tenant, Actor: "test", Source: command.SourceAPI, CorrelationID: uuid.NewString()}
	}
	write := func(i int) {
		res, err := reg.Handle(ctx, command.RegisterUser{Envelope: env(), Registration: user.Registration{
			Email: uuid.NewString() + "@example.com", Profile: user.Profile{GivenName: "G", FamilyName: "F"}}})
		must(t, err)
		_, err = upd.Handle(ctx, command.UpdateUser{Envelope: env(), UserID: res.User.ID, Patch: user.Patch{
			Title: ptr("T" + strconv.Itoa(i)), Status: ptr(user.StatusDeactivated)}})
		must(t, err)
	}
	for i := range 5 {
		write(i)
	}
	pub, err := kafka.NewPublisher(kafka.PublisherConfig{Brokers: brokers}, nil)
	must(t, err)
	defer pub.Close()
	run := func(after projection.Position, want int64) republish.Result {
		r, err := republish.New(pool, pub, republish.Config{Topic: topic, After: after, Lanes: 2,
			Reader: projection.ReaderConfig{TenantID: tenant, BatchSize: 4}})
		must(t, err)
		// A transaction of another test may hold the bound back for a moment.
		var res republish.Result
		for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(50 * time.Millisecond) {
			more, err := r.Run(ctx)
			must(t, err)
			res.Events, res.Last = res.Events+more.Events, more.Last
			if res.Events >= want || time.Now().After(deadline) {
				return res
			}
			if r, err = republish.New(pool, pub, republish.Config{Topic: topic, After: res.Last, Lanes: 2,
				Reader: projection.ReaderConfig{TenantID: tenant, BatchSize: 4}}); err != nil {
				t.Fatal(err)
			}
		}
	}
	first := run(projection.Position{}, 15)
	if first.Events != 15 { // per user: registered, then profile changed and deactivated
		t.Fatalf("republished %d events, want 15", first.Events)
	}
	records := kafkatest.Read(t, brokers, topic, time.Minute, func(got []*sarama.ConsumerMessage) bool { return len(got) >= 15 })
	checkAgainstOutbox(t, ctx, pool, records)

	write(5)
	second := run(first.Last, 3)
	if second.Events != 3 {
		t.Fatalf("second run from %s republished %d events, want the 3 new ones", first.Last, second.Events)
	}
}

// checkAgainstOutbox compares every record with the outbox row of its
// event and checks that each user's events arrive in stream order.
func checkAgainstOutbox(t *testing.T, ctx context.Context, pool *pgxpool.Pool, records []*sarama.ConsumerMessage) {
	t.Helper()
	seen := map[string]bool{}
	lastVersion := map[string]int{}
	for _, rec := range records {
		headers := map[string]string{}
		for _, h := range rec.Headers {
			headers[string(h.Key)] = string(h.Value)
		}
		id, key := headers["event_id"], string(rec.Key)
		if seen[id] {
			t.Fatalf("event %s published twice", id)
		}
		seen[id] = true
		stream, err := user.ParseID(key)
		must(t, err)
		var payload, metadata string
		must(t, pool.QueryRow(ctx, `SELECT payload::text, metadata::text FROM watermill_`+
			postgres.OutboxTopic(postgres.OutboxShard(stream))+` WHERE uuid = $1`, id).Scan(&payload, &metadata))
		// The event store keeps data as jsonb, which orders an object's
		// keys its own way: the envelope is the same, value for value.
		if !sameJSON(t, rec.Value, []byte(payload)) {
			t.Fatalf("event %s:\nrepublished %s\n outbox had %s", id, rec.Value, payload)
		}
		var meta map[string]string
		must(t, json.Unmarshal([]byte(metadata), &meta))
		for k, v := range meta {
			if headers[k] != v {
				t.Fatalf("event %s: header %s = %q, the outbox had %q", id, k, headers[k], v)
			}
		}
		v, err := strconv.Atoi(headers["stream_version"])
		must(t, err)
		if v <= lastVersion[key] {
			t.Fatalf("user %s: version %d after %d", key, v, lastVersion[key])
		}
		lastVersion[key] = v
	}
}

func sameJSON(t *testing.T, a, b []byte) bool {
	t.Helper()
	var va, vb any
	must(t, json.Unmarshal(a, &va))
	must(t, json.Unmarshal(b, &vb))
	return reflect.DeepEqual(va, vb)
}

func ptr[T any](v T) *T { return &v }
