package main

import (
	"cmp"
	"context"
	"fmt"
	"os"
	"slices"
	"strings"
	"time"
)

// latencyStages splits commit-to-consume into three stages: from the 201
// until the row was readable (the relay reads a row only once every older
// transaction has ended: the wait behind the top-up transactions open at
// the commit, holdIndex), from then to the broker's append of the record
// (the latency topic has LogAppendTime timestamps: the relay's wake-up,
// its read and the produce round trip) and from the append to the
// consumer (its fetch). The tail is the samples at or above the p99: the
// stage their latency is in owns the p99.
type latencyStages struct {
	Held       latencies // 201 → readable
	Relay      latencies // readable → appended
	ToBroker   latencies // 201 → appended
	FromBroker latencies // appended → consumed
	// TailN samples at or above the total p99; the Tail fields are their
	// medians of each stage.
	TailN                        int
	TailHeld, TailRelay          time.Duration
	TailToBroker, TailFromBroker time.Duration
}

// stageSample is one probe's timestamps; readable is zero when not known
// (then the commit).
type stageSample struct {
	eventID                                 string
	committed, readable, appended, consumed time.Time
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
	var all, tail [4][]time.Duration // held, relay, to the broker, from it
	for i, s := range samples {
		r := s.readable
		if r.IsZero() {
			r = s.committed
		}
		d := [4]time.Duration{r.Sub(s.committed), s.appended.Sub(r), s.appended.Sub(s.committed), s.consumed.Sub(s.appended)}
		for k := range d {
			all[k] = append(all[k], d[k])
			if i >= p99 {
				tail[k] = append(tail[k], d[k])
			}
		}
	}
	return latencyStages{Held: summarize(all[0]), Relay: summarize(all[1]), ToBroker: summarize(all[2]), FromBroker: summarize(all[3]),
		TailN: len(tail[0]), TailHeld: summarize(tail[0]).P50, TailRelay: summarize(tail[1]).P50,
		TailToBroker: summarize(tail[2]).P50, TailFromBroker: summarize(tail[3]).P50}
}

// splitRuns finds when each run's probe rows became readable (their
// transaction ids against the top-up's, idx) and splits the runs' samples
// into stages. It reads the outbox after the windows, so that its reads do
// not load them; without the ids, the held stage is left at zero.
func (b *bench) splitRuns(ctx context.Context, idx holdIndex, runs ...*latencyRun) {
	var ids []string
	for _, r := range runs {
		for _, s := range r.samples {
			ids = append(ids, s.eventID)
		}
	}
	xids, err := b.eventXids(ctx, ids)
	if err != nil {
		b.log("relay latency: the probes' transaction ids: %v (the held stage is left out)", err)
	}
	for _, r := range runs {
		for i, s := range r.samples {
			if xid, ok := xids[s.eventID]; ok {
				r.samples[i].readable = idx.readable(xid, s.committed)
			}
		}
		r.Stages = splitStages(r.samples)
	}
	b.writeSamples(runs...)
}

// writeSamples keeps each run's samples in the artifacts, one CSV per run
// (milliseconds from the run's first commit, whose time the first line
// gives), to set a tail's timing beside other logs (the broker's GC log).
func (b *bench) writeSamples(runs ...*latencyRun) {
	for i, r := range runs {
		if len(r.samples) == 0 {
			continue
		}
		s := slices.SortedFunc(slices.Values(r.samples), func(a, b stageSample) int { return a.committed.Compare(b.committed) })
		t0 := s[0].committed
		at := func(t time.Time) string { return fmt.Sprintf("%.2f", float64(t.Sub(t0).Microseconds())/1000) }
		var sb strings.Builder
		fmt.Fprintf(&sb, "# %s: milliseconds from the first commit, %s\n", r.Label, t0.UTC().Format(time.RFC3339Nano))
		sb.WriteString("committed_ms,readable_ms,appended_ms,consumed_ms\n")
		for _, x := range s {
			rd := x.readable
			if rd.IsZero() {
				rd = x.committed
			}
			fmt.Fprintf(&sb, "%s,%s,%s,%s\n", at(x.committed), at(rd), at(x.appended), at(x.consumed))
		}
		if err := os.WriteFile(b.artifact(fmt.Sprintf("relay-latency-samples-%d.csv", i)), []byte(sb.String()), 0o644); err != nil {
			b.log("relay latency: samples: %v", err)
		}
	}
}

func (s latencyStages) String() string {
	return fmt.Sprintf("201→readable p50 %s p99 %s ms, readable→broker append p50 %s p99 %s ms, append→consumed p50 %s p99 %s ms; "+
		"the %d samples at or above the p99: medians %s ms held, %s ms relay, %s ms from the broker",
		ms(s.Held.P50), ms(s.Held.P99), ms(s.Relay.P50), ms(s.Relay.P99), ms(s.FromBroker.P50), ms(s.FromBroker.P99),
		s.TailN, ms(s.TailHeld), ms(s.TailRelay), ms(s.TailFromBroker))
}
