package postgres

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/userservice/userservice/adapters/postgres/pgtest"
	"github.com/userservice/userservice/app/command"
)

// TestImportRefreshesStatisticsAsTheJobGrows: once a job's applied rows
// pass the first mark, the chunk that passed it analyzes the tables the
// import's lookups select on (a manual ANALYZE, not autovacuum's).
func TestImportRefreshesStatisticsAsTheJobGrows(t *testing.T) {
	t.Parallel()
	f := newChunkFixture(t, importStatsFirst+1000)
	analyzed := func() int {
		var n int
		must(t, f.pool.QueryRow(f.ctx, `SELECT coalesce(sum(analyze_count), 0) FROM pg_stat_user_tables
			WHERE relname IN ('users', 'commands', 'import_rows')`).Scan(&n))
		return n
	}
	before := analyzed()
	const chunk = 250
	for start := 2; start < 2+importStatsFirst; start += chunk {
		rows := make([]command.ImportUserRow, 0, chunk)
		for n := start; n < start+chunk; n++ {
			rows = append(rows, f.row(n, "email", fmt.Sprintf("stats-%d-%s@example.com", n, f.job[:8]), "given_name", "A", "family_name", "B"))
		}
		f.apply(rows...)
	}
	deadline := time.Now().Add(5 * time.Second) // statistics reach the views at the backend's next flush
	for analyzed() < before+3 {
		if time.Now().After(deadline) {
			t.Fatalf("after %d rows, analyze_count of users, commands and import_rows went from %d to %d; want +3",
				importStatsFirst, before, analyzed())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestFirstImportIntoAFreshDatabaseProbesTheKeyIndexes: in a database whose
// users table was never analyzed, the import's generic plan of the chunk's
// user lookup takes any (tenant_id, ...) index, the tenant alone as its
// condition, and filters the key: every lookup reads all of the tenant's
// users, and the import slows as it grows (the full bench's 100,000-row
// import spent its first 3.5 s on 4,500 rows, lookups of 0.2 to 1.3 s).
// After the job's first importStatsFirst rows the plan probes the unique
// key indexes with both columns.
func TestFirstImportIntoAFreshDatabaseProbesTheKeyIndexes(t *testing.T) {
	f := newChunkFixtureOn(t, pgtest.FreshPool(t, "fresh_stats"), importStatsFirst+1000)
	indexes := func() []string {
		var out []string
		err := pgx.BeginFunc(f.ctx, f.pool, func(tx pgx.Tx) error {
			if _, err := tx.Exec(f.ctx, `SET LOCAL plan_cache_mode = force_generic_plan`); err != nil {
				return err
			}
			if _, err := tx.Exec(f.ctx, `PREPARE lookup (uuid, text[], text[]) AS `+chunkUsersSQL); err != nil {
				return err
			}
			defer tx.Exec(f.ctx, `DEALLOCATE lookup`) //nolint:errcheck // the transaction ends anyway
			var plan []byte
			if err := tx.QueryRow(f.ctx, `EXPLAIN (FORMAT JSON) EXECUTE lookup ('`+f.tenant+`', '{a}', '{b}')`).Scan(&plan); err != nil {
				return err
			}
			out = indexScans(t, plan)
			return nil
		})
		must(t, err)
		return out
	}
	t.Logf("never analyzed: %v", indexes())
	const chunk = 250
	for start := 2; start < 2+importStatsFirst; start += chunk {
		rows := make([]command.ImportUserRow, 0, chunk)
		for n := start; n < start+chunk; n++ {
			rows = append(rows, f.row(n, "external_id", fmt.Sprintf("fresh-%d", n), "email", fmt.Sprintf("fresh-%d@example.com", n),
				"given_name", "A", "family_name", "B"))
		}
		f.apply(rows...)
	}
	got := indexes()
	want := []string{"users_tenant_external_id_key: ((tenant_id = $1) AND (external_id = (unnest($2))))",
		"users_tenant_email_key: ((tenant_id = $1) AND (email = (unnest($3))))"}
	if strings.Join(got, "; ") != strings.Join(want, "; ") {
		t.Fatalf("after the job's first %d rows, the lookup's index scans are %q; want %q", importStatsFirst, got, want)
	}
}

// indexScans lists the index scans of an EXPLAIN (FORMAT JSON) plan, each
// as "index: condition", in plan order.
func indexScans(t *testing.T, plan []byte) []string {
	t.Helper()
	type node struct {
		Type  string `json:"Node Type"`
		Index string `json:"Index Name"`
		Cond  string `json:"Index Cond"`
		Plans []node `json:"Plans"`
	}
	var doc []struct {
		Plan node `json:"Plan"`
	}
	if err := json.Unmarshal(plan, &doc); err != nil || len(doc) != 1 {
		t.Fatalf("EXPLAIN output %s: %v", plan, err)
	}
	var out []string
	var walk func(n node)
	walk = func(n node) {
		if n.Index != "" {
			out = append(out, n.Index+": "+n.Cond)
		}
		for _, c := range n.Plans {
			walk(c)
		}
	}
	walk(doc[0].Plan)
	return out
}
