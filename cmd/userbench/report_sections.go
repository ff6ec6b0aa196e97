package main

import (
	"fmt"
	"strings"
	"time"
)

func (r report) commandSection(w *mdWriter) {
	w.line("### 1. Command path: HTTP create-user vs pgbench of the same transaction")
	w.line("")
	c := r.Cmd
	if c == nil {
		w.line("Not run (see -sections).\n")
		return
	}
	w.line("userservice: `POST /v1/users` against the api role over keep-alive connections, one per client, closed loop. " +
		"pgbench: the same statements in the same round trips (BEGIN; pipeline of the idempotency lookup and stream read; " +
		"pipeline of command row, event row, read-model insert and seat update; outbox insert into the user's shard; COMMIT) " +
		"with the bytes the service wrote in this run, fresh ids per transaction, tenants of its own. " +
		"The service also authenticates each request (a token lookup, cached for AUTH_TOKEN_CACHE_TTL) before its transaction. " +
		"The service's own shape is cheaper than that script (issue 16): no read for a user id it has just generated, " +
		"BEGIN and COMMIT in its write's pipeline (one round trip per create), and, with group commit on (the default), " +
		"concurrent commands in one transaction with a savepoint each, one seat update per tenant and one COMMIT; " +
		"the reference row \"group commit off\" runs the largest shared-tenant level with COMMAND_GROUP_MAX=1.")
	w.line("")
	for _, v := range []commandVariant{c.Shared, c.PerClient, c.NoNotify} {
		if len(v.Levels) == 0 {
			if v.Name == c.NoNotify.Name && c.NoNotifyWhy != "" {
				w.line("**%s**: %s.", capitalize(v.Name), c.NoNotifyWhy)
				w.line("")
			}
			continue
		}
		w.line("**%s**", capitalize(v.Name))
		w.line("")
		w.row("clients", "userservice cmd/s", "p50 ms", "p99 ms", "errors", "service CPU ms/cmd", "pgbench tx/s", "p50 ms", "p99 ms", "failed", "ratio")
		w.row("---:", "---:", "---:", "---:", "---:", "---:", "---:", "---:", "---:", "---:", "---:")
		for _, l := range v.Levels {
			h, p := l.HTTP, l.PG
			pgFailed := fmt.Sprint(p.Failed)
			if l.PGError != "" || p.Err != "" {
				pgFailed = "error"
			}
			clients := fmt.Sprint(h.Clients)
			if h.Clients == 1 && v.Name != c.Shared.Name {
				clients = "1 (the run above)"
			}
			w.row(clients, rate(h.PerSecond()), ms(h.Lat.P50), ms(h.Lat.P99), fmt.Sprint(h.Failed), ms(l.CPUPerCommand()),
				rate(p.TPS), ms(p.Lat.P50), ms(p.Lat.P99), pgFailed, "**"+ratio(h.PerSecond(), p.TPS)+"**")
		}
		if d := c.NoGroup; d != nil && v.Name == c.Shared.Name {
			w.row(fmt.Sprintf("%d, group commit off (COMMAND_GROUP_MAX=1)", d.Clients), rate(d.PerSecond()), ms(d.Lat.P50), ms(d.Lat.P99), fmt.Sprint(d.Failed),
				"", "", "", "", "", "(reference)")
		}
		if d := c.DefaultPool; d != nil && v.Name == c.PerClient.Name {
			w.row(fmt.Sprintf("%d, pgx default pool", d.Clients), rate(d.PerSecond()), ms(d.Lat.P50), ms(d.Lat.P99), fmt.Sprint(d.Failed),
				"", "", "", "", "", "(reference)")
		}
		w.line("")
		for _, l := range v.Levels {
			for _, e := range []string{l.HTTP.FirstErr, l.PGError, l.PG.Err} {
				if e != "" {
					w.line("- %d clients, first error: `%s`", l.HTTP.Clients, oneLine(e))
				}
			}
		}
	}
	if c.Err != nil {
		w.line("- section failed: `%s`", oneLine(c.Err.Error()))
	}
	w.line("")
}

