package main

import (
	"strings"
	"testing"
	"time"
)

// The tail's side is the side its samples spent their time on, whatever
// the medians of all samples say.
func TestSplitStagesNamesTheSideThatOwnsTheTail(t *testing.T) {
	at := time.Date(2026, 12, 7, 21, 0, 0, 0, time.UTC)
	var samples []stageSample
	for i := range 200 {
		to, from := 5*time.Millisecond, 3*time.Millisecond
		if i%100 == 0 { // 2 of 200 spent 300 ms before the broker
			to = 300 * time.Millisecond
		}
		samples = append(samples, stageSample{committed: at, appended: at.Add(to), consumed: at.Add(to + from)})
	}
	s := splitStages(samples)
	if s.TailN != 3 || s.TailToBroker != 300*time.Millisecond || s.TailFromBroker != 3*time.Millisecond {
		t.Fatalf("tail: %d samples, %s to the broker, %s from it; want 3, 300ms, 3ms", s.TailN, s.TailToBroker, s.TailFromBroker)
	}
	if s.ToBroker.P50 != 5*time.Millisecond || s.FromBroker.P99 != 3*time.Millisecond {
		t.Fatalf("all samples: %s to the broker at the median, %s from it at the p99; want 5ms, 3ms", s.ToBroker.P50, s.FromBroker.P99)
	}
	if s.TailHeld != 0 || s.TailRelay != 300*time.Millisecond {
		t.Fatalf("no readable time: the tail held %s, relayed %s; want 0, 300ms", s.TailHeld, s.TailRelay)
	}
	if got := splitStages(nil); got.TailN != 0 {
		t.Fatalf("no samples: %+v", got)
	}
}

// A probe's row is readable when the last top-up transaction older than
// its own has ended, not before its own commit.
func TestHoldIndexWaitsForTheLastOlderTransaction(t *testing.T) {
	at := time.Date(2026, 12, 7, 21, 0, 0, 0, time.UTC)
	var l topUpLog
	l.add(topUpTx{xid: 12, done: at.Add(40 * time.Millisecond)})
	l.add(topUpTx{xid: 10, done: at.Add(60 * time.Millisecond)})
	l.add(topUpTx{xid: 14, done: at.Add(90 * time.Millisecond)})
	h := l.index()
	for _, c := range []struct {
		xid  uint64
		want time.Duration
	}{{9, 0}, {11, 60 * time.Millisecond}, {13, 60 * time.Millisecond}, {15, 90 * time.Millisecond}} {
		if got := h.readable(c.xid, at).Sub(at); got != c.want {
			t.Errorf("xid %d: readable after %s, want %s", c.xid, got, c.want)
		}
	}
	if got := h.readable(15, at.Add(time.Second)); !got.Equal(at.Add(time.Second)) {
		t.Errorf("committed after every older transaction ended: readable at %s", got)
	}
}

// The relay's histograms are read from the exposition format and
// subtracted; a percentile is its bucket's upper bound.
func TestRelayHistogramsFromTheExposition(t *testing.T) {
	parse := func(text string) map[string]histogram { return parseRelayHistograms(strings.NewReader(text + "\n")) }
	before := parse(`# HELP userservice_relay_read_seconds x
# TYPE userservice_relay_read_seconds histogram
userservice_relay_read_seconds_bucket{le="0.001"} 10
userservice_relay_read_seconds_bucket{le="0.01"} 10
userservice_relay_read_seconds_bucket{le="+Inf"} 10
userservice_relay_read_seconds_sum 0.005
userservice_relay_read_seconds_count 10`)
	after := parse(`# TYPE userservice_relay_read_seconds histogram
userservice_relay_read_seconds_bucket{le="0.001"} 60
userservice_relay_read_seconds_bucket{le="0.01"} 109
userservice_relay_read_seconds_bucket{le="+Inf"} 110
userservice_relay_read_seconds_sum 0.5
userservice_relay_read_seconds_count 110
userservice_relay_events_total{shard="0"} 7`)
	d := relayStagesSince(before, after).Read
	if d.count != 100 || d.quantile(0.5) != time.Millisecond || d.quantile(0.99) != 10*time.Millisecond || d.quantile(1) != 10*time.Second {
		t.Fatalf("read: %d observations, p50 %s, p99 %s, max %s; want 100, 1ms, 10ms, 10s (the +Inf bucket)",
			int(d.count), d.quantile(0.5), d.quantile(0.99), d.quantile(1))
	}
	if got := relayStagesSince(nil, after); got.Read.count != 0 {
		t.Fatalf("a failed scrape: %+v", got)
	}
}

// The target window's text says when its writers fell short of the rate.
func TestTargetReachNamesAShortfall(t *testing.T) {
	if got := targetReach(latencyRun{TargetRate: 4648, ProbeRate: 200, TopUpRate: 4445}); got != "" {
		t.Fatalf("reached: %q", got)
	}
	got := targetReach(latencyRun{TargetRate: 33425, ProbeRate: 200, TopUpRate: 11927})
	if !strings.Contains(got, "12127 of the 33425 events/s asked here (36 %)") {
		t.Fatalf("short: %q", got)
	}
}
