package messages_test

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/userservice/userservice/adapters/hris"
	"github.com/userservice/userservice/adapters/postgres"
	"github.com/userservice/userservice/app/command"
	"github.com/userservice/userservice/domain/user"
)

// fakeHRIS serves employees two per page behind a bearer token; failPage > 0
// makes that page fail with a 503.
type fakeHRIS struct {
	employees []map[string]any
	failPage  atomic.Int32
	requests  atomic.Int32
}

func (f *fakeHRIS) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.requests.Add(1)
	if r.Header.Get("Authorization") != "Bearer s3cret" {
		http.Error(w, "who are you", http.StatusUnauthorized)
		return
	}
	size, _ := strconv.Atoi(r.URL.Query().Get("page_size"))
	from, _ := strconv.Atoi(r.URL.Query().Get("cursor"))
	if fp := int(f.failPage.Load()); fp > 0 && from/size+1 == fp {
		http.Error(w, "maintenance", http.StatusServiceUnavailable)
		return
	}
	to := min(from+size, len(f.employees))
	body := map[string]any{"employees": f.employees[from:to]}
	if to < len(f.employees) {
		body["next_cursor"] = strconv.Itoa(to)
	}
	_ = json.NewEncoder(w).Encode(body)
}

// TestHRISSyncFullCycle runs a full sync from a fake HRIS through the queue
// and the router: new, changed and terminated employees, a manager on a later
// page, an employee who disappeared, and a record older than a manual change.
// Then a sync whose endpoint fails queues nothing and is reported.
func TestHRISSyncFullCycle(t *testing.T) {
	t.Parallel()
	fake := &fakeHRIS{}
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	client, err := hris.NewClient(hris.ClientConfig{URL: srv.URL + "/employees", Token: "s3cret", PageSize: 2,
		Attempts: 2, RetryDelay: 10 * time.Millisecond})
	must(t, err)
	h := newHarness(t, 100, options{source: client})
	h.startRouter(messagesConfig())
	must(t, postgres.NewNotifications(h.pool).SetNotificationSettings(h.ctx, command.SetNotificationSettings{
		TenantID: h.tenant, Emails: []string{"admin@example.com"}}))

	h.register("h1@example.com", "H1", "Hal", "Engineer")
	manual := h.register("h5@example.com", "H5", "Man", "Engineer")
	h.register("h9@example.com", "H9", "Gone", "Engineer")
	local := h.register("local@example.com", "", "Lo", "Cal")
	recordTime := time.Now().UTC()
	time.Sleep(10 * time.Millisecond)
	title := "Manual"
	_, err = h.app.Commands.UpdateUser.Handle(h.ctx, command.UpdateUser{Envelope: command.Envelope{CommandID: newJobID(t),
		TenantID: h.tenant, Actor: "admin", Source: command.SourceAPI, CorrelationID: "c"}, UserID: manual.ID, Patch: user.Patch{Title: &title}})
	must(t, err)
	now := time.Now().UTC()
	fake.employees = []map[string]any{
		{"employee_id": "H1", "email": "h1@example.com", "given_name": "Hal", "family_name": "Test", "title": "Lead", "last_modified": now},
		{"employee_id": "H2", "email": "h2@example.com", "given_name": "New", "family_name": "Hire", "manager_id": "H3", "status": "active", "last_modified": now},
		{"employee_id": "H4", "email": "h4@example.com", "given_name": "Ex", "family_name": "Hire", "status": "terminated", "last_modified": now},
		{"employee_id": "H5", "email": "h5@example.com", "given_name": "Man", "family_name": "Test", "title": "HRIS title", "last_modified": recordTime},
		{"employee_id": "H3", "email": "h3@example.com", "given_name": "The", "family_name": "Boss", "status": "on_leave", "last_modified": now},
	}
	started, err := h.app.Commands.SyncHRIS.Handle(h.ctx, command.SyncHRIS{TenantID: h.tenant, DeactivateMissing: true, DedupKey: "tick-1-" + h.tenant})
	must(t, err)
	job := h.waitFinished(started.JobID)
	if got, want := countsOf(job), (counts{total: 6, created: 3, updated: 2, skipped: 1}); got != want || job.Status != "completed" || job.Source != "hris" {
		t.Fatalf("sync %+v (%s), want %+v", got, job.Status, want)
	}
	if u := h.userByExternalID("H1"); u.Title != "Lead" {
		t.Errorf("H1 title = %q", u.Title)
	}
	if u, m := h.userByExternalID("H2"), h.userByExternalID("H3"); u.ManagerID != m.ID.String() || m.Status != user.StatusActive {
		t.Errorf("H2 manager %q, H3 %+v", u.ManagerID, m)
	}
	if u := h.userByExternalID("H4"); u.Status != user.StatusDeactivated {
		t.Errorf("terminated H4 is %s", u.Status)
	}
	if u := h.userByExternalID("H5"); u.Title != "Manual" {
		t.Errorf("the older HRIS record overwrote the newer manual change: title %q", u.Title)
	}
	if u := h.userByExternalID("H9"); u.Status != user.StatusDeactivated {
		t.Errorf("H9, gone from the HRIS, is %s", u.Status)
	}
	if u, err := postgres.NewUsers(h.pool).GetUser(h.ctx, h.tenant, local.ID); err != nil || u.Status != user.StatusActive {
		t.Errorf("a user without external id was touched: %+v, %v", u, err)
	}
	if _, err := h.app.Commands.SyncHRIS.Handle(h.ctx, command.SyncHRIS{TenantID: h.tenant, DedupKey: "tick-1-" + h.tenant}); !errors.Is(err, command.ErrImportExists) {
		t.Fatalf("the same tick again: %v, want ErrImportExists", err)
	}

	// The endpoint fails on page 2: retried, then the job fails with nothing
	// queued, and the tenant's admins get one notice.
	fake.failPage.Store(2)
	before := fake.requests.Load()
	events := h.events()
	failed, err := h.app.Commands.SyncHRIS.Handle(h.ctx, command.SyncHRIS{TenantID: h.tenant, DeactivateMissing: true})
	if !errors.Is(err, command.ErrSyncFailed) {
		t.Fatalf("failing sync: err = %v", err)
	}
	if n := fake.requests.Load() - before; n != 3 {
		t.Errorf("failing sync sent %d requests, want 3 (page 1, page 2 twice)", n)
	}
	job = h.waitFinished(failed.JobID)
	if job.Status != "failed" || job.Total != nil || job.Processed() != 0 || job.Error == "" {
		t.Fatalf("failed sync job = %+v", job)
	}
	var notices int
	must(t, h.pool.QueryRow(h.ctx, `SELECT count(*) FROM notifications WHERE job_id = $1`, failed.JobID).Scan(&notices))
	if notices != 1 || h.events() != events {
		t.Fatalf("failed sync: %d notices (want 1), %d events written", notices, h.events()-events)
	}
}
