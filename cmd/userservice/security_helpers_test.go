package main

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/userservice/userservice/adapters/postgres/pgtest"
	"github.com/userservice/userservice/app"
	"github.com/userservice/userservice/app/auth"
	"github.com/userservice/userservice/app/command"
	"github.com/userservice/userservice/cmd/internal/service"
)

// secTenant is a tenant with something behind every kind of route id: a
// user (with an external id and a manager), an import job, tokens of every
// role, and notification settings.
type secTenant struct {
	id        string
	token     map[auth.Role]string
	tokenID   map[auth.Role]string
	userID    string
	managerID string
	// doomedIDs are users for the DELETE routes (the other routes still
	// need userID); doomed hands out the next one.
	doomedIDs []string
	email     string
	groupID   string
	jobID     string
	webhook   string
}

// doomed returns a user nobody deleted yet (or the last one, when all are
// used: a DELETE of a deleted user is still a valid request).
func (st *secTenant) doomed() string {
	id := st.doomedIDs[0]
	if len(st.doomedIDs) > 1 {
		st.doomedIDs = st.doomedIDs[1:]
	}
	return id
}

// secFixture issues tokens and makes unique values for the security tests.
type secFixture struct {
	t   *testing.T
	s   *svc
	app app.Application
	seq atomic.Int64
}

func newSecFixture(t *testing.T, s *svc) *secFixture {
	t.Helper()
	application, err := service.BuildApplication(pgtest.Pool(t), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	return &secFixture{t: t, s: s, app: application}
}

// unique returns a fresh string with the prefix, for e-mails and ids.
func (f *secFixture) unique(prefix string) string {
	return fmt.Sprintf("%s%d", prefix, f.seq.Add(1))
}

// issue makes a token of the tenant; it returns the plaintext and the id.
func (f *secFixture) issue(tenantID string, role auth.Role) (string, string) {
	f.t.Helper()
	tok, err := f.app.Commands.IssueToken.Handle(context.Background(), command.IssueToken{TenantID: tenantID, Role: role})
	if err != nil {
		f.t.Fatal(err)
	}
	return tok.Plaintext, tok.ID
}

// newSecTenant creates a tenant with its resources, through the API.
func (f *secFixture) newSecTenant(name string) *secTenant {
	f.t.Helper()
	tn, err := f.app.Commands.CreateTenant.Handle(context.Background(), command.CreateTenant{Name: name + " " + f.t.Name(), Seats: 1000})
	if err != nil {
		f.t.Fatal(err)
	}
	st := &secTenant{id: tn.ID, token: map[auth.Role]string{}, tokenID: map[auth.Role]string{}}
	for _, r := range []auth.Role{auth.RoleReader, auth.RoleImporter, auth.RoleAdmin, auth.RoleSCIM} {
		st.token[r], st.tokenID[r] = f.issue(tn.ID, r)
	}
	admin := st.token[auth.RoleAdmin]
	st.managerID = f.s.call("POST", "/v1/users", admin, map[string]any{"email": name + "-boss@example.com",
		"given_name": "Boss", "family_name": name, "external_id": name + "-BOSS"}).want(f.t, 201, "").str("id")
	st.email = name + "-victim@example.com"
	st.userID = f.s.call("POST", "/v1/users", admin, map[string]any{"email": st.email, "given_name": "Vic",
		"family_name": name, "external_id": name + "-VIC", "manager_id": st.managerID}).want(f.t, 201, "").str("id")
	for i := range 24 { // 7 builds per route (3 unauthenticated, 4 roles) for the API and SCIM DELETEs and the erase
		st.doomedIDs = append(st.doomedIDs, f.s.call("POST", "/v1/users", admin,
			newUser(fmt.Sprintf("%s-doomed%d@example.com", name, i))).want(f.t, 201, "").str("id"))
	}
	st.groupID = f.s.call("POST", "/v1/groups", admin, map[string]any{"display_name": name + "-group",
		"external_id": name + "-GRP", "members": []string{st.userID}}).want(f.t, 201, "").str("id")
	// A job without rows: any importer role on the shared queue (other
	// tests run some) would otherwise apply its rows while a test compares
	// the tenant's state.
	st.jobID = f.s.call("POST", "/v1/imports", st.token[auth.RoleImporter], "external_id,email,given_name,family_name\n",
		"Content-Type", "text/csv").want(f.t, 202, "").str("id")
	// Loopback, port 9 (nothing listens): a notifier role of another test
	// may try to deliver this tenant's notices, and must reach nothing.
	st.webhook = "http://127.0.0.1:9/hook-" + name
	f.s.call("PUT", "/v1/notification-settings", admin, map[string]any{"emails": []string{name + "-admin@example.com"},
		"webhook_url": st.webhook, "webhook_secret": "0123456789abcdef-" + name}).want(f.t, 204, "")
	return st
}

// tenantState is what the security tests compare before and after: the
// events of the tenant's users and their read model, its jobs, settings and
// revoked tokens. (Events are counted through the tenant's users: the event
// store has no tenant index, and an event is never written without its
// user's row, in the same transaction.)
type tenantState struct {
	events, users, jobs int
	usersDigest         string
	settings            string
	revokedTokens       int
}

func readTenantState(t *testing.T, tenantID string) tenantState {
	t.Helper()
	var st tenantState
	err := pgtest.Pool(t).QueryRow(context.Background(), `
		SELECT (SELECT count(*) FROM events WHERE stream_id IN (SELECT id FROM users WHERE tenant_id = $1)),
		       (SELECT count(*) FROM users WHERE tenant_id = $1),
		       (SELECT coalesce(md5(string_agg(u::text, '|' ORDER BY u.id)), '') FROM users u WHERE tenant_id = $1),
		       (SELECT count(*) FROM import_jobs WHERE tenant_id = $1),
		       (SELECT coalesce(string_agg(emails::text || webhook_url || webhook_secret, '|'), '') FROM notification_settings WHERE tenant_id = $1),
		       (SELECT count(*) FROM api_tokens WHERE tenant_id = $1 AND revoked_at IS NOT NULL)`, tenantID).
		Scan(&st.events, &st.users, &st.usersDigest, &st.jobs, &st.settings, &st.revokedTokens)
	if err != nil {
		t.Fatal(err)
	}
	return st
}