func (r report) changeSection(w *mdWriter) {
	w.line("### 2. Change detection: no-op PATCH vs real PATCH")
	w.line("")
	c := r.Change
	if c == nil {
		w.line("Not run (see -sections).\n")
		return
	}
	if c.Err != nil {
		w.line("Section failed: `%s`\n", oneLine(c.Err.Error()))
		return
	}
	w.line("`PATCH /v1/users/{id}` (merge patch of the department) at %d clients for %s, each client round robin over "+
		"its own %d users (%d in all, so no version conflicts). A real patch sets a new value (one event); a no-op patch "+
		"sets the value the user already has (no event, nothing written).", c.Real.Clients, r.Set.ChangeDuration, c.Users/max(1, c.Real.Clients), c.Users)
	w.line("")
	w.row("patch", "updates/s", "p50 ms", "p99 ms", "errors")
	w.row("---", "---:", "---:", "---:", "---:")
	w.row("real (changes the user)", rate(c.Real.PerSecond()), ms(c.Real.Lat.P50), ms(c.Real.Lat.P99), fmt.Sprint(c.Real.Failed))
	w.row("no-op (changes nothing)", rate(c.NoOp.PerSecond()), ms(c.NoOp.Lat.P50), ms(c.NoOp.Lat.P99), fmt.Sprint(c.NoOp.Failed))
	w.line("")
	w.line("No-op ÷ real: **%s×** the rate. Answers with the wrong `X-Changed`: %d.", ratio(c.NoOp.PerSecond(), c.Real.PerSecond()), c.WrongAnswer)
	for _, e := range []string{c.Real.FirstErr, c.NoOp.FirstErr} {
		if e != "" {
			w.line("- first error: `%s`", oneLine(e))
		}
	}
	w.line("")
}

func (r report) relaySection(w *mdWriter) {
	w.line("### 4. Relay: outbox → Kafka")
	w.line("")
	rl := r.Relay
	if rl == nil {
		w.line("Not run (see -sections).\n")
		return
	}
	if rl.LatencyOnly {
		how := "given by -latency-rate"
		if rl.Drain.Received > 0 {
			how = fmt.Sprintf("half the drain rate of the real relay role over a %d-event backlog, %s events/s", rl.Backlog, rate(rl.Drain.PerSecond()))
		}
		w.line("Commit-to-consume latency alone (-sections latency): the load window asked %s events/s, %s.", rate(rl.Load.TargetRate), how)
		w.line("")
		r.relayLatency(w)
		return
	}
	w.line("A backlog of %d events (the envelope and metadata of an event the service wrote, fresh ids) written to the "+
		"outbox through the unit of work's watermill-sql publisher (500 rows per transaction, %s rows/s) for a fresh "+
		"consumer group positioned at the end; then the real `userservice --roles relay` (defaults: 4 shards, batch 500, "+
		"poll 200 ms + NOTIFY, franz-go idempotent producer, each batch in flight at once) drains it into a fresh topic. "+
		"The stock relay (per shard a watermill-sql subscriber, stock schema and offsets adapter, batch %d, poll %s, "+
		"a Watermill router handler forwarding to the synchronous watermill-kafka publisher) then drains the same rows "+
		"for a second group positioned with the first, in the userbench process. "+
		"The raw producers send the same records (key, payload, headers) to fresh topics with the service's former "+
		"sarama producer settings. Every rate is first to last record acknowledged by the broker (raw: acknowledgements; relays: "+
		"topic high-water marks polled every 50 ms, so no consumer loads the broker during the drain).",
		rl.Backlog, rate(rl.FillRate), stockBatch, stockPoll)
	w.line("")
	w.row("sender", "events", "events/s", "relay ÷ this")
	w.row("---", "---:", "---:", "---:")
	d := rl.Drain
	w.row("**relay role** (real process; first record acknowledged "+d.StartToFirst.Round(10e6).String()+
		" after process start, the last "+d.StartToLast.Round(10e6).String()+")", fmt.Sprint(d.Received), rate(d.PerSecond()), "")
	stock := "stock watermill-sql → watermill-kafka relay (in-process)"
	if rl.StockErr != nil {
		stock += " — error: `" + oneLine(rl.StockErr.Error()) + "`"
	}
	w.row(stock, fmt.Sprint(rl.Stock.Received), rate(rl.Stock.PerSecond()), ratio(d.PerSecond(), rl.Stock.PerSecond()))
	for _, p := range rl.Raw {
		name := p.Name
		if p.Err != nil {
			name += " — error: `" + oneLine(p.Err.Error()) + "`"
		}
		w.row(name, fmt.Sprint(p.N), rate(p.PerSecond()), ratio(d.PerSecond(), p.PerSecond()))
	}
	w.line("")
	if len(rl.CatchUp) > 0 {
		r.catchUpTable(w, rl.CatchUp)
	}
	r.relayLatency(w)
}

