package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"runtime"
	"time"
)

// relayResult is section 3.
type relayResult struct {
	Backlog  int
	FillRate float64 // rows/s written to the outbox
	Drain    relayDrain
	Stock    relayDrain // the stock watermill-sql → watermill-kafka relay on the same rows
	StockErr error
	CatchUp  []catchUpRun
	Raw      []producerRun
	Load     latencyRun
	// Reference is a window at referenceLatencyRate (when the target's
	// rate is above it).
	Reference latencyRun
	Idle      latencyRun
	// LatencyOnly: only the latency windows ran (-sections latency), after
	// a drain for the rate unless -latency-rate gave it.
	LatencyOnly bool
	Err         error
}

// relayDrain is the real relay process draining the backlog.
type relayDrain struct {
	Received    int // records on the topic (duplicates included)
	FirstToLast time.Duration
	StartToLast time.Duration // from process start, start-up included
	// StartToFirst is the start-up: process start to the first record
	// acknowledged.
	StartToFirst time.Duration
	// Window records, when set, were acknowledged WindowTime after the
	// first (the catch-up's same-size window of a larger backlog).
	Window     int
	WindowTime time.Duration
	Waits      waitProfile
	Profile    *cpuProfile
	Blocking   string // blocking profiles from an execution trace
	CPU        time.Duration
	Use        cpuUse
}

// PerSecond is the drain rate between the first and the last event
// acknowledged by the broker (high-water marks polled every 50 ms).
func (d relayDrain) PerSecond() float64 {
	if d.FirstToLast <= 0 {
		return 0
	}
	return float64(d.Received-1) / d.FirstToLast.Seconds()
}

// PerSecondFromStart is the rate from process start to the last record
// acknowledged: start-up included.
func (d relayDrain) PerSecondFromStart() float64 { return perSecond(int64(d.Received), d.StartToLast) }

// WindowPerSecond is the rate over the first Window records, first
// acknowledgement to the one that completed the window (0 when not
// measured).
func (d relayDrain) WindowPerSecond() float64 {
	if d.Window < 2 || d.WindowTime <= 0 {
		return 0
	}
	return float64(d.Window-1) / d.WindowTime.Seconds()
}

func uniqueName(prefix string) string {
	var b [4]byte
	_, _ = rand.Read(b[:])
	return prefix + "-" + hex.EncodeToString(b[:])
}

// relay measures the relay role draining a pre-filled outbox backlog into
// a fresh topic, the raw producers sending the same records, then
// commit-to-consume latency under load and when idle.
func (b *bench) relay(ctx context.Context) (res relayResult) {
	res.Backlog = b.set.Backlog
	t, err := b.newTenant(ctx, "userbench relay")
	if err != nil {
		res.Err = err
		return res
	}
	factory, err := b.newEventFactory(ctx, t)
	if err != nil {
		res.Err = err
		return res
	}
	msgs, err := factory.events(b.set.Backlog)
	if err != nil {
		res.Err = err
		return res
	}
	stockGroup := uniqueName("userbench-stock")
	if err := b.positionGroup(ctx, stockGroup); err != nil {
		res.Err = err
		return res
	}
	if res.Drain, res.FillRate, err = b.drain(ctx, msgs); err != nil {
		res.Err = err
		return res
	}
	res.Stock, res.StockErr = b.stockDrain(ctx, stockGroup, len(msgs))
	for _, run := range []func(topic string) producerRun{
		func(topic string) producerRun { return b.rawSync(topic, msgs, false) },
		func(topic string) producerRun { return b.rawSync(topic, msgs, true) },
		func(topic string) producerRun { return b.rawAsync(ctx, topic, msgs) },
	} {
		topic, err := b.newTopic("raw")
		if err != nil {
			res.Err = err
			return res
		}
		snap := b.snapshotCPU(0)
		r := run(topic)
		r.Use = b.snapshotCPU(0).since(snap, runtime.NumCPU())
		b.log("relay: %s: %.0f/s", r.Name, r.PerSecond())
		res.Raw = append(res.Raw, r)
	}
	res.Load, res.Reference, res.Idle, res.Err = b.relayLatency(ctx, factory, b.latencyRate(res.Drain))
	if res.Err == nil {
		res.CatchUp = b.catchUp(ctx, factory)
	}
	return res
}

