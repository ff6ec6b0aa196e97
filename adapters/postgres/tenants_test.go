package postgres

import (
	"errors"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/userservice/userservice/app/auth"
	"github.com/userservice/userservice/app/command"
	"github.com/userservice/userservice/app/query"
)

func TestTokensAuthenticateUntilRevokedOrExpired(t *testing.T) {
	t.Parallel()
	f := newFixture(t, 1)
	tenants := NewTenants(f.pool)
	now := time.Now()
	clock := func() time.Time { return now }
	issue, err := command.NewIssueTokenHandler(tenants, func() (string, error) { return uuid.NewString(), nil }, clock)
	must(t, err)
	authn, err := query.NewAuthenticateHandler(tenants, clock)
	must(t, err)

	tok, err := issue.Handle(f.ctx, command.IssueToken{TenantID: f.tenant, Role: auth.RoleReader, TTL: time.Hour})
	must(t, err)
	p, err := authn.Handle(f.ctx, tok.Plaintext)
	if err != nil || p.TenantID != f.tenant || p.Role != auth.RoleReader || p.TokenID != tok.ID {
		t.Fatalf("principal %+v, err %v", p, err)
	}
	var stored []byte
	must(t, f.pool.QueryRow(f.ctx, `SELECT token_hash FROM api_tokens WHERE id = $1`, tok.ID).Scan(&stored))
	if string(stored) == tok.Plaintext || string(stored) != string(auth.HashToken(tok.Plaintext)) {
		t.Fatal("the token is not stored as its hash")
	}

	now = now.Add(2 * time.Hour)
	if _, err := authn.Handle(f.ctx, tok.Plaintext); !errors.Is(err, auth.ErrUnauthenticated) {
		t.Fatalf("expired token: err = %v", err)
	}
	now = now.Add(-2 * time.Hour)
	must(t, tenants.RevokeToken(f.ctx, f.tenant, tok.ID))
	if _, err := authn.Handle(f.ctx, tok.Plaintext); !errors.Is(err, auth.ErrUnauthenticated) {
		t.Fatalf("revoked token: err = %v", err)
	}
	if err := tenants.RevokeToken(f.ctx, uuid.NewString(), tok.ID); !errors.Is(err, command.ErrTokenNotFound) {
		t.Fatalf("revoking another tenant's token: err = %v", err)
	}
	if _, err := issue.Handle(f.ctx, command.IssueToken{TenantID: uuid.NewString(), Role: auth.RoleAdmin}); !errors.Is(err, ErrTenantNotFound) {
		t.Fatalf("token for a missing tenant: err = %v", err)
	}
	if _, err := authn.Handle(f.ctx, "usr_not-a-token"); !errors.Is(err, auth.ErrUnauthenticated) {
		t.Fatalf("unknown token: err = %v", err)
	}
}
