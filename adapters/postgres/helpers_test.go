package postgres

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/userservice/userservice/adapters/postgres/pgtest"
	"github.com/userservice/userservice/app/command"
	"github.com/userservice/userservice/domain/user"
)

// fixture is one test's own tenant on the shared test database.
type fixture struct {
	t      *testing.T
	ctx    context.Context
	pool   *pgxpool.Pool
	uow    *UnitOfWork
	tenant string
	reg    command.RegisterUserHandler
	upd    command.UpdateUserHandler
	deact  command.DeactivateUserHandler
	react  command.ReactivateUserHandler
	del    command.DeleteUserHandler
}

func newFixture(t *testing.T, seats int) *fixture {
	t.Helper()
	return newFixtureOn(t, pgtest.Pool(t), seats)
}

// newFixtureOn is newFixture on pool's database.
func newFixtureOn(t *testing.T, pool *pgxpool.Pool, seats int) *fixture {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	uow, err := NewUnitOfWork(pool, nil)
	must(t, err)
	// As the service runs it: the concurrency tests then also run grouped.
	must(t, uow.EnableGroupCommit(GroupCommitConfig{}))
	f := &fixture{t: t, ctx: ctx, pool: pool, uow: uow, tenant: uuid.NewString()}
	must(t, NewTenants(pool).CreateTenant(ctx, command.Tenant{ID: f.tenant, Name: "test " + t.Name(), Seats: seats}))
	f.reg, err = command.NewRegisterUserHandler(uow, func() (user.ID, error) { id, err := uuid.NewV7(); return user.ID(id), err })
	must(t, err)
	f.upd, err = command.NewUpdateUserHandler(uow)
	must(t, err)
	f.deact, err = command.NewDeactivateUserHandler(uow)
	must(t, err)
	f.react, err = command.NewReactivateUserHandler(uow)
	must(t, err)
	f.del, err = command.NewDeleteUserHandler(uow)
	must(t, err)
	return f
}

// ownUnitOfWork is a unit of work, without group commit, on a pool of its
// own made from the fixture's configuration as adjust changes it (a
// tracer, one connection), with its registration and update handlers.
func (f *fixture) ownUnitOfWork(adjust func(*pgxpool.Config)) (*pgxpool.Pool, command.RegisterUserHandler, command.UpdateUserHandler) {
	f.t.Helper()
	cfg := f.pool.Config().Copy()
	adjust(cfg)
	pool, err := pgxpool.NewWithConfig(f.ctx, cfg)
	must(f.t, err)
	f.t.Cleanup(pool.Close)
	uow, err := NewUnitOfWork(pool, nil)
	must(f.t, err)
	reg, err := command.NewRegisterUserHandler(uow, func() (user.ID, error) { id, err := uuid.NewV7(); return user.ID(id), err })
	must(f.t, err)
	upd, err := command.NewUpdateUserHandler(uow)
	must(f.t, err)
	return pool, reg, upd
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func (f *fixture) env() command.Envelope {
	return command.Envelope{CommandID: uuid.NewString(), TenantID: f.tenant, Actor: "test", Source: command.SourceAPI, CorrelationID: uuid.NewString()}
}

func (f *fixture) register(email string) command.Result {
	f.t.Helper()
	res, err := f.reg.Handle(f.ctx, command.RegisterUser{Envelope: f.env(), Registration: user.Registration{
		Email: email, Profile: user.Profile{GivenName: "Ada", FamilyName: "Lovelace"}}})
	must(f.t, err)
	return res
}

// counts is what the tenant has in each table the write path touches.
type counts struct{ commands, events, users, outbox, seats int }

func (f *fixture) counts() counts {
	f.t.Helper()
	var c counts
	outbox := `SELECT count(*) FROM (`
	for i := 0; i < OutboxShards; i++ {
		if i > 0 {
			outbox += ` UNION ALL `
		}
		outbox += `SELECT 1 FROM watermill_` + OutboxTopic(i) + ` WHERE metadata->>'tenant_id' = $1`
	}
	outbox += `) o`
	must(f.t, f.pool.QueryRow(f.ctx, `SELECT
		(SELECT count(*) FROM commands WHERE tenant_id = $1),
		(SELECT count(*) FROM events WHERE tenant_id = $1),
		(SELECT count(*) FROM users WHERE tenant_id = $1),
		(SELECT seats_used FROM tenants WHERE id = $1)`, f.tenant).Scan(&c.commands, &c.events, &c.users, &c.seats))
	must(f.t, f.pool.QueryRow(f.ctx, outbox, f.tenant).Scan(&c.outbox))
	return c
}

func ptr[T any](v T) *T { return &v }