// relayLatency is section 4's commit-to-consume table.
func (r report) relayLatency(w *mdWriter) {
	rl := r.Relay
	w.line("Commit-to-consume latency: from the HTTP 201 of a create-user command to the arrival of its event at a Kafka "+
		"consumer, with `--roles api,relay` in one process (DATABASE_MAX_CONNS=%d). Probes go round robin to %d tenants; "+
		"under load, events written straight to the outbox make up the rest of the rate asked (half the relay's drain rate "+
		"above, unless -latency-rate gives it): every 10 ms what the schedule owes by the clock, in transactions of up to "+
		"%d rows (what 10 ms owes at the rate asked) on %d connections, each followed in its commit's round trip by the "+
		"wake-up (NOTIFY) of the shards it wrote, as the service's writers send; the top-up column is the rate they reached in the window, which on a busy machine can "+
		"fall short of the rate asked. The load window follows a warm-up under the same load (the process was just "+
		"started), reported on its own row. When the rate asked is above %d events/s, a reference window follows at that "+
		"rate, issue 15's own load (half the drain rate the relay had when the issue was filed): the relay's latency at a "+
		"load the machine carries with room to spare, beside the target's window%s. Each next window starts once the "+
		"relay has relayed the one before's backlog (%s after the load window%s).",
		r.Set.MaxConns, probeTenants, topUpRows(max(0, rl.Load.TargetRate-rl.Load.ProbeRate)), topUpWriters, referenceLatencyRate,
		targetReach(rl.Load), rl.Load.DrainWait.Round(time.Millisecond), referenceDrain(rl.Reference))
	w.line("")
	w.row("condition", "events/s asked", "HTTP probes/s", "outbox top-up/s", "samples", "p50 ms", "p99 ms", "max ms", "missing", "probes failed / not sent")
	w.row("---", "---:", "---:", "---:", "---:", "---:", "---:", "---:", "---:", "---:")
	runs := []latencyRun{rl.Load, rl.Reference, rl.Idle}
	if rl.Load.Warm != nil {
		runs = append([]latencyRun{*rl.Load.Warm}, runs...)
	}
	for _, l := range runs {
		if l.Label == "" {
			continue
		}
		top := rate(l.TopUpRate)
		if l.TopUpRowsPerWrite > 0 {
			top += fmt.Sprintf(" (%.0f rows/tx)", l.TopUpRowsPerWrite)
		}
		w.row(l.Label, rate(l.TargetRate), rate(l.ProbeRate), top, fmt.Sprint(l.Lat.N), ms(l.Lat.P50), ms(l.Lat.P99),
			ms(l.Lat.Max), fmt.Sprint(l.Missing), fmt.Sprintf("%d / %d", l.Failed, l.Dropped))
	}
	w.line("")
	w.line("Where the time goes (the latency topic has broker append timestamps, LogAppendTime, to the millisecond), in " +
		"three stages: **held**, from the 201 until the row was readable (the relay reads a row only once every transaction " +
		"with a smaller id has ended, so a probe's row waits for the last-ending top-up transaction older than its own: " +
		"the top-up's transaction ids and commit times against the probe's outbox transaction id; other probes' " +
		"transactions are not counted); **relay**, from then to the broker's append (the relay's wake-up, its read and " +
		"the produce round trip); **consumer**, from the append to the consumer (its fetch). Each at the median and p99 " +
		"of all samples, and the medians of each stage over the samples at or above the p99: the stage that owns the tail.")
	w.line("")
	w.row("condition", "held p50 / p99 ms", "relay p50 / p99 ms", "consumer p50 / p99 ms", "tail samples", "tail: held / relay / consumer, ms")
	w.row("---", "---:", "---:", "---:", "---:", "---:")
	for _, l := range runs {
		if l.Label == "" || l.Stages.TailN == 0 {
			continue
		}
		st := l.Stages
		w.row(l.Label, ms(st.Held.P50)+" / "+ms(st.Held.P99), ms(st.Relay.P50)+" / "+ms(st.Relay.P99),
			ms(st.FromBroker.P50)+" / "+ms(st.FromBroker.P99), fmt.Sprint(st.TailN),
			ms(st.TailHeld)+" / "+ms(st.TailRelay)+" / "+ms(st.TailFromBroker))
	}
	r.relayHistogramTable(w, runs)
	if rl.Err != nil {
		w.line("")
		w.line("- section failed: `%s`", oneLine(rl.Err.Error()))
	}
	w.line("")
}

