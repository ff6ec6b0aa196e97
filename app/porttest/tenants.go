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
		f := newTenantsFixture(t, newEnv(t))
		tn := f.tenantIsRead()
		tok := f.tokenAuthenticates(tn)
		other, err := f.create.Handle(f.ctx, command.CreateTenant{Name: "Other", Seats: 1})
		must(t, err)
		f.revokedTokenRefused(tn, other, tok)
		f.tokensListed(tn, other, tok)
	})
}

// tenantsFixture is the tenant and token use cases on one env.
type tenantsFixture struct {
	t      *testing.T
	ctx    context.Context
	create command.CreateTenantHandler
	issue  command.IssueTokenHandler
	revoke command.RevokeTokenHandler
	get    query.GetTenantHandler
	authn  query.AuthenticateHandler
	list   query.ListTokensHandler
}

func newTenantsFixture(t *testing.T, env TenantsEnv) *tenantsFixture {
	f := &tenantsFixture{t: t, ctx: context.Background()}
	now := time.Now()
	var err error
	f.create, err = command.NewCreateTenantHandler(env.Store, newStringID)
	must(t, err)
	f.issue, err = command.NewIssueTokenHandler(env.Store, newStringID, func() time.Time { return now })
	must(t, err)
	f.revoke, err = command.NewRevokeTokenHandler(env.Store)
	must(t, err)
	f.get, err = query.NewGetTenantHandler(env.Tenants)
	must(t, err)
	f.authn, err = query.NewAuthenticateHandler(env.Tokens, time.Now)
	must(t, err)
	f.list, err = query.NewListTokensHandler(env.Lister)
	must(t, err)
	return f
}

// tenantIsRead: a tenant is created (its name trimmed) and read back; a
// missing one is not found.
func (f *tenantsFixture) tenantIsRead() command.Tenant {
	tn, err := f.create.Handle(f.ctx, command.CreateTenant{Name: " Acme ", Seats: 3})
	must(f.t, err)
	info, err := f.get.Handle(f.ctx, query.GetTenant{TenantID: tn.ID})
	if want := (query.TenantInfo{ID: tn.ID, Name: "Acme", SeatLimit: 3}); err != nil || info != want {
		f.t.Errorf("GetTenant = %+v, %v; want %+v", info, err, want)
	}
	if _, err := f.get.Handle(f.ctx, query.GetTenant{TenantID: uuid.NewString()}); !errors.Is(err, query.ErrTenantNotFound) {
		f.t.Errorf("a missing tenant: err = %v", err)
	}
	return tn
}

// tokenAuthenticates: an issued token authenticates as its tenant and
// role; a tenant that does not exist gets none.
func (f *tenantsFixture) tokenAuthenticates(tn command.Tenant) command.IssuedToken {
	tok, err := f.issue.Handle(f.ctx, command.IssueToken{TenantID: tn.ID, Role: auth.RoleAdmin})
	must(f.t, err)
	p, err := f.authn.Handle(f.ctx, tok.Plaintext)
	if err != nil || p.TenantID != tn.ID || p.TokenID != tok.ID || p.Role != auth.RoleAdmin {
		f.t.Errorf("Authenticate = %+v, %v", p, err)
	}
	if _, err := f.issue.Handle(f.ctx, command.IssueToken{TenantID: uuid.NewString(), Role: auth.RoleAdmin}); !errors.Is(err, query.ErrTenantNotFound) {
		f.t.Errorf("a token for a tenant that does not exist: err = %v, want query.ErrTenantNotFound", err)
	}
	return tok
}

// revokedTokenRefused: only the token's tenant revokes it, twice is
// harmless, and it no longer authenticates.
func (f *tenantsFixture) revokedTokenRefused(tn, other command.Tenant, tok command.IssuedToken) {
	for _, r := range []command.RevokeToken{{TenantID: other.ID, TokenID: tok.ID}, {TenantID: tn.ID, TokenID: uuid.NewString()}} {
		if _, err := f.revoke.Handle(f.ctx, r); !errors.Is(err, command.ErrTokenNotFound) {
			f.t.Errorf("revoking %+v (another tenant's, or none): err = %v", r, err)
		}
	}
	for range 2 { // revoking twice is harmless
		if _, err := f.revoke.Handle(f.ctx, command.RevokeToken{TenantID: tn.ID, TokenID: tok.ID}); err != nil {
			f.t.Fatalf("revoke: %v", err)
		}
	}
	if _, err := f.authn.Handle(f.ctx, tok.Plaintext); !errors.Is(err, auth.ErrUnauthenticated) {
		f.t.Errorf("a revoked token authenticates: err = %v", err)
	}
}

// tokensListed: the tenant's tokens are listed with their revocation and
// expiry, and another tenant sees none of them.
func (f *tenantsFixture) tokensListed(tn, other command.Tenant, revoked command.IssuedToken) {
	second, err := f.issue.Handle(f.ctx, command.IssueToken{TenantID: tn.ID, Role: auth.RoleReader, TTL: time.Hour})
	must(f.t, err)
	tokens, err := f.list.Handle(f.ctx, query.ListTokens{TenantID: tn.ID})
	if err != nil || len(tokens) != 2 {
		f.t.Fatalf("ListTokens = %+v, %v", tokens, err)
	}
	byID := map[string]query.TokenInfo{tokens[0].ID: tokens[0], tokens[1].ID: tokens[1]}
	if byID[revoked.ID].RevokedAt == nil || byID[second.ID].RevokedAt != nil || byID[second.ID].ExpiresAt == nil {
		f.t.Errorf("ListTokens = %+v", tokens)
	}
	if tokens, err := f.list.Handle(f.ctx, query.ListTokens{TenantID: other.ID}); err != nil || len(tokens) != 0 {
		f.t.Errorf("another tenant's tokens = %+v, %v", tokens, err)
	}
}
