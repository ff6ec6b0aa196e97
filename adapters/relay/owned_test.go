package relay

import (
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/userservice/userservice/adapters/postgres"
)

// ownedShards reads userservice_relay_shard_owned of one relay's registry.
func ownedShards(t *testing.T, reg *prometheus.Registry) map[int]bool {
	t.Helper()
	mfs, err := reg.Gather()
	must(t, err)
	owned := map[int]bool{}
	for _, mf := range mfs {
		if mf.GetName() != "userservice_relay_shard_owned" {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "shard" && m.GetGauge().GetValue() == 1 {
					var shard int
					for _, c := range l.GetValue() {
						shard = shard*10 + int(c-'0')
					}
					owned[shard] = true
				}
			}
		}
	}
	return owned
}

// An active relay and its hot standby are told apart by the metric: each
// shard is held by exactly one of them, and the standby holds them all once
// the active one stops.
func TestShardOwnedMetricTellsActiveFromStandby(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	regA, regB := prometheus.NewRegistry(), prometheus.NewRegistry()
	stopA := h.startRelay(Config{Registerer: regA, PollInterval: 50 * time.Millisecond})
	stopB := h.startRelay(Config{Registerer: regB, PollInterval: 50 * time.Millisecond})
	defer stopB()
	deadline := time.Now().Add(20 * time.Second)
	for {
		a, b := ownedShards(t, regA), ownedShards(t, regB)
		held := 0
		for shard := range postgres.OutboxShards {
			if a[shard] && b[shard] {
				t.Fatalf("shard %d reported held by both relays", shard)
			}
			if a[shard] || b[shard] {
				held++
			}
		}
		if held == postgres.OutboxShards {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after 20s only %d of %d shards reported held (a=%v b=%v)", held, postgres.OutboxShards, a, b)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if n := testutil.CollectAndCount(regB, "userservice_relay_shard_owned"); n != postgres.OutboxShards {
		t.Fatalf("standby reports %d shard series, want one per shard (%d)", n, postgres.OutboxShards)
	}
	stopA()
	for len(ownedShards(t, regB)) < postgres.OutboxShards {
		if time.Now().After(deadline.Add(20 * time.Second)) {
			t.Fatalf("standby holds %v after the active relay stopped, want every shard", ownedShards(t, regB))
		}
		time.Sleep(50 * time.Millisecond)
	}
}
