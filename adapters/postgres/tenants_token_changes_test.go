package postgres

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/userservice/userservice/adapters/postgres/pgtest"
	"github.com/userservice/userservice/app/auth"
	"github.com/userservice/userservice/app/command"
	"github.com/userservice/userservice/app/porttest"
	"github.com/userservice/userservice/app/query"
)

// apiProcess stands for one api process: its own pool, its token cache with
// a TTL far longer than the test, and its change listener.
type apiProcess struct {
	pool    *pgxpool.Pool
	store   *porttest.CountingTokens
	authn   query.AuthenticateHandler
	stopped chan struct{}
}

func startAPIProcess(t *testing.T, appName string) *apiProcess {
	t.Helper()
	base := pgtest.Pool(t) // migrated, reachable (or the test ends here)
	cfg := base.Config().Copy()
	cfg.ConnConfig.RuntimeParams["application_name"] = appName
	ctx, cancel := context.WithCancel(context.Background())
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	must(t, err)
	p := &apiProcess{pool: pool, store: &porttest.CountingTokens{TokenReader: NewTenants(pool)}, stopped: make(chan struct{})}
	cache, err := query.NewTokenCache(p.store, time.Hour, time.Now)
	must(t, err)
	p.authn, err = query.NewAuthenticateHandler(cache, time.Now)
	must(t, err)
	go func() {
		defer close(p.stopped)
		if err := ListenTokenChanges(ctx, pool, cache, func(err error) { t.Logf("%s listener: %v", appName, err) }); err != nil {
			t.Errorf("%s listener: %v", appName, err)
		}
	}()
	t.Cleanup(func() { cancel(); <-p.stopped; pool.Close() })
	// Wait for LISTEN: the listener empties the cache when it connects.
	for start := time.Now(); p.listenerBackends(t) != 1; time.Sleep(10 * time.Millisecond) {
		if time.Since(start) > noticeBound {
			t.Fatalf("%s: the listener did not connect within %s", appName, noticeBound)
		}
	}
	return p
}

// listenerBackends counts the process's LISTENing connections.
func (p *apiProcess) listenerBackends(t *testing.T) int {
	t.Helper()
	var n int
	must(t, p.pool.QueryRow(context.Background(), `
		SELECT count(*) FROM pg_stat_activity WHERE application_name = $1 AND query ILIKE 'listen%'`,
		p.pool.Config().ConnConfig.RuntimeParams["application_name"]).Scan(&n))
	return n
}

// refusedWithin polls until the process refuses the token, failing after d.
func (p *apiProcess) refusedWithin(t *testing.T, token string, d time.Duration) time.Duration {
	t.Helper()
	start := time.Now()
	for {
		_, err := p.authn.Handle(context.Background(), token)
		if errors.Is(err, auth.ErrUnauthenticated) {
			return time.Since(start)
		}
		must(t, err)
		if time.Since(start) > d {
			t.Fatalf("a revoked token still authenticates after %s (cache TTL 1h: the change notice did not arrive)", d)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// noticeBound is how long a test waits for a change notice; the documented
// bound is "milliseconds" on a quiet machine, this leaves room for a busy one
// while staying far below the cache's 1h TTL.
const noticeBound = 5 * time.Second

func TestRevokedTokenStopsWorkingInEveryProcessWithoutWaitingForTheTTL(t *testing.T) {
	t.Parallel()
	f := newFixture(t, 1)
	a := startAPIProcess(t, "token-changes-a-"+uuid.NewString()[:8])
	b := startAPIProcess(t, "token-changes-b-"+uuid.NewString()[:8])
	issue, err := command.NewIssueTokenHandler(NewTenants(f.pool), func() (string, error) { return uuid.NewString(), nil }, time.Now)
	must(t, err)
	newToken := func() command.IssuedToken {
		tok, err := issue.Handle(f.ctx, command.IssueToken{TenantID: f.tenant, Role: auth.RoleAdmin, TTL: time.Hour})
		must(t, err)
		for _, p := range []*apiProcess{a, b} {
			for range 3 {
				if _, err := p.authn.Handle(f.ctx, tok.Plaintext); err != nil {
					t.Fatal(err)
				}
			}
		}
		return tok
	}

	// Revoked through process A's store (the API's path): both processes stop.
	tok := newToken()
	if a.store.Lookups() != 1 || b.store.Lookups() != 1 {
		t.Fatalf("lookups %d / %d for 3 requests each, want 1 / 1: the cache is not in use", a.store.Lookups(), b.store.Lookups())
	}
	must(t, NewTenants(a.pool).RevokeToken(f.ctx, f.tenant, tok.ID))
	t.Logf("revoked through A: refused by A after %s, by B after %s", a.refusedWithin(t, tok.Plaintext, noticeBound), b.refusedWithin(t, tok.Plaintext, noticeBound))

	// Revoked in SQL, by no process at all (an operator, usersctl): the same.
	tok = newToken()
	_, err = f.pool.Exec(f.ctx, `UPDATE api_tokens SET revoked_at = now() WHERE id = $1`, tok.ID)
	must(t, err)
	b.refusedWithin(t, tok.Plaintext, noticeBound)
	// An expiry moved into the past is a change too.
	tok = newToken()
	_, err = f.pool.Exec(f.ctx, `UPDATE api_tokens SET expires_at = now() - interval '1 minute' WHERE id = $1`, tok.ID)
	must(t, err)
	b.refusedWithin(t, tok.Plaintext, noticeBound)

	// B's listener loses its connection; a revocation while it is away is
	// announced to nobody, so B empties its cache when it is back.
	tok = newToken()
	var killed int
	must(t, f.pool.QueryRow(f.ctx, `
		SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
		WHERE application_name = $1 AND query ILIKE 'listen%'`, b.pool.Config().ConnConfig.RuntimeParams["application_name"]).Scan(&killed))
	if killed != 1 {
		t.Fatalf("terminated %d listener backends of B, want 1", killed)
	}
	must(t, NewTenants(a.pool).RevokeToken(f.ctx, f.tenant, tok.ID))
	b.refusedWithin(t, tok.Plaintext, noticeBound+tokenChangeReconnectDelay)
	// Tokens that did not change keep working everywhere.
	other := newToken()
	for _, p := range []*apiProcess{a, b} {
		if _, err := p.authn.Handle(f.ctx, other.Plaintext); err != nil {
			t.Fatalf("an unchanged token: %v", err)
		}
	}
}