// latencyRate is the rate the latency window under load asks for:
// -latency-rate, else half the drain rate d.
func (b *bench) latencyRate(d relayDrain) float64 {
	if b.opts.latencyRate > 0 {
		return b.opts.latencyRate
	}
	return d.PerSecond() / 2
}

// relayLatencyOnly is section 4's commit-to-consume latency alone
// (-sections latency): after a drain of the backlog to measure the rate,
// unless -latency-rate gives it.
func (b *bench) relayLatencyOnly(ctx context.Context) (res relayResult) {
	res.LatencyOnly = true
	t, err := b.newTenant(ctx, "userbench relay")
	if err == nil {
		var factory *eventFactory
		if factory, err = b.newEventFactory(ctx, t); err == nil && b.opts.latencyRate == 0 {
			res.Backlog = b.set.Backlog
			var msgs []outboxMsg
			if msgs, err = factory.events(b.set.Backlog); err == nil {
				res.Drain, res.FillRate, err = b.drain(ctx, msgs)
			}
		}
		if err == nil {
			res.Load, res.Reference, res.Idle, err = b.relayLatency(ctx, factory, b.latencyRate(res.Drain))
		}
	}
	res.Err = err
	return res
}

// drain fills the outbox for a fresh consumer group, then starts the relay
// role and times it until every event reached the topic.
func (b *bench) drain(ctx context.Context, msgs []outboxMsg) (d relayDrain, fillRate float64, err error) {
	group := uniqueName("userbench-relay")
	if err := b.positionGroup(ctx, group); err != nil {
		return d, 0, err
	}
	topic, err := b.newTopic("relay")
	if err != nil {
		return d, 0, err
	}
	b.log("relay: filling the outbox with %d events", len(msgs))
	start := time.Now()
	if err := b.fillOutbox(ctx, msgs, 500); err != nil {
		return d, 0, err
	}
	fillRate = float64(len(msgs)) / time.Since(start).Seconds()
	b.log("relay: draining %d events", len(msgs))
	stopWaits := sampleWaits(ctx, b.pool, b.set.SampleEvery)
	proc, err := b.startService(ctx, serviceEnv{Roles: "relay", Kafka: true, KafkaTopic: topic, RelayGroup: group, LogBaseName: "service-relay"})
	if err != nil {
		stopWaits()
		return d, fillRate, err
	}
	defer func() { _ = proc.stop() }()
	cpu0 := procCPU(proc.cmd.Process.Pid)
	snap := b.snapshotCPU(proc.cmd.Process.Pid)
	seconds := max(2, b.set.ProfileSeconds/2)
	waitProf := b.profileCPU(ctx, proc, "relay-drain", seconds)
	waitTrace := b.traceBlocking(ctx, proc, "relay-drain", seconds)
	first, last, total, err := b.highWaterMarks(ctx, topic, int64(len(msgs)), 50*time.Millisecond, 5*time.Minute)
	d.CPU = procCPU(proc.cmd.Process.Pid) - cpu0
	d.Use = b.snapshotCPU(proc.cmd.Process.Pid).since(snap, runtime.NumCPU())
	d.Waits = stopWaits()
	prof := waitProf()
	d.Profile = &prof
	d.Blocking = waitTrace()
	d.Received = int(total)
	if err != nil {
		return d, fillRate, fmt.Errorf("relay: %w", err)
	}
	d.FirstToLast, d.StartToLast, d.StartToFirst = last.Sub(first), last.Sub(proc.started), first.Sub(proc.started)
	b.log("relay: drained at %.0f events/s", d.PerSecond())
	return d, fillRate, nil
}
