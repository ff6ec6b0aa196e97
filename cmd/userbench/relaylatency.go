package main

import (
	"context"
	"fmt"
	"runtime"
	"sync"
	"time"
)

// latencyRun is commit-to-consume latency: from the moment the HTTP 201 of
// a create-user command returned to the moment a Kafka consumer of the
// relay's topic received its event.
type latencyRun struct {
	Label      string
	TargetRate float64 // events/s asked for (probes + top-up)
	ProbeRate  float64 // HTTP commands/s, each one a measured sample
	TopUpRate  float64 // events/s achieved by the outbox top-up writer
	Window     time.Duration
	Probes     int // commands that returned 201
	Failed     int
	Dropped    int // probes not sent: every worker was still waiting for an answer
	Missing    int // committed but not consumed within the grace period
	Lat        latencies
	DrainWait  time.Duration // after the window, until the outbox was relayed
	Waits      waitProfile
	Use        cpuUse
}

// probeTenants spreads the latency probes over tenants, as traffic from
// many customers is: one tenant's seat-counter row would make the probes
// queue on each other (section 1 measures that case).
const probeTenants = 16

// relayLatency runs the api and relay roles in one process (as `--roles
// all` would) and measures probes at loadRate events/s (HTTP probes plus
// events written straight to the outbox, in small transactions, to make up
// the rate), then idle probes one every IdleInterval.
func (b *bench) relayLatency(ctx context.Context, factory *eventFactory, loadRate float64) (load, idle latencyRun, err error) {
	tenants, err := b.tenants(ctx, "userbench latency", probeTenants)
	if err != nil {
		return load, idle, err
	}
	group := uniqueName("userbench-latency")
	if err := b.positionGroup(ctx, group); err != nil {
		return load, idle, err
	}
	topic, err := b.newTopic("latency")
	if err != nil {
		return load, idle, err
	}
	ids := make([]string, len(tenants))
	for i, t := range tenants {
		ids[i] = t.ID
	}
	reader, err := b.readTopic(topic, ids...)
	if err != nil {
		return load, idle, err
	}
	defer reader.close()
	proc, err := b.startService(ctx, serviceEnv{Roles: "api,relay", MaxConns: b.set.MaxConns, Kafka: true,
		KafkaTopic: topic, RelayGroup: group, LogBaseName: "service-api-relay"})
	if err != nil {
		return load, idle, err
	}
	defer func() { _ = proc.stop() }()
	first := newAPIClient(proc.base, tenants[0].Token, 32)
	defer first.close()
	clients := make([]*apiClient, len(tenants))
	for i, t := range tenants {
		clients[i] = &apiClient{base: proc.base, token: t.Token, http: first.http}
	}

	probeRate := min(b.set.ProbeRate, loadRate)
	b.log("relay latency: %.0f events/s (%.0f HTTP probes/s) for %s", loadRate, probeRate, b.set.LoadLatency)
	load = latencyRun{Label: "under load (~half the relay's drain rate)", TargetRate: loadRate, ProbeRate: probeRate, Window: b.set.LoadLatency}
	stopWaits := sampleWaits(ctx, b.pool, b.set.SampleEvery)
	snap := b.snapshotCPU(proc.cmd.Process.Pid)
	topUpCtx, stopTopUp := context.WithCancel(ctx)
	topUpDone := make(chan float64, 1)
	go func() { topUpDone <- b.topUp(topUpCtx, factory, loadRate-probeRate) }()
	b.probe(ctx, clients, reader, &load, 32)
	stopTopUp()
	load.TopUpRate = <-topUpDone
	load.Use = b.snapshotCPU(proc.cmd.Process.Pid).since(snap, runtime.NumCPU())
	load.Waits = stopWaits()

	// The idle window starts once the load window's backlog is relayed
	// (then a short settle), so it measures an idle relay, not the hangover.
	if load.DrainWait, err = b.waitDrained(ctx, group, 5*time.Minute); err != nil {
		return load, idle, err
	}
	b.log("relay latency: outbox drained %s after the load window", load.DrainWait.Round(time.Millisecond))
	time.Sleep(500 * time.Millisecond)
	idle = latencyRun{Label: fmt.Sprintf("idle (one command every %s)", b.set.IdleInterval),
		ProbeRate: float64(time.Second) / float64(b.set.IdleInterval), Window: b.set.IdleLatency}
	idle.TargetRate = idle.ProbeRate
	b.log("relay latency: idle, one command every %s for %s", b.set.IdleInterval, b.set.IdleLatency)
	stopWaits = sampleWaits(ctx, b.pool, b.set.SampleEvery)
	b.probe(ctx, clients, reader, &idle, 2)
	idle.Waits = stopWaits()
	return load, idle, nil
}

// probe sends create-user commands at run.ProbeRate for run.Window, then
// waits for their events and computes the latencies.
func (b *bench) probe(ctx context.Context, clients []*apiClient, reader *topicReader, run *latencyRun, workers int) {
	var (
		mu        sync.Mutex
		committed = map[string]time.Time{}
	)
	_, run.Dropped = paced(ctx, run.ProbeRate, run.Window, workers, func(ctx context.Context, seq int) {
		id, err := clients[seq%len(clients)].createUser(ctx, b.nextEmail())
		at := time.Now()
		mu.Lock()
		defer mu.Unlock()
		if err != nil {
			run.Failed++
			return
		}
		committed[id] = at
	})
	run.Probes = len(committed)
	deadline := time.Now().Add(15 * time.Second)
	var lat []time.Duration
	for {
		seen := map[string]time.Time{}
		for _, r := range reader.waitFor(ctx, 0, 0) {
			if _, ok := committed[r.Key]; ok {
				if _, dup := seen[r.Key]; !dup {
					seen[r.Key] = r.At
				}
			}
		}
		if len(seen) == len(committed) || time.Now().After(deadline) {
			lat = lat[:0]
			for id, at := range seen {
				lat = append(lat, at.Sub(committed[id]))
			}
			run.Missing = len(committed) - len(seen)
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	run.Lat = summarize(lat)
}

// topUp writes events straight to the outbox at perSecond, in one small
// transaction every 10 ms, until ctx ends; it returns the rate achieved.
func (b *bench) topUp(ctx context.Context, factory *eventFactory, perSecond float64) float64 {
	if perSecond <= 0 {
		return 0
	}
	const tick = 10 * time.Millisecond
	t := time.NewTicker(tick)
	defer t.Stop()
	start, written, owed := time.Now(), 0, 0.0
	for {
		select {
		case <-ctx.Done():
			return float64(written) / time.Since(start).Seconds()
		case <-t.C:
		}
		owed += perSecond * tick.Seconds()
		n := int(owed)
		if n == 0 {
			continue
		}
		owed -= float64(n)
		msgs, err := factory.events(n)
		if err != nil || b.writeOutbox(ctx, msgs) != nil {
			continue
		}
		written += n
	}
}
