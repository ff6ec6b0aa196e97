package postgres

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/userservice/userservice/adapters/postgres/pgtest"
)

// Clearing a rebuild's shadow keeps every other rebuild's rows, truncates
// the table when its rows were the only ones (no dead rows left for the next
// rebuild to COPY against), and never waits for a rebuild that is writing.
// The test has a database of its own: other tests' rebuilds would decide
// which way the clear goes.
func TestShadowClearKeepsOtherScopesAndTruncatesALoneOne(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	pool := pgtest.OwnPool(t, "shadow_clear")
	a, b := uuid.NewString(), uuid.NewString()
	insertShadowRows(t, ctx, pool, a, 3)
	insertShadowRows(t, ctx, pool, b, 2)
	before := shadowFilenode(t, ctx, pool)

	clearShadow(t, ctx, pool, a)
	if got := shadowCounts(t, ctx, pool); got[a] != 0 || got[b] != 2 {
		t.Fatalf("after clearing %s: rows per scope %v, want none of it and 2 of %s", a, got, b)
	}
	if shadowFilenode(t, ctx, pool) != before {
		t.Fatal("the shadow was truncated while another scope had rows in it")
	}

	// A rebuild of another scope in the middle of a write: the clear does
	// not wait for its lock, it deletes.
	busy, err := pool.Begin(ctx)
	must(t, err)
	defer func() { _ = busy.Rollback(ctx) }()
	_, err = busy.Exec(ctx, `LOCK TABLE users_shadow IN ROW EXCLUSIVE MODE`)
	must(t, err)
	done := make(chan struct{})
	go func() {
		defer close(done)
		clearShadow(t, ctx, pool, b)
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("the clear waited for a writer's lock on the shadow")
	}
	must(t, busy.Rollback(ctx))
	if got := shadowCounts(t, ctx, pool); len(got) != 0 {
		t.Fatalf("after clearing %s: rows per scope %v, want none", b, got)
	}
	if shadowFilenode(t, ctx, pool) != before {
		t.Fatal("the shadow was truncated while a writer held it")
	}

	// Alone in the shadow: truncated.
	insertShadowRows(t, ctx, pool, a, 2)
	clearShadow(t, ctx, pool, a)
	if got := shadowCounts(t, ctx, pool); len(got) != 0 {
		t.Fatalf("after clearing %s alone: rows per scope %v, want none", a, got)
	}
	if shadowFilenode(t, ctx, pool) == before {
		t.Fatal("the shadow holding one scope's rows only was cleared by DELETE, not truncated")
	}
}

func clearShadow(t *testing.T, ctx context.Context, pool *pgxpool.Pool, scope string) {
	t.Helper()
	err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error { return NewUsersRebuild().Clear(ctx, tx, scope) })
	if err != nil {
		t.Errorf("clear %s: %v", scope, err)
	}
}

func insertShadowRows(t *testing.T, ctx context.Context, pool *pgxpool.Pool, scope string, n int) {
	t.Helper()
	_, err := pool.Exec(ctx, `INSERT INTO users_shadow (scope, id, tenant_id, email, given_name, family_name, display_name,
		department, title, locale, time_zone, status, version, created_at, updated_at)
		SELECT $1::uuid, gen_random_uuid(), $1::uuid, 'u' || i || '@example.com', 'G', 'F', '', '', '', '', '', 'active', 1, now(), now()
		FROM generate_series(1, $2::int) i`, scope, n)
	must(t, err)
}

func shadowCounts(t *testing.T, ctx context.Context, pool *pgxpool.Pool) map[string]int {
	t.Helper()
	rows, err := pool.Query(ctx, `SELECT scope::text, count(*)::int FROM users_shadow GROUP BY scope`)
	must(t, err)
	got := map[string]int{}
	var (
		scope string
		n     int
	)
	_, err = pgx.ForEachRow(rows, []any{&scope, &n}, func() error { got[scope] = n; return nil })
	must(t, err)
	return got
}

func shadowFilenode(t *testing.T, ctx context.Context, pool *pgxpool.Pool) uint32 {
	t.Helper()
	var node uint32
	must(t, pool.QueryRow(ctx, `SELECT pg_relation_filenode('users_shadow')::bigint`).Scan(&node))
	return node
}
