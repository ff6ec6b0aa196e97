package messages_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/userservice/userservice/adapters/csvimport"
	"github.com/userservice/userservice/adapters/postgres"
	"github.com/userservice/userservice/adapters/postgres/pgtest"
	"github.com/userservice/userservice/app"
	"github.com/userservice/userservice/app/command"
	"github.com/userservice/userservice/app/query"
	"github.com/userservice/userservice/domain/user"
	"github.com/userservice/userservice/ports/messages"
)

// harness is one test's tenant with the import use cases wired on the real
// database, publishing to the PostgreSQL import queue unless told otherwise.
type harness struct {
	t      *testing.T
	ctx    context.Context
	pool   *pgxpool.Pool
	tenant string
	app    app.Application
	store  *postgres.Imports
	queue  command.ImportQueue
}

type options struct {
	// chunks wraps the import's chunk store (to inject failures).
	chunks func(command.ImportChunkStore) command.ImportChunkStore
	// publisher replaces the PostgreSQL queue (a GoChannel, say).
	publisher message.Publisher
	topic     string
	source    command.EmployeeSource
}

func newHarness(t *testing.T, seats int, o options) *harness {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	t.Cleanup(cancel)
	pgtest.Pool(t) // skips or fails the test without a database, and migrates it
	pool := newPool(t, 16)
	h := &harness{t: t, ctx: ctx, pool: pool, tenant: uuid.NewString(), store: postgres.NewImports(pool)}
	must(t, postgres.NewTenants(pool).CreateTenant(ctx, command.Tenant{ID: h.tenant, Name: t.Name(), Seats: seats}))

	uow, err := postgres.NewUnitOfWork(pool, nil)
	must(t, err)
	newUserID := func() (user.ID, error) { id, err := uuid.NewV7(); return user.ID(id), err }
	newID := func() (string, error) { id, err := uuid.NewV7(); return id.String(), err }
	c := &h.app.Commands
	c.RegisterUser, err = command.NewRegisterUserHandler(uow, newUserID)
	must(t, err)
	c.UpdateUser, err = command.NewUpdateUserHandler(uow)
	must(t, err)
	c.DeactivateUser, err = command.NewDeactivateUserHandler(uow)
	must(t, err)
	c.ReactivateUser, err = command.NewReactivateUserHandler(uow)
	must(t, err)
	c.DeleteUser, err = command.NewDeleteUserHandler(uow)
	must(t, err)

	pub, topic := o.publisher, o.topic
	var staging command.ImportStaging = postgres.NewImportStaging(pool)
	if pub == nil {
		pub, err = postgres.NewImportQueuePublisher(pool, nil)
		must(t, err)
		topic = postgres.ImportQueueTopic
		// As the service wires it: rows go from staging to the queue in SQL.
		staging, err = postgres.NewQueueingImportStaging(pool, messages.ChunkRows, messages.ChunkMessageID)
		must(t, err)
	}
	q, err := messages.NewImportPublisher(pub, topic)
	must(t, err)
	h.queue = q
	format, err := csvimport.NewFormat(csvimport.Config{TempDir: t.TempDir()})
	must(t, err)
	chunkStore, err := postgres.NewImportChunks(pool, nil)
	must(t, err)
	var chunks command.ImportChunkStore = chunkStore
	if o.chunks != nil {
		chunks = o.chunks(chunks)
	}
	c.StartImport, err = command.NewStartImportHandler(format, h.store, staging, q, newID)
	must(t, err)
	c.ImportUserRows, err = command.NewImportUserRowsHandler(chunks, newUserID,
		command.ImportUserRowConfig{DeferralDelay: 50 * time.Millisecond, MaxDeferralDelay: 500 * time.Millisecond})
	must(t, err)
	c.ImportUserRow, err = command.NewImportUserRowHandler(c.ImportUserRows)
	must(t, err)
	c.ParkImportRow, err = command.NewParkImportRowHandler(h.store)
	must(t, err)
	c.RetryImport, err = command.NewRetryImportHandler(h.store, q)
	must(t, err)
	c.FailStaleImports, err = command.NewFailStaleImportsHandler(h.store)
	must(t, err)
	if o.source != nil {
		c.SyncHRIS, err = command.NewSyncHRISHandler(o.source, postgres.NewImportUsers(pool), h.store, staging, q, newID)
		must(t, err)
	}
	qs := &h.app.Queries
	qs.GetImport, err = query.NewGetImportHandler(h.store)
	must(t, err)
	qs.ListImportFailures, err = query.NewListImportFailuresHandler(h.store)
	must(t, err)
	qs.ListParkedImportRows, err = query.NewListParkedImportRowsHandler(h.store)
	must(t, err)
	return h
}

