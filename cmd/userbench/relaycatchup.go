package main

import (
	"context"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/userservice/userservice/adapters/postgres"
)

// catchUpRun is the relay role draining a backlog of one size.
type catchUpRun struct {
	Backlog int
	Drain   relayDrain
	Err     error
}

// catchUp measures the relay role's drain rate from a small and a large
// backlog (the same kind of rows, a fresh group and topic each): the keyset
// read and the short transactions should keep it flat.
func (b *bench) catchUp(ctx context.Context, factory *eventFactory) []catchUpRun {
	var runs []catchUpRun
	for _, n := range b.set.CatchUpBacklogs {
		run := catchUpRun{Backlog: n}
		run.Drain, run.Err = b.drainBacklog(ctx, factory, n)
		if run.Err != nil {
			b.log("relay catch-up from %d: %v", n, run.Err)
		} else {
			b.log("relay catch-up from %d: %.0f events/s from the first acknowledgement (start-up %s)", n, run.Drain.PerSecond(),
				run.Drain.StartToFirst.Round(time.Millisecond))
		}
		runs = append(runs, run)
	}
	return runs
}

// drainBacklog fills the outbox with n events for a fresh group, in chunks
// (so a large backlog never sits in memory), then times the relay role
// draining it into a fresh topic.
func (b *bench) drainBacklog(ctx context.Context, factory *eventFactory, n int) (d relayDrain, err error) {
	group := uniqueName("userbench-catchup")
	if err := b.positionGroup(ctx, group); err != nil {
		return d, err
	}
	topic, err := b.newTopic("catchup")
	if err != nil {
		return d, err
	}
	const chunk = 20000
	for left := n; left > 0; left -= chunk {
		msgs, err := factory.events(min(chunk, left))
		if err != nil {
			return d, err
		}
		if err := b.fillOutbox(ctx, msgs, 500); err != nil {
			return d, err
		}
	}
	proc, err := b.startService(ctx, serviceEnv{Roles: "relay", Kafka: true, KafkaTopic: topic, RelayGroup: group, LogBaseName: "service-relay-catchup"})
	if err != nil {
		return d, err
	}
	defer func() { _ = proc.stop() }()
	// The larger backlogs also time their first records up to the smallest
	// backlog's size: the same window, and the same start of the process's
	// work, as the smallest drain, read while the whole backlog waits.
	window := b.set.CatchUpBacklogs[0]
	if window >= n {
		window = 0
	}
	seen, err := b.watchHighWaterMarks(ctx, topic, int64(n), int64(window), catchUpPoll, 15*time.Minute)
	d.Received = int(seen.total)
	if err != nil {
		return d, fmt.Errorf("relay catch-up: %w", err)
	}
	d.FirstToLast, d.StartToLast, d.StartToFirst = seen.last.Sub(seen.first), seen.last.Sub(proc.started), seen.first.Sub(proc.started)
	if window > 0 {
		d.Window, d.WindowTime = window, seen.window.Sub(seen.first)
	}
	b.writeCurve(fmt.Sprintf("relay-catchup-%d.csv", n), proc.started, seen)
	return d, nil
}

// writeCurve keeps a drain's high-water marks over time in the artifacts
// (milliseconds from process start, records on the topic, and the rate
// since the poll before), to see where its warm-up ends.
func (b *bench) writeCurve(name string, started time.Time, seen hwmSeen) {
	var sb strings.Builder
	sb.WriteString("ms_from_process_start,records,events_per_s_since_previous\n")
	for i, p := range seen.curve {
		r := 0.0
		if i > 0 {
			r = perSecond(p.total-seen.curve[i-1].total, p.at.Sub(seen.curve[i-1].at))
		}
		fmt.Fprintf(&sb, "%d,%d,%.0f\n", p.at.Sub(started).Milliseconds(), p.total, r)
	}
	if err := os.WriteFile(b.artifact(name), []byte(sb.String()), 0o644); err != nil {
		b.log("relay catch-up: %v", err)
	}
}

// catchUpPoll is how often the catch-up reads the topic's high-water
// marks: its smallest drain lasts a few tenths of a second, which a 50 ms
// poll at each end blurred by a third.
const catchUpPoll = 10 * time.Millisecond

// waitDrained waits until group has relayed every outbox row (or timeout)
// and returns how long that took: the idle window must not measure the
// hangover of the load window's backlog.
func (b *bench) waitDrained(ctx context.Context, group string, timeout time.Duration) (time.Duration, error) {
	start := time.Now()
	for {
		pending := 0
		for shard := range postgres.OutboxShards {
			t := postgres.OutboxTopic(shard)
			var n int
			if err := b.pool.QueryRow(ctx, `SELECT count(*) FROM (SELECT 1 FROM watermill_`+t+` o, watermill_offsets_`+t+` p
				WHERE p.consumer_group = $1 AND (o.transaction_id, o."offset") > (p.last_processed_transaction_id, p.offset_acked) LIMIT 1) x`,
				group).Scan(&n); err != nil {
				return time.Since(start), err
			}
			pending += n
		}
		if pending == 0 {
			return time.Since(start), nil
		}
		if time.Since(start) > timeout {
			return time.Since(start), fmt.Errorf("outbox not drained after %s", timeout)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
