package main

import (
	"context"
	"strings"
	"testing"

	"github.com/userservice/userservice/adapters/postgres/pgtest"
	"github.com/userservice/userservice/app/auth"
	"github.com/userservice/userservice/cmd/internal/service"
)

// TestTokenCreateSCIMRole: the CLI issues the token an identity provider
// needs for SCIM (role scim).
func TestTokenCreateSCIMRole(t *testing.T) {
	t.Parallel()
	pool := pgtest.Pool(t)
	dbURL := pgtest.URL()
	r := usersctl(t, dbURL, "tenant", "create", "--name", "SCIM Ltd", "--seats", "3")
	if r.code != 0 {
		t.Fatalf("tenant create: exit %d, %s", r.code, r.stderr)
	}
	tenantID := strings.TrimSpace(r.stdout)
	r = usersctl(t, dbURL, "token", "create", "--tenant", tenantID, "--role", "scim")
	if r.code != 0 {
		t.Fatalf("token create --role scim: exit %d, %s", r.code, r.stderr)
	}
	application, err := service.BuildApplication(pool, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	p, err := application.Queries.Authenticate.Handle(context.Background(), strings.TrimSpace(r.stdout))
	if err != nil || p.TenantID != tenantID || p.Role != auth.RoleSCIM || !p.Can(auth.PermSCIM) || p.Can(auth.PermReadUsers) {
		t.Fatalf("Authenticate = %+v, %v; want a scim principal of tenant %s", p, err, tenantID)
	}
}