// relayHistogramTable is the relay's own view of each window: its stage
// histograms (adapters/relay metrics.go) scraped before and after it.
func (r report) relayHistogramTable(w *mdWriter, runs []latencyRun) {
	w.line("")
	w.line("The relay's own view of each window: its histograms (`userservice_relay_read_seconds`, `_publish_seconds`, " +
		"`_held_seconds`) scraped from the service's /metrics before and after it; a percentile is the upper bound of " +
		"the bucket that holds it. A read is one round trip (the batch, the held-back check, the parked keys, the previous " +
		"acknowledgement); a publish lasts until Kafka acknowledged every message of the batch; a held wait runs from the " +
		"first read that found a shard's next rows behind an older open transaction to the read that returned them.")
	w.line("")
	w.row("condition", "reads", "publishes", "held waits")
	w.row("---", "---", "---", "---")
	for _, l := range runs {
		if l.Label == "" || l.Relay.Read.count <= 0 {
			continue
		}
		w.row(l.Label, l.Relay.Read.String(), l.Relay.Publish.String(), l.Relay.Held.String())
	}
}

// targetReach says whether the target's window ran at the rate asked.
func targetReach(load latencyRun) string {
	got := load.ProbeRate + load.TopUpRate
	if load.TargetRate <= 0 || got >= 0.9*load.TargetRate {
		return ""
	}
	return fmt.Sprintf(", whose writers reached %s of the %s events/s asked here (%.0f %%): a machine they saturate, "+
		"not a relay at half its capacity", rate(got), rate(load.TargetRate), 100*got/load.TargetRate)
}

// referenceDrain is the reference window's drain wait for relayLatency's
// text ("" when it did not run).
func referenceDrain(ref latencyRun) string {
	if ref.Label == "" {
		return ""
	}
	return fmt.Sprintf(", %s after the reference window", ref.DrainWait.Round(time.Millisecond))
}

