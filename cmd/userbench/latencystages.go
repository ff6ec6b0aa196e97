package main

import (
	"cmp"
	"fmt"
	"slices"
	"time"
)

// latencyStages splits commit-to-consume at the broker's append of the
// record (the latency topic has LogAppendTime timestamps): before it, the
// relay's wait for the row, its read and the produce round trip; after it,
// the consumer's fetch. The tail is the samples at or above the p99: which
// side their latency is on says which stage owns the p99.
type latencyStages struct {
	ToBroker   latencies // 201 → appended
	FromBroker latencies // appended → consumed
	// TailN samples at or above the total p99; TailToBroker and
	// TailFromBroker are their medians of each side.
	TailN                        int
	TailToBroker, TailFromBroker time.Duration
}

// stageSample is one probe's timestamps.
type stageSample struct {
	committed, appended, consumed time.Time
}

func splitStages(samples []stageSample) latencyStages {
	if len(samples) == 0 {
		return latencyStages{}
	}
	// By rank, as percentile counts, so ties at the p99 do not swell the tail.
	samples = slices.SortedFunc(slices.Values(samples), func(a, b stageSample) int {
		return cmp.Compare(a.consumed.Sub(a.committed), b.consumed.Sub(b.committed))
	})
	p99 := int(0.99*float64(len(samples))+0.999999) - 1
	var to, from, tailTo, tailFrom []time.Duration
	for i, s := range samples {
		a, b := s.appended.Sub(s.committed), s.consumed.Sub(s.appended)
		to, from = append(to, a), append(from, b)
		if i >= p99 {
			tailTo, tailFrom = append(tailTo, a), append(tailFrom, b)
		}
	}
	return latencyStages{ToBroker: summarize(to), FromBroker: summarize(from), TailN: len(tailTo),
		TailToBroker: summarize(tailTo).P50, TailFromBroker: summarize(tailFrom).P50}
}

func (s latencyStages) String() string {
	return fmt.Sprintf("201→broker append p50 %s p99 %s ms, append→consumed p50 %s p99 %s ms; the %d samples at or above the p99: medians %s ms to the broker, %s ms from it",
		ms(s.ToBroker.P50), ms(s.ToBroker.P99), ms(s.FromBroker.P50), ms(s.FromBroker.P99), s.TailN, ms(s.TailToBroker), ms(s.TailFromBroker))
}
