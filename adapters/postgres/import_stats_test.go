package postgres

import (
	"fmt"
	"testing"
	"time"

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
