// Package eventtest gives tests of event subscribers real published events:
// it writes through the application's command handlers and the PostgreSQL
// unit of work, relays the outbox with adapters/relay to a fresh Kafka topic,
// and reads the records back. Each Env is isolated: its own tenant, topic and
// relay consumer group, so tests run in parallel on the shared services.
package eventtest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/userservice/userservice/adapters/eventcontract"
	"github.com/userservice/userservice/adapters/kafka"
	"github.com/userservice/userservice/adapters/kafka/kafkatest"
	"github.com/userservice/userservice/adapters/personaldata"
	"github.com/userservice/userservice/adapters/postgres"
	"github.com/userservice/userservice/adapters/postgres/pgtest"
	"github.com/userservice/userservice/adapters/relay"
	"github.com/userservice/userservice/app/command"
	"github.com/userservice/userservice/domain/user"
)

// Patience is how long tests wait for events to travel from a commit through
// the relay and Kafka to a reader. It is generous because any long-open
// transaction on the database server holds every relay back until it ends
// (watermill-sql reads only rows older than the oldest running transaction),
// and parallel tests of other packages open such transactions.
const Patience = 2 * time.Minute

// Env is one test's tenant, Kafka topic and running relay.
type Env struct {
	T       testing.TB
	Ctx     context.Context
	Pool    *pgxpool.Pool
	Brokers []string
	// Topic is the fresh topic (4 partitions) the relay publishes to.
	Topic string
	// Tenant is the fresh tenant every write of this Env goes to.
	Tenant string

	reg   command.RegisterUserHandler
	upd   command.UpdateUserHandler
	deact command.DeactivateUserHandler
	react command.ReactivateUserHandler
	del   command.DeleteUserHandler
	erase command.EraseUserHandler
	uow   *postgres.UnitOfWork
}

// New sets up an Env and starts its relay, stopped when the test ends. The
// topic carries only the Env's tenant's events (see tenantPublisher).
func New(t testing.TB) *Env {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*Patience)
	t.Cleanup(cancel)
	e := &Env{T: t, Ctx: ctx, Pool: pgtest.Pool(t), Brokers: kafkatest.Brokers(t), Tenant: uuid.NewString()}
	e.Topic = kafkatest.Topic(t, e.Brokers, 4)
	must(t, postgres.NewTenants(e.Pool).CreateTenant(ctx, command.Tenant{ID: e.Tenant, Name: t.Name(), Seats: 100000}))
	uow, err := postgres.NewUnitOfWork(e.Pool, nil)
	must(t, err)
	e.reg, err = command.NewRegisterUserHandler(uow, func() (user.ID, error) { id, err := uuid.NewV7(); return user.ID(id), err })
	must(t, err)
	e.upd, err = command.NewUpdateUserHandler(uow)
	must(t, err)
	e.deact, err = command.NewDeactivateUserHandler(uow)
	must(t, err)
	e.react, err = command.NewReactivateUserHandler(uow)
	must(t, err)
	e.del, err = command.NewDeleteUserHandler(uow)
	must(t, err)
	e.erase, err = command.NewEraseUserHandler(uow)
	must(t, err)
	e.uow = uow
	e.startRelay(kafkatest.UniqueName(t, "relay"))
	return e
}

// startRelay runs a relay in its own consumer group, starting at the
// outbox's current end rather than relaying all history: transactions that
// begin later get larger ids, so nothing this Env writes sits behind the mark.
func (e *Env) startRelay(group string) {
	t := e.T
	for shard := range postgres.OutboxShards {
		tbl := postgres.OutboxTopic(shard)
		_, err := e.Pool.Exec(e.Ctx, `INSERT INTO watermill_offsets_`+tbl+` (consumer_group, offset_acked, last_processed_transaction_id)
			SELECT $1, coalesce(max("offset"), 0), coalesce(max(transaction_id), '0') FROM watermill_`+tbl, group)
		must(t, err)
	}
	pub, err := kafka.NewOrderedPublisher(kafka.OrderedPublisherConfig{Brokers: e.Brokers}, nil)
	must(t, err)
	// A pool of its own, as the relay role has: each shard keeps a
	// connection while it owns the shard.
	pool, err := postgres.Connect(e.Ctx, pgtest.URL(), relay.PoolSize(0))
	must(t, err)
	r, err := relay.New(pool, tenantPublisher{Publisher: pub, tenant: e.Tenant}, relay.Config{KafkaTopic: e.Topic, ConsumerGroup: group, PollInterval: 50 * time.Millisecond}, nil)
	must(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("relay: %v", err)
		}
		_ = pub.Close()
		pool.Close()
		for shard := range postgres.OutboxShards {
			_, _ = e.Pool.Exec(context.Background(), `DELETE FROM watermill_offsets_`+postgres.OutboxTopic(shard)+
				` WHERE consumer_group = $1`, group)
		}
	})
}

