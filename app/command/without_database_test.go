package command_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/userservice/userservice/adapters/memory"
	"github.com/userservice/userservice/app/command"
	"github.com/userservice/userservice/app/porttest"
)

// The user and tenant use cases on the in-memory adapters: the contract
// suites that adapters/postgres passes too, so what they show here holds on
// the database.

func TestUserCommandsWithoutADatabase(t *testing.T) {
	porttest.UserStore(t, func(t *testing.T) porttest.UsersEnv {
		s := memory.NewStore()
		return porttest.UsersEnv{UnitOfWork: memory.NewUnitOfWork(s), Users: memory.NewUsers(s), Events: memory.NewUsers(s),
			Tenants: memory.NewTenants(s)}
	})
}

func TestImportCommandsWithoutADatabase(t *testing.T) {
	porttest.ImportStore(t, func(t *testing.T) porttest.ImportsEnv {
		s := memory.NewStore()
		imports := memory.NewImports(s)
		return porttest.ImportsEnv{Jobs: imports, Staging: imports, Chunks: imports, Tenants: memory.NewTenants(s),
			Users: memory.NewUsers(s)}
	})
}

func TestTenantCommandsWithoutADatabase(t *testing.T) {
	porttest.TenantStore(t, func(t *testing.T) porttest.TenantsEnv {
		s := memory.NewTenants(memory.NewStore())
		return porttest.TenantsEnv{Store: s, Tenants: s, Tokens: s, Lister: s}
	})
}

func TestTenantAndTokenInputRefused(t *testing.T) {
	ctx := context.Background()
	store := memory.NewTenants(memory.NewStore())
	id := func() (string, error) { return "t-1", nil }
	create, err := command.NewCreateTenantHandler(store, id)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []command.CreateTenant{{Name: "  "}, {Name: strings.Repeat("x", 201)}, {Name: "Acme", Seats: -1}} {
		if _, err := create.Handle(ctx, c); err == nil {
			t.Errorf("CreateTenant(%+v) accepted", c)
		}
	}
	failing := func() (string, error) { return "", errors.New("no entropy") }
	create, _ = command.NewCreateTenantHandler(store, failing)
	if _, err := create.Handle(ctx, command.CreateTenant{Name: "Acme"}); err == nil {
		t.Error("an id failure was swallowed")
	}
	issue, err := command.NewIssueTokenHandler(store, id, time.Now)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []command.IssueToken{{TenantID: "t-1", Role: "root"}, {TenantID: "t-1", Role: "admin", TTL: -time.Second}} {
		if _, err := issue.Handle(ctx, c); err == nil {
			t.Errorf("IssueToken(%+v) accepted", c)
		}
	}
	revoke, _ := command.NewRevokeTokenHandler(store)
	if _, err := revoke.Handle(ctx, command.RevokeToken{}); !errors.Is(err, command.ErrTokenNotFound) {
		t.Errorf("revoke without ids: %v", err)
	}
}

