package directory

import (
	"errors"

	"github.com/prometheus/client_golang/prometheus"
)

// outcome is what became of one event.
type outcome string

// The outcomes, also the values of the metric's outcome label.
const (
	// outcomeApplied: the row was created or changed.
	outcomeApplied outcome = "applied"
	// outcomeStale: the row is already at this version or newer.
	outcomeStale outcome = "stale"
	// outcomeDuplicate: this consumer had handled the event id before.
	outcomeDuplicate outcome = "duplicate"
	// outcomeNoUser: a change for a user whose registration this consumer
	// never saw (the topic's retention dropped it, say): nothing to change.
	outcomeNoUser outcome = "no_user"
	// outcomeUnknownType: a type this build does not know (a newer version):
	// skipped, not recorded, so an upgraded build replaying finds it again.
	outcomeUnknownType outcome = "unknown_type"
	// outcomePoison: not a usable event at all; logged and skipped.
	outcomePoison outcome = "poison"
)

type metrics struct {
	events *prometheus.CounterVec
	lag    prometheus.Gauge
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		events: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "userservice_directory_events_total",
			Help: "Events the directory projection handled, by outcome.",
		}, []string{"outcome"}),
		lag: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "userservice_directory_lag_seconds",
			Help: "Age of the last event the directory projection handled, when it was handled.",
		}),
	}
	if reg == nil {
		return m, nil
	}
	if err := register(reg, &m.events); err != nil {
		return nil, err
	}
	if err := register(reg, &m.lag); err != nil {
		return nil, err
	}
	return m, nil
}

// register registers *c, or adopts the collector registered before under
// the same name (a second projector in one process shares the series).
func register[C prometheus.Collector](reg prometheus.Registerer, c *C) error {
	err := reg.Register(*c)
	var are prometheus.AlreadyRegisteredError
	if errors.As(err, &are) {
		if existing, ok := are.ExistingCollector.(C); ok {
			*c = existing
			return nil
		}
	}
	return err
}
