package relay

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/userservice/userservice/adapters/postgres/pgtest"
)

// TestEveryRoundTripReadsThePrimaryKeyEvenAsAGenericPlan: each shard runs
// its read statements thousands of times on one connection, as prepared
// statements, so PostgreSQL switches them to a generic plan (no parameter
// values known) after five runs. That plan must still find the rows after
// the position through the primary key: a sequential scan reads every
// relayed row the retention keeps, on every round trip (the held-back check
// did, and the relay's latency went to hundreds of milliseconds). Cleanup's
// check of whether anything is due reads the key's first row, not the
// table.
func TestEveryRoundTripReadsThePrimaryKeyEvenAsAGenericPlan(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	tx, err := pgtest.Pool(t).Begin(ctx)
	must(t, err)
	defer func() { _ = tx.Rollback(ctx) }()

	// A private table shaped like a shard's (same columns and primary
	// key), holding 20,000 relayed rows, analysed as autovacuum would.
	const table, offsets = "relay_plan_probe", "relay_plan_probe_offsets"
	for _, q := range []string{
		`CREATE TEMP TABLE ` + table + ` (LIKE watermill_user_events_0 INCLUDING INDEXES) ON COMMIT DROP`,
		`CREATE TEMP TABLE ` + offsets + ` (LIKE watermill_offsets_user_events_0 INCLUDING INDEXES) ON COMMIT DROP`,
		`INSERT INTO ` + offsets + ` (consumer_group, offset_acked, last_processed_transaction_id) VALUES ('a', 15000, '2500'), ('b', 20000, '3000')`,
		`INSERT INTO ` + table + ` (transaction_id, "offset", uuid, created_at, payload, metadata)
			SELECT (1000 + g / 10)::text::xid8, g, gen_random_uuid()::text, now(),
				json_build_object('data', repeat('x', 400)), '{}' FROM generate_series(1, 20000) g`,
		`ANALYZE ` + table,
		`SET LOCAL plan_cache_mode = force_generic_plan`,
	} {
		_, err := tx.Exec(ctx, q)
		must(t, err)
	}
	positions := []string{"'1000', 0", "'1500', 5000", "'3000', 20000"} // start, middle, past the end
	for _, c := range []struct {
		name, sql string
		args      []string
	}{
		{"batch read", batchSQL(table, 500), positions},
		{"held-back test", heldBackSQL(table), positions},
		{"cleanup's check", cleanupDueSQL(table, offsets), []string{"3600", "0"}}, // nothing due, everything due
	} {
		// PREPARE through the simple protocol: its body keeps $1 and $2
		// as the prepared statement's own parameters.
		if _, err := tx.Conn().PgConn().Exec(ctx, `PREPARE probe AS `+c.sql).ReadAll(); err != nil {
			t.Fatalf("%s: prepare: %v", c.name, err)
		}
		for _, args := range c.args {
			plan := explain(ctx, t, tx, args)
			if strings.Contains(plan, "Seq Scan on "+table+" ") {
				t.Errorf("%s (%s): the generic plan reads the whole table:\n%s", c.name, args, plan)
			}
		}
		_, err := tx.Exec(ctx, `DEALLOCATE probe`)
		must(t, err)
	}
}

// explain is the plan of the prepared statement probe run with args (its
// parameters, as SQL literals: EXPLAIN takes no parameters of its own).
func explain(ctx context.Context, t *testing.T, tx pgx.Tx, args string) string {
	t.Helper()
	rows, err := tx.Query(ctx, `EXPLAIN EXECUTE probe(`+args+`)`)
	must(t, err)
	lines, err := pgx.CollectRows(rows, pgx.RowTo[string])
	must(t, err)
	return strings.Join(lines, "\n")
}
