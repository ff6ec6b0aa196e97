package service_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/userservice/userservice/adapters/hris"
	"github.com/userservice/userservice/adapters/metrics"
	"github.com/userservice/userservice/adapters/notify"
	"github.com/userservice/userservice/adapters/postgres/pgtest"
	"github.com/userservice/userservice/app/command"
	"github.com/userservice/userservice/app/query"
	"github.com/userservice/userservice/cmd/internal/service"
	"github.com/userservice/userservice/domain/user"
)

// TestBuildApplicationWiresEveryHandler drives the built application
// end to end on the real database: a tenant, a registered user (through the
// decorated handler, so the metrics see it), and the queries reading it back.
func TestBuildApplicationWiresEveryHandler(t *testing.T) {
	t.Parallel()
	pool := pgtest.Pool(t)
	reg := prometheus.NewRegistry()
	m, err := metrics.NewCommands(reg)
	if err != nil {
		t.Fatal(err)
	}
	application, err := service.BuildApplication(pool, nil, m)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()

	tenant, err := application.Commands.CreateTenant.Handle(ctx, command.CreateTenant{Name: "Wiring GmbH", Seats: 2})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := uuid.Parse(tenant.ID); err != nil || uuid.MustParse(tenant.ID).Version() != 7 {
		t.Errorf("tenant id %q is not a UUIDv7", tenant.ID)
	}

	res, err := application.Commands.RegisterUser.Handle(ctx, command.RegisterUser{
		Envelope: command.Envelope{CommandID: uuid.NewString(), TenantID: tenant.ID, Source: command.SourceAPI, Actor: "test"},
		Registration: user.Registration{
			Email:   "ada-" + uuid.NewString()[:8] + "@example.com",
			Profile: user.Profile{GivenName: "Ada", FamilyName: "Lovelace"},
		},
	})
	if err != nil || !res.Changed {
		t.Fatalf("RegisterUser = %+v, %v", res, err)
	}
	if uuid.UUID(res.User.ID).Version() != 7 {
		t.Errorf("user id %s is not a UUIDv7", res.User.ID)
	}
	got, err := application.Queries.GetUser.Handle(ctx, query.GetUser{TenantID: tenant.ID, UserID: res.User.ID})
	if err != nil || got.Email != res.User.Email {
		t.Errorf("GetUser = %+v, %v", got, err)
	}
	page, err := application.Queries.ListUsers.Handle(ctx, query.ListUsers{TenantID: tenant.ID})
	if err != nil || len(page.Users) != 1 {
		t.Errorf("ListUsers = %+v, %v", page, err)
	}
	events, err := application.Queries.GetUserEvents.Handle(ctx, query.GetUserEvents{TenantID: tenant.ID, UserID: res.User.ID})
	if err != nil || len(events) == 0 {
		t.Errorf("GetUserEvents = %d events, %v", len(events), err)
	}
	issued, err := application.Commands.IssueToken.Handle(ctx, command.IssueToken{TenantID: tenant.ID, Role: "reader"})
	if err != nil {
		t.Fatal(err)
	}
	if p, err := application.Queries.Authenticate.Handle(ctx, issued.Plaintext); err != nil || p.TenantID != tenant.ID {
		t.Errorf("Authenticate = %+v, %v", p, err)
	}
	// The group commands have the same shape and decorators.
	gid := user.ID(uuid.Must(uuid.NewV7()))
	env := func() command.Envelope {
		return command.Envelope{CommandID: uuid.NewString(), TenantID: tenant.ID, Source: command.SourceAPI, Actor: "test"}
	}
	if _, err := application.Commands.CreateGroup.Handle(ctx, command.CreateGroup{Envelope: env(), GroupID: gid, DisplayName: "Wiring",
		Members: []string{res.User.ID.String()}}); err != nil {
		t.Fatal(err)
	}
	if _, err := application.Commands.UpdateGroup.Handle(ctx, command.UpdateGroup{Envelope: env(), GroupID: gid}); err != nil {
		t.Fatal(err)
	}
	if _, err := application.Commands.DeleteGroup.Handle(ctx, command.DeleteGroup{Envelope: env(), GroupID: gid}); err != nil {
		t.Fatal(err)
	}

	want := `
# HELP userservice_commands_total Commands handled, by command and outcome (changed, unchanged, replayed, rejected, conflict, error).
# TYPE userservice_commands_total counter
userservice_commands_total{command="CreateGroup",outcome="changed"} 1
userservice_commands_total{command="CreateTenant",outcome="ok"} 1
userservice_commands_total{command="DeleteGroup",outcome="changed"} 1
userservice_commands_total{command="IssueToken",outcome="ok"} 1
userservice_commands_total{command="RegisterUser",outcome="changed"} 1
userservice_commands_total{command="UpdateGroup",outcome="unchanged"} 1
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "userservice_commands_total"); err != nil {
		t.Errorf("decorated command not measured: %v", err)
	}
	// Queries are decorated too: GetUser, ListUsers, GetUserEvents and
	// Authenticate each answered once.
	wantQueries := `
# HELP userservice_queries_total Queries handled, by query and outcome (ok, rejected, error).
# TYPE userservice_queries_total counter
userservice_queries_total{outcome="ok",query="Authenticate"} 1
userservice_queries_total{outcome="ok",query="GetUser"} 1
userservice_queries_total{outcome="ok",query="GetUserEvents"} 1
userservice_queries_total{outcome="ok",query="ListUsers"} 1
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(wantQueries), "userservice_queries_total"); err != nil {
		t.Errorf("decorated query not measured: %v", err)
	}
}