// TestConstructorsRefuseNilDependencies: no handler can be built that would
// panic on its first call.
func TestConstructorsRefuseNilDependencies(t *testing.T) {
	build := map[string]func() error{
		"RegisterUser":   func() error { _, err := command.NewRegisterUserHandler(nil, nil); return err },
		"UpdateUser":     func() error { _, err := command.NewUpdateUserHandler(nil); return err },
		"DeactivateUser": func() error { _, err := command.NewDeactivateUserHandler(nil); return err },
		"ReactivateUser": func() error { _, err := command.NewReactivateUserHandler(nil); return err },
		"DeleteUser":     func() error { _, err := command.NewDeleteUserHandler(nil); return err },
		"CreateTenant":   func() error { _, err := command.NewCreateTenantHandler(nil, nil); return err },
		"IssueToken":     func() error { _, err := command.NewIssueTokenHandler(nil, nil, nil); return err },
		"RevokeToken":    func() error { _, err := command.NewRevokeTokenHandler(nil); return err },
		"StartImport": func() error {
			_, err := command.NewStartImportHandler(nil, nil, nil, nil, nil)
			return err
		},
		"ImportUserRow":    func() error { _, err := command.NewImportUserRowHandler(nil); return err },
		"ParkImportRow":    func() error { _, err := command.NewParkImportRowHandler(nil); return err },
		"RetryImport":      func() error { _, err := command.NewRetryImportHandler(nil, nil); return err },
		"FailStaleImports": func() error { _, err := command.NewFailStaleImportsHandler(nil); return err },
		"SyncHRIS":         func() error { _, err := command.NewSyncHRISHandler(nil, nil, nil, nil, nil, nil); return err },
		"DeliverNotification": func() error {
			_, err := command.NewDeliverNotificationHandler(nil, nil, nil, command.DeliverNotificationConfig{})
			return err
		},
		"SetNotificationSettings": func() error { _, err := command.NewSetNotificationSettingsHandler(nil); return err },
		"CreateGroup":             func() error { _, err := command.NewCreateGroupHandler(nil); return err },
		"UpdateGroup":             func() error { _, err := command.NewUpdateGroupHandler(nil); return err },
		"DeleteGroup":             func() error { _, err := command.NewDeleteGroupHandler(nil); return err },
		"RemoveDeletedMember":     func() error { _, err := command.NewRemoveDeletedMemberHandler(nil); return err },
		"GroupMembershipRemover":  func() error { _, err := command.NewGroupMembershipRemover(nil, nil); return err },
	}
	for name, b := range build {
		if b() == nil {
			t.Errorf("%s built without its dependencies", name)
		}
	}
	if _, err := command.NewNoHRISHandler().Handle(context.Background(), command.SyncHRIS{TenantID: "t"}); !errors.Is(err, command.ErrNoHRIS) {
		t.Errorf("SyncHRIS without an HRIS: %v", err)
	}
}

type settingsStore struct {
	saved []command.SetNotificationSettings
}

func (s *settingsStore) SetNotificationSettings(_ context.Context, v command.SetNotificationSettings) error {
	s.saved = append(s.saved, v)
	return nil
}

func TestSetNotificationSettings(t *testing.T) {
	store := &settingsStore{}
	h, err := command.NewSetNotificationSettingsHandler(store)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	many := make([]string, command.MaxNoticeEmails+1)
	for i := range many {
		many[i] = fmt.Sprintf("a%d@example.com", i)
	}
	for name, bad := range map[string]command.SetNotificationSettings{
		"not an address": {TenantID: "t", Emails: []string{"nobody"}},
		"too many":       {TenantID: "t", Emails: many},
		"relative url":   {TenantID: "t", WebhookURL: "/hook", WebhookSecret: strings.Repeat("s", 16)},
		"ftp url":        {TenantID: "t", WebhookURL: "ftp://example.com/x", WebhookSecret: strings.Repeat("s", 16)},
		"short secret":   {TenantID: "t", WebhookURL: "https://example.com/x", WebhookSecret: "short"},
		"short, no url":  {TenantID: "t", WebhookSecret: "short"},
		"15 characters":  {TenantID: "t", WebhookURL: "https://example.com/x", WebhookSecret: strings.Repeat("é", 15)},
		"NUL in secret":  {TenantID: "t", WebhookURL: "https://example.com/x", WebhookSecret: strings.Repeat("s", 16) + "\x00"},
	} {
		if _, err := h.Handle(ctx, bad); !errors.Is(err, command.ErrInvalidSettings) {
			t.Errorf("%s: err = %v, want ErrInvalidSettings", name, err)
		}
	}
	if len(store.saved) != 0 {
		t.Fatalf("invalid settings saved: %+v", store.saved)
	}
	good := command.SetNotificationSettings{TenantID: "t", Emails: []string{" Admin@Example.com "},
		WebhookURL: "https://example.com/hook", WebhookSecret: strings.Repeat("s", 16)}
	if _, err := h.Handle(ctx, good); err != nil {
		t.Fatal(err)
	}
	if len(store.saved) != 1 || store.saved[0].Emails[0] != "admin@example.com" {
		t.Errorf("saved = %+v, want the normalised address", store.saved)
	}
}

