package service_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/userservice/userservice/adapters/postgres/pgtest"
	"github.com/userservice/userservice/app/auth"
	"github.com/userservice/userservice/app/command"
	"github.com/userservice/userservice/cmd/internal/service"
)

// TestCachedTokensStopWorkingWithinTheBound checks the documented bound of
// AUTH_TOKEN_CACHE_TTL on the real database: a token revoked through the
// api process stops at once; one revoked through another process (usersctl,
// another replica) is refused at the latest TTL after its revocation.
func TestCachedTokensStopWorkingWithinTheBound(t *testing.T) {
	t.Parallel()
	const ttl = 400 * time.Millisecond
	pool := pgtest.Pool(t)
	api, err := service.Build(pool, service.Options{TokenCacheTTL: ttl})
	if err != nil {
		t.Fatal(err)
	}
	other, err := service.BuildApplication(pool, nil, nil) // usersctl's wiring: no cache
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	tenant, err := api.Commands.CreateTenant.Handle(ctx, command.CreateTenant{Name: "Token cache AG", Seats: 1})
	if err != nil {
		t.Fatal(err)
	}
	issue := func() (string, string) {
		tok, err := api.Commands.IssueToken.Handle(ctx, command.IssueToken{TenantID: tenant.ID, Role: auth.RoleAdmin})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := api.Queries.Authenticate.Handle(ctx, tok.Plaintext); err != nil { // now cached
			t.Fatal(err)
		}
		return tok.Plaintext, tok.ID
	}

	here, hereID := issue()
	if _, err := api.Commands.RevokeToken.Handle(ctx, command.RevokeToken{TenantID: tenant.ID, TokenID: hereID}); err != nil {
		t.Fatal(err)
	}
	if _, err := api.Queries.Authenticate.Handle(ctx, here); !errors.Is(err, auth.ErrUnauthenticated) {
		t.Fatalf("revoked through this process: err = %v, want ErrUnauthenticated at once", err)
	}

	elsewhere, elsewhereID := issue()
	if _, err := other.Commands.RevokeToken.Handle(ctx, command.RevokeToken{TenantID: tenant.ID, TokenID: elsewhereID}); err != nil {
		t.Fatal(err)
	}
	revoked := time.Now()
	for {
		_, err := api.Queries.Authenticate.Handle(ctx, elsewhere)
		if errors.Is(err, auth.ErrUnauthenticated) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if time.Since(revoked) > ttl {
			t.Fatalf("a token revoked elsewhere still worked %s after its revocation (bound %s)", time.Since(revoked), ttl)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestServiceWiresTheTokenChangeListener checks that an api process built
// with a Lifetime hears revocations made elsewhere at once: its cache's TTL
// (1h here) is only the fallback.
func TestServiceWiresTheTokenChangeListener(t *testing.T) {
	t.Parallel()
	pool := pgtest.Pool(t)
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	api, err := service.Build(pool, service.Options{TokenCacheTTL: time.Hour, Lifetime: ctx})
	if err != nil {
		t.Fatal(err)
	}
	other, err := service.BuildApplication(pool, nil, nil) // usersctl's wiring: no cache
	if err != nil {
		t.Fatal(err)
	}
	tenant, err := api.Commands.CreateTenant.Handle(ctx, command.CreateTenant{Name: "Token listener AG", Seats: 1})
	if err != nil {
		t.Fatal(err)
	}
	tok, err := api.Commands.IssueToken.Handle(ctx, command.IssueToken{TenantID: tenant.ID, Role: auth.RoleAdmin})
	if err != nil {
		t.Fatal(err)
	}
	// Cached now (or emptied later by the listener connecting, which also
	// catches a revocation made before it listened).
	if _, err := api.Queries.Authenticate.Handle(ctx, tok.Plaintext); err != nil {
		t.Fatal(err)
	}
	if _, err := other.Commands.RevokeToken.Handle(ctx, command.RevokeToken{TenantID: tenant.ID, TokenID: tok.ID}); err != nil {
		t.Fatal(err)
	}
	const bound = 5 * time.Second // milliseconds on a quiet machine; far below the TTL
	for revoked := time.Now(); ; time.Sleep(5 * time.Millisecond) {
		_, err := api.Queries.Authenticate.Handle(ctx, tok.Plaintext)
		if errors.Is(err, auth.ErrUnauthenticated) {
			t.Logf("refused %s after the revocation elsewhere", time.Since(revoked))
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		if time.Since(revoked) > bound {
			t.Fatalf("a token revoked elsewhere still worked %s later (TTL 1h): the listener is not wired", bound)
		}
	}
}