func newPool(t *testing.T, size int) *pgxpool.Pool {
	t.Helper()
	cfg, err := pgxpool.ParseConfig(pgtest.URL())
	must(t, err)
	cfg.MaxConns = int32(size)
	pool, err := pgxpool.NewWithConfig(context.Background(), cfg)
	must(t, err)
	t.Cleanup(pool.Close)
	return pool
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// startRouter runs an importer on the PostgreSQL queue (shared by all tests:
// every router runs the same handlers on the same database, so which one
// takes a row does not matter) until the test ends.
func (h *harness) startRouter(cfg messages.ImportRouterConfig) {
	h.t.Helper()
	if len(cfg.Sources) == 0 {
		// Each consumer holds a connection while its handler works on
		// others: the consumers get a pool of their own.
		sub, err := postgres.NewImportQueueSubscriber(newPool(h.t, 4), postgres.ImportQueueConfig{PollInterval: 20 * time.Millisecond}, nil)
		must(h.t, err)
		cfg.Sources = []messages.Source{{Name: "postgres", Subscriber: sub, Topic: postgres.ImportQueueTopic}}
	}
	if cfg.Requeue == nil {
		pub, err := postgres.NewImportQueuePublisher(h.pool, nil)
		must(h.t, err)
		cfg.Requeue = pub
	}
	r, err := messages.NewImportRouter(h.app, cfg)
	must(h.t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx) }()
	h.t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			h.t.Errorf("router: %v", err)
		}
	})
}

func (h *harness) importCSV(csv string) command.StartedImport {
	h.t.Helper()
	started, err := h.app.Commands.StartImport.Handle(h.ctx, command.StartImport{TenantID: h.tenant, Actor: "test", Body: strings.NewReader(csv)})
	must(h.t, err)
	return started
}

// waitFinished polls the job until it is finished.
func (h *harness) waitFinished(jobID string) query.ImportJob {
	h.t.Helper()
	for {
		j, err := h.app.Queries.GetImport.Handle(h.ctx, query.GetImport{TenantID: h.tenant, JobID: jobID})
		must(h.t, err)
		if j.Finished() {
			return j
		}
		select {
		case <-h.ctx.Done():
			h.t.Fatalf("job %s not finished in time: %+v", jobID, j)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func (h *harness) failures(jobID string) []query.ImportFailure {
	h.t.Helper()
	page, err := h.app.Queries.ListImportFailures.Handle(h.ctx, query.ListImportFailures{TenantID: h.tenant, JobID: jobID, Limit: 1000})
	must(h.t, err)
	return page.Failures
}

func (h *harness) events() int {
	h.t.Helper()
	var n int
	must(h.t, h.pool.QueryRow(h.ctx, `SELECT count(*) FROM events WHERE tenant_id = $1`, h.tenant).Scan(&n))
	return n
}

func (h *harness) userByExternalID(ext string) command.ImportTarget {
	h.t.Helper()
	u, ok, err := postgres.NewImportUsers(h.pool).UserByExternalID(h.ctx, h.tenant, ext)
	must(h.t, err)
	if !ok {
		h.t.Fatalf("no user with external id %s", ext)
	}
	return u
}

func (h *harness) register(email, ext, given, title string) user.Snapshot {
	h.t.Helper()
	res, err := h.app.Commands.RegisterUser.Handle(h.ctx, command.RegisterUser{
		Envelope:     command.Envelope{CommandID: uuid.NewString(), TenantID: h.tenant, Actor: "test", Source: command.SourceAPI, CorrelationID: "c"},
		Registration: user.Registration{Email: email, Profile: user.Profile{GivenName: given, FamilyName: "Test", ExternalID: ext, Title: title}}})
	must(h.t, err)
	return res.User
}

type counts struct{ total, created, updated, unchanged, skipped, rejected, parked int }

func countsOf(j query.ImportJob) counts {
	total := -1
	if j.Total != nil {
		total = *j.Total
	}
	return counts{total, j.Created, j.Updated, j.Unchanged, j.Skipped, j.Rejected, j.Parked}
}

func newJobID(t *testing.T) string {
	t.Helper()
	id, err := uuid.NewV7()
	must(t, err)
	return id.String()
}