func oneLine(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 300 {
		s = s[:300] + "…"
	}
	return strings.ReplaceAll(s, "`", "'")
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

func (r report) replaySection(w *mdWriter) {
	rp := r.Replay
	if rp == nil {
		return
	}
	w.line("### 5. Replay: rebuilding the users read model vs a raw sequential read")
	w.line("")
	if rp.Err != nil {
		w.line("Section failed: `%s`\n", oneLine(rp.Err.Error()))
		return
	}
	w.line("%d events of one tenant (%d per user: the registration and profile changes, with the data of events the "+
		"service wrote, generated by INSERT ... SELECT in %s), then the real `usersctl replay --projection users "+
		"--tenant T` (its default batch) twice, each timed from process start to exit: first with none of the generated "+
		"users in the live read model (the swap inserts them all), then with the model up to date, as when a projection "+
		"is rebuilt in production; the ratio uses the second. Right before each replay: %s a raw read of the same events "+
		"in stream order (the rebuild's order and columns, rows not decoded); the ratio compares the second replay with "+
		"the read right before it, on the same cache.", rp.Events, eventsPerUser, rp.Generate.Round(time.Millisecond),
		checkpointNote(rp.Checkpointed))
	w.line("")
	w.row("reader", "events", "seconds", "events/s", "replay ÷ this")
	w.row("---", "---:", "---:", "---:", "---:")
	rawReadRows(w, rp)
	w.row("usersctl replay, first (live model empty for the tenant)", fmt.Sprint(rp.Events), fmt.Sprintf("%.1f", rp.First.Seconds()),
		rate(perSecond(rp.Events, rp.First)), "")
	w.row("**usersctl replay**, model up to date (process start to exit)", fmt.Sprint(rp.Events), fmt.Sprintf("%.1f", rp.Replay.Seconds()), rate(rp.ReplayPerSecond()), "")
	if rp.BulkPerSec > 0 {
		w.row("usersctl replay, bulk phase only (its own report)", "", "", rate(rp.BulkPerSec), "")
	}
	rawAsync, rawSync := 0.0, 0.0
	if r.Relay != nil {
		for _, p := range r.Relay.Raw {
			switch {
			case strings.HasPrefix(p.Name, "raw AsyncProducer"):
				rawAsync = p.PerSecond()
			case strings.HasPrefix(p.Name, "raw SyncProducer, 1 goroutine"):
				rawSync = p.PerSecond()
			}
		}
	}
	of := "the raw producers of section 4 (same record shape, same run)"
	if r.Relay == nil && rp.RawAsync != nil && rp.RawAsync.Err == nil {
		rawAsync, of = rp.RawAsync.PerSecond(), fmt.Sprintf("this section's own raw producer (%d records shaped like the service's; section 4 did not run)", rp.RawAsync.N)
	}
	name := "**usersctl republish** --from 1 --tenant T (process start to exit)"
	if rp.RepublishErr != nil {
		name += " — error: `" + oneLine(rp.RepublishErr.Error()) + "`"
	}
	w.row(name, fmt.Sprint(rp.Events), fmt.Sprintf("%.1f", rp.Republish.Seconds()), rate(rp.RepublishPerSecond()), "")
	w.line("")
	w.line("Republish ÷ %s: ÷ batched AsyncProducer %s, "+
		"÷ one SyncProducer %s.", of, ratio(rp.RepublishPerSecond(), rawAsync), ratio(rp.RepublishPerSecond(), rawSync))
	w.line("")
	w.line("usersctl said (first, then second run, then republish):\n\n```text\n%s\n%s\n%s\n```\n", rp.FirstOutput, rp.ReplayOutput, rp.RepublishOutput)
}

// rawReadRows writes section 5's raw reads: the one before each replay.
func rawReadRows(w *mdWriter, rp *replayResult) {
	if rp.RawReadFirst > 0 {
		w.row("raw sequential read before the first replay", fmt.Sprint(rp.Events), fmt.Sprintf("%.1f", rp.RawReadFirst.Seconds()),
			rate(perSecond(rp.Events, rp.RawReadFirst)), ratio(rp.ReplayPerSecond(), perSecond(rp.Events, rp.RawReadFirst)))
	}
	w.row("**raw sequential read** (pgx, stream order), right before the second replay", fmt.Sprint(rp.Events),
		fmt.Sprintf("%.1f", rp.RawRead.Seconds()), rate(rp.RawPerSecond()), ratio(rp.ReplayPerSecond(), rp.RawPerSecond()))
}

// checkpointNote says what preceded each of section 5's raw reads.
func checkpointNote(done bool) string {
	if done {
		return "a CHECKPOINT (no step writes out the pages the one before dirtied: the first replay's swap writes every user), then"
	}
	return "(no CHECKPOINT: the role lacks pg_checkpoint, so a step may write out pages the one before dirtied)"
}
