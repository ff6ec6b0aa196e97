// Package metrics implements the application's metrics ports with the
// Prometheus client. Collectors register on a registry the process creates
// and passes in, never on the global default one, so tests and several
// processes in one binary do not collide.
package metrics

import (
	"fmt"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/userservice/userservice/app/decorator"
)

// Commands counts and times handled commands and queries; it implements
// decorator.Metrics and decorator.QueryMetrics.
type Commands struct {
	total         *prometheus.CounterVec
	duration      *prometheus.HistogramVec
	queries       *prometheus.CounterVec
	queryDuration *prometheus.HistogramVec
}

var (
	_ decorator.Metrics      = (*Commands)(nil)
	_ decorator.QueryMetrics = (*Commands)(nil)
)

// NewCommands creates the command and query collectors and registers them on
// reg: userservice_commands_total{command,outcome},
// userservice_command_duration_seconds{command,outcome},
// userservice_queries_total{query,outcome} and
// userservice_query_duration_seconds{query,outcome}.
func NewCommands(reg prometheus.Registerer) (*Commands, error) {
	if reg == nil {
		return nil, fmt.Errorf("metrics.NewCommands: nil registerer")
	}
	m := &Commands{
		total: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "userservice",
			Name:      "commands_total",
			Help:      "Commands handled, by command and outcome (changed, unchanged, replayed, rejected, conflict, error).",
		}, []string{"command", "outcome"}),
		// Outcome is a label on the histogram too: a rejection returns before
		// any write and would otherwise drag the latency of real writes down.
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: "userservice",
			Name:      "command_duration_seconds",
			Help:      "Time to handle a command, in seconds, by command and outcome.",
			// 1 ms to ~4 s: a command is one short transaction; anything
			// slower is a stall worth seeing in its own bucket.
			Buckets: prometheus.ExponentialBuckets(0.001, 2, 13),
		}, []string{"command", "outcome"}),
		queries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "userservice",
			Name:      "queries_total",
			Help:      "Queries handled, by query and outcome (ok, rejected, error).",
		}, []string{"query", "outcome"}),
		queryDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: "userservice",
			Name:      "query_duration_seconds",
			Help:      "Time to handle a query, in seconds, by query and outcome.",
			// 0.25 ms to ~1 s: most queries are one indexed read.
			Buckets: prometheus.ExponentialBuckets(0.00025, 2, 13),
		}, []string{"query", "outcome"}),
	}
	for _, c := range []prometheus.Collector{m.total, m.duration, m.queries, m.queryDuration} {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("register command metrics: %w", err)
		}
	}
	return m, nil
}

// CommandHandled records one handled command.
func (m *Commands) CommandHandled(command, outcome string, d time.Duration) {
	m.total.WithLabelValues(command, outcome).Inc()
	m.duration.WithLabelValues(command, outcome).Observe(d.Seconds())
}

// QueryHandled records one handled query.
func (m *Commands) QueryHandled(query, outcome string, d time.Duration) {
	m.queries.WithLabelValues(query, outcome).Inc()
	m.queryDuration.WithLabelValues(query, outcome).Observe(d.Seconds())
}