// parked is a poison queue of one job, and the queue rows go back to.
type parked struct {
	rows     []command.ImportUserRow
	requeued []int
	queued   []command.ImportUserRow
	failOn   int // Enqueue fails on this call (1-based); 0 never
	calls    int
}

func (p *parked) ParkedRows(_ context.Context, _, _ string, after, limit int) ([]command.ImportUserRow, error) {
	var out []command.ImportUserRow
	for _, r := range p.rows {
		if r.Row > after && len(out) < limit && !containsRow(p.requeued, r.Row) {
			out = append(out, r)
		}
	}
	return out, nil
}

func containsRow(rows []int, n int) bool {
	for _, r := range rows {
		if r == n {
			return true
		}
	}
	return false
}

func (p *parked) MarkRequeued(_ context.Context, _ string, rows []int) error {
	p.requeued = append(p.requeued, rows...)
	return nil
}

func (p *parked) Enqueue(_ context.Context, rows []command.ImportUserRow) error {
	p.calls++
	if p.calls == p.failOn {
		return errors.New("queue down")
	}
	p.queued = append(p.queued, rows...)
	return nil
}

func (p *parked) RecordRowOutcome(_ context.Context, o command.RowOutcome) (bool, error) {
	p.rows = append(p.rows, *o.Parked)
	return true, nil
}

func (p *parked) FailStaleImports(_ context.Context, olderThan time.Duration) (int, error) {
	return int(olderThan / time.Hour), nil
}

// TestParkAndRetry: parked rows are queued again, in batches, and a retry
// after a failure part way queues only the rest.
func TestParkAndRetry(t *testing.T) {
	ctx := context.Background()
	p := &parked{failOn: 2}
	park, _ := command.NewParkImportRowHandler(p)
	if _, err := park.Handle(ctx, command.ParkImportRow{Row: command.ImportUserRow{JobID: "j"}}); !errors.Is(err, command.ErrInvalidEnvelope) {
		t.Errorf("parking a row without tenant and number: %v", err)
	}
	const n = 1200 // more than one batch
	for i := 1; i <= n; i++ {
		ok, err := park.Handle(ctx, command.ParkImportRow{Row: command.ImportUserRow{JobID: "j", TenantID: "t", ImportRow: command.ImportRow{Row: i}, Deferrals: 3}, Reason: "db down"})
		if err != nil || !ok {
			t.Fatalf("park row %d: %v %v", i, ok, err)
		}
	}
	if p.rows[0].Deferrals != 0 {
		t.Error("a parked row keeps its deferrals")
	}
	retry, _ := command.NewRetryImportHandler(p, p)
	got, err := retry.Handle(ctx, command.RetryImport{TenantID: "t", JobID: "j"})
	if err == nil || got == 0 || got >= n {
		t.Fatalf("retry with a queue failing on the second batch = %d, %v", got, err)
	}
	rest, err := retry.Handle(ctx, command.RetryImport{TenantID: "t", JobID: "j"})
	if err != nil || got+rest != n || len(p.queued) != n {
		t.Errorf("second retry = %d, %v; queued %d of %d", rest, err, len(p.queued), n)
	}
	stale, _ := command.NewFailStaleImportsHandler(p)
	if _, err := stale.Handle(ctx, command.FailStaleImports{}); err == nil {
		t.Error("FailStaleImports without OlderThan accepted")
	}
	if n, err := stale.Handle(ctx, command.FailStaleImports{OlderThan: 2 * time.Hour}); err != nil || n != 2 {
		t.Errorf("FailStaleImports = %d, %v", n, err)
	}
}
