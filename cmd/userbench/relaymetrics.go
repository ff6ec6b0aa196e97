package main

import (
	"context"
	"fmt"
	"io"
	"math"
	"net/http"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
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
	return parseRelayHistograms(resp.Body)
}

// parseRelayHistograms reads relayHistograms from a Prometheus text
// exposition (nil if it cannot be parsed).
func parseRelayHistograms(r io.Reader) map[string]histogram {
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(r)
	if err != nil {
		return nil
	}
	out := map[string]histogram{}
	for _, name := range relayHistograms {
		if f := families[name]; f != nil && len(f.GetMetric()) == 1 {
			out[name] = histogramOf(f.GetMetric()[0].GetHistogram())
		}
	}
	return out
}

// histogramOf is h's cumulative buckets, +Inf last.
func histogramOf(h *dto.Histogram) histogram {
	out := histogram{sum: h.GetSampleSum(), count: float64(h.GetSampleCount())}
	for _, b := range h.GetBucket() {
		out.bounds, out.counts = append(out.bounds, b.GetUpperBound()), append(out.counts, float64(b.GetCumulativeCount()))
	}
	if n := len(out.bounds); n == 0 || !math.IsInf(out.bounds[n-1], 1) {
		out.bounds, out.counts = append(out.bounds, math.Inf(1)), append(out.counts, out.count)
	}
	return out
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