// tenantPublisher publishes only one tenant's messages. The outbox is shared
// by every test, so each test's relay reads what parallel tests write too; on
// the test's topic those events would reach its subscriber, and two tests'
// projections would then write the same rows from different, partial
// streams. Everything else about the relay stays real.
type tenantPublisher struct {
	message.Publisher
	tenant string
}

func (p tenantPublisher) Publish(topic string, msgs ...*message.Message) error {
	mine := make([]*message.Message, 0, len(msgs))
	for _, m := range msgs {
		if m.Metadata.Get(eventcontract.MetaTenantID) == p.tenant {
			mine = append(mine, m)
		}
	}
	if len(mine) == 0 {
		return nil
	}
	return p.Publisher.Publish(topic, mine...)
}

func (e *Env) envelope() command.Envelope {
	return command.Envelope{CommandID: uuid.NewString(), TenantID: e.Tenant, Actor: "eventtest",
		Source: command.SourceAPI, CorrelationID: "corr-" + uuid.NewString()[:8]}
}

// Register creates a user and returns its id.
func (e *Env) Register(email string, p user.Profile) user.ID {
	e.T.Helper()
	res, err := e.reg.Handle(e.Ctx, command.RegisterUser{Envelope: e.envelope(),
		Registration: user.Registration{Email: email, Profile: p}})
	must(e.T, err)
	return res.User.ID
}

// Update applies a patch to a user.
func (e *Env) Update(id user.ID, p user.Patch) {
	e.T.Helper()
	_, err := e.upd.Handle(e.Ctx, command.UpdateUser{Envelope: e.envelope(), UserID: id, Patch: p})
	must(e.T, err)
}

// Deactivate deactivates a user.
func (e *Env) Deactivate(id user.ID, reason string) {
	e.T.Helper()
	_, err := e.deact.Handle(e.Ctx, command.DeactivateUser{Envelope: e.envelope(), UserID: id, Reason: reason})
	must(e.T, err)
}

// Reactivate reactivates a user.
func (e *Env) Reactivate(id user.ID) {
	e.T.Helper()
	_, err := e.react.Handle(e.Ctx, command.ReactivateUser{Envelope: e.envelope(), UserID: id})
	must(e.T, err)
}

// Delete deletes a user.
func (e *Env) Delete(id user.ID, reason string) {
	e.T.Helper()
	_, err := e.del.Handle(e.Ctx, command.DeleteUser{Envelope: e.envelope(), UserID: id, Reason: reason})
	must(e.T, err)
}

// Erase erases a user's personal data.
func (e *Env) Erase(id user.ID) {
	e.T.Helper()
	_, err := e.erase.Handle(e.Ctx, command.EraseUser{Envelope: e.envelope(), UserID: id, Basis: "gdpr_art17"})
	must(e.T, err)
}

// EncryptPersonalData makes the Env's writes seal personal data with keys.
func (e *Env) EncryptPersonalData(keys *personaldata.Keys) { e.uow.EncryptPersonalData(keys) }

// LifecycleEvents is how many events Lifecycle writes.
const LifecycleEvents = 8

// Lifecycle takes a new user through every event type (one command deciding
// three events at once among them) and returns its id. n makes it unique.
func (e *Env) Lifecycle(n int) user.ID {
	e.T.Helper()
	tag := uuid.NewString()[:8]
	id := e.Register(fmt.Sprintf("life%d-%s@example.com", n, tag), user.Profile{
		GivenName: "Grace", FamilyName: fmt.Sprintf("Hopper %d", n), DisplayName: "Amazing Grace",
		Department: "Navy", Locale: "en-US", TimeZone: "America/New_York"})
	e.Update(id, user.Patch{Department: ptr("Computing"), Title: ptr("Rear Admiral")})
	e.Update(id, user.Patch{Email: ptr(fmt.Sprintf("grace%d-%s@example.com", n, tag))})
	e.Deactivate(id, "retired")
	e.Reactivate(id)
	e.Update(id, user.Patch{Email: ptr(fmt.Sprintf("g%d-%s@example.org", n, tag)), GivenName: ptr("G."),
		DisplayName: ptr(""), Status: ptr(user.StatusDeactivated)})
	return id
}

func ptr[T any](v T) *T { return &v }

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
