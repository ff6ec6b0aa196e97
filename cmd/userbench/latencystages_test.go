package main

import (
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
	if got := splitStages(nil); got.TailN != 0 {
		t.Fatalf("no samples: %+v", got)
	}
}
