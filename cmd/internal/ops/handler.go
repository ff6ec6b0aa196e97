// Package ops serves the process's operational endpoints (liveness,
// readiness, metrics) in front of the admin API, and runs the HTTP server of
// the api role with a graceful shutdown.
package ops

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Check is one dependency the readiness endpoint asks about.
type Check struct {
	// Name is the key in the readiness answer ("postgres", "kafka").
	Name string
	// Probe returns nil when the dependency answers; it must honour ctx.
	Probe func(ctx context.Context) error
}

// DefaultCheckTimeout bounds each readiness probe when HandlerConfig leaves
// CheckTimeout zero: an orchestrator's probe usually times out after a few
// seconds, and a slow dependency must show as "not ready", not as a hang.
const DefaultCheckTimeout = 2 * time.Second

// HandlerConfig configures NewHandler.
type HandlerConfig struct {
	// Readiness answers GET /readyz; nil means always ready.
	Readiness *Readiness
	// Detailed makes /readyz name each failed check's error: for the
	// operations listener only, never the public one.
	Detailed bool
	// Gatherer is served on GET /metrics: the process's own registry, never
	// the global one. Required.
	Gatherer prometheus.Gatherer
	// API serves every other request; nil answers them 404 (the operations
	// listener).
	API http.Handler
}

// Validate reports every problem at once.
func (c HandlerConfig) Validate() error {
	var errs []error
	if c.Gatherer == nil {
		errs = append(errs, errors.New("ops: Gatherer is nil"))
	}
	return errors.Join(errs...)
}

// ValidateChecks reports checks without a name or probe, and names given twice.
func ValidateChecks(checks []Check) error {
	var errs []error
	seen := map[string]bool{}
	for i, ch := range checks {
		switch {
		case ch.Name == "" || ch.Probe == nil:
			errs = append(errs, fmt.Errorf("ops: Checks[%d] needs a name and a probe", i))
		case seen[ch.Name]:
			errs = append(errs, fmt.Errorf("ops: check %q given twice", ch.Name))
		}
		seen[ch.Name] = true
	}
	return errors.Join(errs...)
}

// NewHandler returns the outer handler: GET /healthz, GET /readyz,
// GET /metrics, and the API for everything else.
func NewHandler(cfg HandlerConfig) (http.Handler, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.Readiness == nil {
		cfg.Readiness = NewReadiness(nil, 0, 0, nil)
	}
	if cfg.API == nil {
		cfg.API = http.NotFoundHandler()
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		// Liveness only says the process serves requests; dependencies belong
		// to readiness, or a database outage would get every instance killed.
		writeJSON(w, http.StatusOK, map[string]any{"status": "ok"})
	})
	mux.Handle("GET /readyz", cfg.Readiness.Handler(cfg.Detailed))
	mux.Handle("GET /metrics", promhttp.HandlerFor(cfg.Gatherer, promhttp.HandlerOpts{}))
	mux.Handle("/", cfg.API)
	return mux, nil
}

func writeJSON(w http.ResponseWriter, code int, body any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(body) // the client went away; nothing to do
}
