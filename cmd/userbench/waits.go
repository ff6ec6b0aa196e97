package main

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

// waitsSQL classifies every busy client backend of the database: running on
// CPU, waiting on something (lock, WAL flush, I/O), or idle inside an open
// transaction, i.e. waiting for its client's next statement (round trips
// and the client's own work between them).
const waitsSQL = `
SELECT CASE WHEN state = 'idle in transaction' THEN 'Client:idle in transaction'
            WHEN wait_event IS NULL THEN 'CPU:running'
            ELSE wait_event_type || ':' || wait_event END, count(*)
FROM pg_stat_activity
WHERE datname = current_database() AND backend_type = 'client backend' AND pid <> pg_backend_pid()
  AND state IN ('active', 'idle in transaction')
  AND query NOT LIKE 'LISTEN%' AND query NOT LIKE '%pg_stat_activity%'
GROUP BY 1`

// waitProfile is what sampling pg_stat_activity saw: for each state, the
// average number of backends in it (busy backends per sample).
type waitProfile struct {
	Samples int
	counts  map[string]int
	// horizon is, per sample, the age of the oldest open transaction that
	// holds a transaction id, in any database of the cluster (ids and
	// snapshots are cluster-wide): the relay sees nothing committed after
	// it began until it ends (the outbox query reads below
	// pg_snapshot_xmin).
	horizon []time.Duration
}

// horizonSQL is the age of the oldest open transaction with an id, in any
// database.
const horizonSQL = `
SELECT coalesce(extract(epoch FROM max(clock_timestamp() - xact_start)), 0)::float8
FROM pg_stat_activity
WHERE backend_xid IS NOT NULL AND pid <> pg_backend_pid()`

// Horizon summarises the oldest-write-transaction ages seen.
func (p waitProfile) Horizon() latencies {
	return summarize(append([]time.Duration(nil), p.horizon...))
}

// sampleWaits samples pg_stat_activity of the benchmark database every
// interval until the returned stop is called. It is PostgreSQL's side of a
// profile: where a transaction's time goes on the server.
func sampleWaits(ctx context.Context, pool *pgxpool.Pool, every time.Duration) (stop func() waitProfile) {
	ctx, cancel := context.WithCancel(ctx)
	p := waitProfile{counts: map[string]int{}}
	var wg sync.WaitGroup
	wg.Go(func() {
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
			rows, err := pool.Query(ctx, waitsSQL)
			if err != nil {
				continue
			}
			for rows.Next() {
				var (
					state string
					n     int
				)
				if rows.Scan(&state, &n) == nil {
					p.counts[state] += n
				}
			}
			rows.Close()
			p.Samples++
			var age float64
			if pool.QueryRow(ctx, horizonSQL).Scan(&age) == nil {
				p.horizon = append(p.horizon, time.Duration(age*float64(time.Second)))
			}
		}
	})
	return func() waitProfile {
		cancel()
		wg.Wait()
		return p
	}
}

// merge adds another window's samples.
func (p waitProfile) merge(o waitProfile) waitProfile {
	out := waitProfile{Samples: p.Samples + o.Samples, counts: map[string]int{}}
	for k, v := range p.counts {
		out.counts[k] += v
	}
	for k, v := range o.counts {
		out.counts[k] += v
	}
	out.horizon = append(append(out.horizon, p.horizon...), o.horizon...)
	return out
}

// Busy is the average number of busy backends.
func (p waitProfile) Busy() float64 {
	total := 0
	for _, n := range p.counts {
		total += n
	}
	return p.avg(total)
}

func (p waitProfile) avg(n int) float64 {
	if p.Samples == 0 {
		return 0
	}
	return float64(n) / float64(p.Samples)
}

// Top lists the n most frequent states as "state avg (share%)".
func (p waitProfile) Top(n int) string {
	type kv struct {
		k string
		v int
	}
	var all []kv
	total := 0
	for k, v := range p.counts {
		all = append(all, kv{k, v})
		total += v
	}
	if total == 0 {
		return "no busy backends sampled"
	}
	slices.SortFunc(all, func(a, b kv) int { return b.v - a.v })
	var parts []string
	for _, e := range all[:min(n, len(all))] {
		parts = append(parts, fmt.Sprintf("%s %.1f (%.0f%%)", e.k, p.avg(e.v), 100*float64(e.v)/float64(total)))
	}
	return strings.Join(parts, ", ")
}
