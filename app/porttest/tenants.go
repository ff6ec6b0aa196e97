package porttest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/userservice/userservice/app/auth"
	"github.com/userservice/userservice/app/command"
	"github.com/userservice/userservice/app/query"
)

// TenantsEnv is what the tenant suite runs on: the store of tenants and
// tokens and its readers, on one store.
type TenantsEnv struct {
	Store   command.TenantStore
	Tenants query.TenantReader
	Tokens  query.TokenReader
	Lister  query.TokenLister
}

// TenantStore runs the contract of command.TenantStore with the tenant and
// token readers, through the use cases that use them.
func TenantStore(t *testing.T, newEnv func(t *testing.T) TenantsEnv) {
	t.Run("tenants, tokens, authentication and revocation", func(t *testing.T) {
		t.Parallel()
		env, ctx := newEnv(t), context.Background()
		now := time.Now()
		create, err := command.NewCreateTenantHandler(env.Store, newStringID)
		must(t, err)
		issue, err := command.NewIssueTokenHandler(env.Store, newStringID, func() time.Time { return now })
		must(t, err)
		revoke, err := command.NewRevokeTokenHandler(env.Store)
		must(t, err)
		get, err := query.NewGetTenantHandler(env.Tenants)
		must(t, err)
		authn, err := query.NewAuthenticateHandler(env.Tokens, time.Now)
		must(t, err)
		list, err := query.NewListTokensHandler(env.Lister)
		must(t, err)

		tn, err := create.Handle(ctx, command.CreateTenant{Name: " Acme ", Seats: 3})
		must(t, err)
		info, err := get.Handle(ctx, query.GetTenant{TenantID: tn.ID})
		if err != nil || info.Name != "Acme" || info.SeatLimit != 3 || info.SeatsUsed != 0 {
			t.Errorf("GetTenant = %+v, %v", info, err)
		}
		if _, err := get.Handle(ctx, query.GetTenant{TenantID: uuid.NewString()}); !errors.Is(err, query.ErrTenantNotFound) {
			t.Errorf("a missing tenant: err = %v", err)
		}

		tok, err := issue.Handle(ctx, command.IssueToken{TenantID: tn.ID, Role: auth.RoleAdmin})
		must(t, err)
		p, err := authn.Handle(ctx, tok.Plaintext)
		if err != nil || p.TenantID != tn.ID || p.TokenID != tok.ID || p.Role != auth.RoleAdmin {
			t.Errorf("Authenticate = %+v, %v", p, err)
		}
		if _, err := issue.Handle(ctx, command.IssueToken{TenantID: uuid.NewString(), Role: auth.RoleAdmin}); err == nil {
			t.Error("a token for a tenant that does not exist was issued")
		}
		other, err := create.Handle(ctx, command.CreateTenant{Name: "Other", Seats: 1})
		must(t, err)
		if _, err := revoke.Handle(ctx, command.RevokeToken{TenantID: other.ID, TokenID: tok.ID}); !errors.Is(err, command.ErrTokenNotFound) {
			t.Errorf("revoking another tenant's token: err = %v", err)
		}
		if _, err := revoke.Handle(ctx, command.RevokeToken{TenantID: tn.ID, TokenID: uuid.NewString()}); !errors.Is(err, command.ErrTokenNotFound) {
			t.Errorf("revoking a token that is not there: err = %v", err)
		}
		for range 2 { // revoking twice is harmless
			if _, err := revoke.Handle(ctx, command.RevokeToken{TenantID: tn.ID, TokenID: tok.ID}); err != nil {
				t.Fatalf("revoke: %v", err)
			}
		}
		if _, err := authn.Handle(ctx, tok.Plaintext); !errors.Is(err, auth.ErrUnauthenticated) {
			t.Errorf("a revoked token authenticates: err = %v", err)
		}
		second, err := issue.Handle(ctx, command.IssueToken{TenantID: tn.ID, Role: auth.RoleReader, TTL: time.Hour})
		must(t, err)
		tokens, err := list.Handle(ctx, query.ListTokens{TenantID: tn.ID})
		if err != nil || len(tokens) != 2 {
			t.Fatalf("ListTokens = %+v, %v", tokens, err)
		}
		byID := map[string]query.TokenInfo{tokens[0].ID: tokens[0], tokens[1].ID: tokens[1]}
		if byID[tok.ID].RevokedAt == nil || byID[second.ID].RevokedAt != nil || byID[second.ID].ExpiresAt == nil {
			t.Errorf("ListTokens = %+v", tokens)
		}
		if tokens, err := list.Handle(ctx, query.ListTokens{TenantID: other.ID}); err != nil || len(tokens) != 0 {
			t.Errorf("another tenant's tokens = %+v, %v", tokens, err)
		}
	})
}
