package main

import (
	"bufio"
	"context"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// relayHistograms are the relay's stage histograms (adapters/relay
// metrics.go), as scraped from the service's /metrics.
var relayHistograms = []string{"userservice_relay_read_seconds", "userservice_relay_publish_seconds", "userservice_relay_held_seconds"}

// histogram is one Prometheus histogram: cumulative counts by upper bound.
type histogram struct {
	bounds []float64 // ascending, +Inf last
	counts []float64
	sum    float64
	count  float64
}

// minus is h's observations since earlier.
func (h histogram) minus(earlier histogram) histogram {
	d := histogram{bounds: h.bounds, counts: make([]float64, len(h.counts)), sum: h.sum - earlier.sum, count: h.count - earlier.count}
	for i := range h.counts {
		d.counts[i] = h.counts[i]
		if i < len(earlier.counts) {
			d.counts[i] -= earlier.counts[i]
		}
	}
	return d
}

// quantile is the upper bound of the bucket holding the q-quantile (0
// when empty).
func (h histogram) quantile(q float64) time.Duration {
	if h.count <= 0 {
		return 0
	}
	for i, c := range h.counts {
		if c >= q*h.count {
			return time.Duration(math.Min(h.bounds[i], 10) * float64(time.Second))
		}
	}
	return 0
}

// String is "n, mean, p50 ≤ x, p99 ≤ y ms".
func (h histogram) String() string {
	if h.count <= 0 {
		return "none"
	}
	return fmt.Sprintf("%.0f, mean %s, p50 ≤ %s, p99 ≤ %s ms", h.count, ms(time.Duration(h.sum/h.count*float64(time.Second))),
		ms(h.quantile(0.5)), ms(h.quantile(0.99)))
}

// relayMetrics scrapes the relay's stage histograms from base/metrics
// (nil on any error: the stages are then left out).
func relayMetrics(ctx context.Context, client *http.Client, base string) map[string]histogram {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/metrics", nil)
	if err != nil {
		return nil
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil
	}
	defer func() { _ = resp.Body.Close() }()
	out := map[string]histogram{}
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		parseHistogramLine(sc.Text(), out)
	}
	if sc.Err() != nil {
		return nil
	}
	return out
}

// parseHistogramLine adds one exposition line of a relayHistograms series
// to out.
func parseHistogramLine(line string, out map[string]histogram) {
	sp := strings.LastIndexByte(line, ' ')
	if sp < 0 || strings.HasPrefix(line, "#") {
		return
	}
	v, err := strconv.ParseFloat(line[sp+1:], 64)
	if err != nil {
		return
	}
	series := line[:sp]
	for _, name := range relayHistograms {
		if !strings.HasPrefix(series, name+"_") {
			continue
		}
		h := out[name]
		switch rest := series[len(name):]; {
		case rest == "_sum":
			h.sum = v
		case rest == "_count":
			h.count = v
		case strings.HasPrefix(rest, `_bucket{le="`):
			le, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimPrefix(rest, `_bucket{le="`), `"}`), 64)
			if err != nil {
				return
			}
			h.bounds, h.counts = append(h.bounds, le), append(h.counts, v)
		}
		out[name] = h
	}
}

// relayStages is what the relay's histograms saw during one window.
type relayStages struct{ Read, Publish, Held histogram }

// since is the observations between the scrapes before and after (zero
// when either failed).
func relayStagesSince(before, after map[string]histogram) relayStages {
	if before == nil || after == nil {
		return relayStages{}
	}
	d := func(name string) histogram { return after[name].minus(before[name]) }
	return relayStages{Read: d(relayHistograms[0]), Publish: d(relayHistograms[1]), Held: d(relayHistograms[2])}
}
