package relay

import (
	"errors"
	"strconv"

	"github.com/prometheus/client_golang/prometheus"
)

type metrics struct {
	relayed       *prometheus.CounterVec
	publishErrors *prometheus.CounterVec
	lagEvents     *prometheus.GaugeVec
	lagSeconds    *prometheus.GaugeVec
	parked        *prometheus.CounterVec
	parkedNow     *prometheus.GaugeVec
	// owned says which shards this process holds (1) and which it only
	// stands by for (0): an active relay and a hot standby are both ready.
	owned *prometheus.GaugeVec
	// The stages of a batch's way out, to tell where commit-to-Kafka
	// latency goes: read (one round trip: the batch, the held-back check,
	// the parked keys, the previous acknowledgement), publish (until Kafka
	// acknowledged or parked every message) and held (how long the
	// shard's next rows waited behind an older open transaction).
	readSeconds, publishSeconds, heldSeconds prometheus.Histogram
}

// stageBuckets span a fraction of a millisecond to a second.
var stageBuckets = []float64{.0005, .001, .002, .004, .008, .016, .032, .064, .128, .256, .512, 1}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		relayed: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "userservice_relay_events_total", Help: "Events published from the outbox to Kafka.",
		}, []string{"shard"}),
		publishErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "userservice_relay_publish_errors_total", Help: "Failed Kafka publishes (each is retried).",
		}, []string{"shard"}),
		lagEvents: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "userservice_outbox_lag_events", Help: "Outbox rows not yet relayed.",
		}, []string{"shard"}),
		lagSeconds: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "userservice_outbox_lag_seconds", Help: "Age of the oldest outbox row not yet relayed (0 when none).",
		}, []string{"shard"}),
		parked: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "userservice_relay_parked_total",
			Help: "Outbox messages parked: refused by Kafka for good, or waiting behind one of their user's that was.",
		}, []string{"shard"}),
		parkedNow: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "userservice_outbox_parked_events",
			Help: "Outbox messages parked now (alert when above 0: `usersctl outbox parked`).",
		}, []string{"shard"}),
		owned: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "userservice_relay_shard_owned",
			Help: "1 for each outbox shard this relay holds now, 0 for one it stands by for.",
		}, []string{"shard"}),
		readSeconds: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "userservice_relay_read_seconds", Buckets: stageBuckets,
			Help: "Round trip of one outbox read (with the previous batch's acknowledgement).",
		}),
		publishSeconds: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "userservice_relay_publish_seconds", Buckets: stageBuckets,
			Help: "Publish of one batch, until Kafka acknowledged (or the relay parked) every message.",
		}),
		heldSeconds: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "userservice_relay_held_seconds", Buckets: stageBuckets,
			Help: "Wait of a shard's new rows behind an older open transaction: the first read that found them held back to the read that returned them.",
		}),
	}
	if reg == nil {
		return m, nil
	}
	for _, c := range []prometheus.Collector{m.relayed, m.publishErrors, m.lagEvents, m.lagSeconds, m.parked, m.parkedNow, m.owned,
		m.readSeconds, m.publishSeconds, m.heldSeconds} {
		if err := reg.Register(c); err != nil {
			var are prometheus.AlreadyRegisteredError
			if !errors.As(err, &are) {
				return nil, err
			}
		}
	}
	return m, nil
}

func itoa(i int) string { return strconv.Itoa(i) }