func TestBuildApplicationRefusesNilPool(t *testing.T) {
	t.Parallel()
	if _, err := service.BuildApplication(nil, nil, nil); err == nil {
		t.Error("nil pool accepted")
	}
}

// TestBuildWiresTheBulkUseCases checks the options: by default no HRIS
// (SyncHRIS refuses with ErrNoHRIS), with one the handler is wired; a bad SMTP or HRIS setting
// fails the build, naming the setting but never the secret.
func TestBuildWiresTheBulkUseCases(t *testing.T) {
	t.Parallel()
	pool := pgtest.Pool(t)
	a, err := service.Build(pool, service.Options{})
	if err != nil {
		t.Fatal(err)
	}
	wired := func(h command.SyncHRISHandler) bool {
		_, err := h.Handle(context.Background(), command.SyncHRIS{})
		return !errors.Is(err, command.ErrNoHRIS)
	}
	if wired(a.Commands.SyncHRIS) {
		t.Error("SyncHRIS wired without an HRIS")
	}
	if _, err := a.Queries.GetImport.Handle(context.Background(), query.GetImport{TenantID: uuid.NewString(), JobID: uuid.NewString()}); !errors.Is(err, query.ErrImportNotFound) {
		t.Errorf("GetImport of a missing job = %v", err)
	}
	a, err = service.Build(pool, service.Options{HRIS: &hris.ClientConfig{URL: "https://hris.example.com/e", Token: "t"},
		SMTP: &notify.SMTPConfig{Addr: "127.0.0.1:1025", From: "a@example.com", TLS: notify.TLSNone}})
	if err != nil || !wired(a.Commands.SyncHRIS) {
		t.Errorf("with HRIS and SMTP: SyncHRIS wired %v, error %v", wired(a.Commands.SyncHRIS), err)
	}
	_, err = service.Build(pool, service.Options{HRIS: &hris.ClientConfig{URL: "hris", Token: "s3cret-token"},
		SMTP: &notify.SMTPConfig{Addr: "mail", From: "a@example.com", Password: "s3cret-pw"}})
	if err == nil || !strings.Contains(err.Error(), "NewSyncHRISHandler") || !strings.Contains(err.Error(), "NewDeliverNotificationHandler") {
		t.Errorf("bad HRIS and SMTP: %v", err)
	} else if strings.Contains(err.Error(), "s3cret") {
		t.Errorf("error leaks a secret: %v", err)
	}
}
