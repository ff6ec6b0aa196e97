package postgres

import (
	"context"
	"sync"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// importStats keeps the planner's statistics of the tables an import grows
// close to their size, as PostgreSQL's "Populating a Database" advises
// after a bulk load. An import transaction runs generic plans (see
// importTxSettingsSQL), which estimate a tenant at the table's average
// tenant; they are made from the statistics of the moment and kept until
// the next ANALYZE of the table. Autoanalyze runs at most once a minute,
// after a tenth of a table changed: the first import into a fresh database
// ran for a minute on plans made for empty tables (100,000 new users at
// 0.09 of CopyFrom).
//
// Each job is analyzed when its applied rows pass 1,000, then 4× as many
// (4,000, 16,000, 64,000, ...): six ANALYZEs of one column per table for a
// million rows (users' in full, the others sampled), from a few to a few
// hundred milliseconds each, one at a time per process, after the chunk's
// commit. The first mark is low because of a fresh database: its users
// table, never analyzed, is planned as ten pages, and the generic plan of
// the chunk's user lookup took whichever (tenant_id, ...) index came first,
// with the tenant alone as its condition, reading all of the tenant's
// users for every key (TestFirstImportIntoAFreshDatabaseProbesTheKeyIndexes).
// With the first mark at 5,000 the full bench's 100,000-row import spent
// its first 3.5 s on 4,500 rows, its lookups growing from 0.2 to 1.3 s a
// chunk; a file of fewer rows than the mark pays no ANALYZE.
type importStats struct {
	pool   *pgxpool.Pool
	logger watermill.LoggerAdapter

	mu        sync.Mutex
	jobs      map[string]*jobGrowth
	analyzing bool
}

type jobGrowth struct{ applied, next int }

const (
	importStatsFirst  = 1000
	importStatsFactor = 4
	// importStatsJobs bounds the jobs remembered; past it they are all
	// forgotten (a forgotten job starts counting again).
	importStatsJobs = 1024
)

// analyzeImportUsersSQL and analyzeImportTablesSQL refresh the columns the
// import's lookups select on, and with them each table's row count.
const (
	analyzeImportUsersSQL  = `ANALYZE users (tenant_id)`
	analyzeImportTablesSQL = `ANALYZE commands (tenant_id), import_rows (job_id)`
)

// sampledStatisticsSQL makes an ANALYZE sample 3,000 rows instead of
// 30,000 (300 × the target): a tenth of the time (the three import tables
// at 500,000 users took 69 against 721 ms; the staging table 17 against
// 177). The tables probed by unique key and the staging table, whose
// checks need its size and the keys' distinct counts, are sampled; users,
// whose tenant estimate every lookup's plan starts from, is not (one run
// with it sampled saw its lookups take 13 to 17 ms a chunk against 6, on a
// machine too noisy to tell the plans from the neighbours: kept out until
// measured alone). Autoanalyze later refreshes all at their own targets.
const sampledStatisticsSQL = `SET LOCAL default_statistics_target = 10`

// analyzeSampled runs analyze (an ANALYZE of columns with no target of
// their own) on tx with sampledStatisticsSQL.
func analyzeSampled(ctx context.Context, tx pgx.Tx, analyze string) error {
	b := &pgx.Batch{}
	b.Queue(sampledStatisticsSQL)
	b.Queue(analyze)
	return tx.SendBatch(ctx, b).Close()
}

// applied records that a chunk of n rows of job committed, and analyzes
// when the job has grown past its next mark. A failure is logged, never
// returned: statistics are a courtesy to the planner.
func (s *importStats) applied(ctx context.Context, job string, n int) {
	if s == nil || n <= 0 {
		return
	}
	s.mu.Lock()
	g := s.jobs[job]
	if g == nil {
		if len(s.jobs) >= importStatsJobs {
			s.jobs = map[string]*jobGrowth{}
		}
		g = &jobGrowth{next: importStatsFirst}
		s.jobs[job] = g
	}
	g.applied += n
	due := g.applied >= g.next && !s.analyzing
	if due {
		g.next = g.applied * importStatsFactor
		s.analyzing = true
	}
	s.mu.Unlock()
	if !due {
		return
	}
	defer func() {
		s.mu.Lock()
		s.analyzing = false
		s.mu.Unlock()
	}()
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, analyzeImportUsersSQL); err != nil {
			return err
		}
		return analyzeSampled(ctx, tx, analyzeImportTablesSQL)
	})
	if err != nil {
		s.logger.Error("import: refreshing the tables' statistics failed", err, watermill.LogFields{"job_id": job})
	}
}
