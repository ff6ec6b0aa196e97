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
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.uber.org/zap"
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
	// Checks are probed, in parallel, by GET /readyz.
	Checks []Check
	// CheckTimeout bounds each probe. Default DefaultCheckTimeout.
	CheckTimeout time.Duration
	// Gatherer is served on GET /metrics: the process's own registry, never
	// the global one. Required.
	Gatherer prometheus.Gatherer
	// API serves every other request. Required.
	API http.Handler
	// Logger receives failed readiness checks. Nil: no logging.
	Logger *zap.Logger
}

func (c *HandlerConfig) setDefaults() {
	if c.CheckTimeout == 0 {
		c.CheckTimeout = DefaultCheckTimeout
	}
	if c.Logger == nil {
		c.Logger = zap.NewNop()
	}
}

// Validate reports every problem at once.
func (c HandlerConfig) Validate() error {
	var errs []error
	if c.Gatherer == nil {
		errs = append(errs, errors.New("ops: Gatherer is nil"))
	}
	if c.API == nil {
		errs = append(errs, errors.New("ops: API is nil"))
	}
	if c.CheckTimeout < 0 {
		errs = append(errs, fmt.Errorf("ops: CheckTimeout must not be negative, got %s", c.CheckTimeout))
	}
	seen := map[string]bool{}
	for i, ch := range c.Checks {
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
	cfg.setDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		// Liveness only says the process serves requests; dependencies belong
		// to readiness, or a database outage would get every instance killed.
		writeJSON(w, http.StatusOK, map[string]any{"status": "ok"})
	})
	mux.Handle("GET /readyz", readiness{checks: cfg.Checks, timeout: cfg.CheckTimeout, log: cfg.Logger})
	mux.Handle("GET /metrics", promhttp.HandlerFor(cfg.Gatherer, promhttp.HandlerOpts{}))
	mux.Handle("/", cfg.API)
	return mux, nil
}

type readiness struct {
	checks  []Check
	timeout time.Duration
	log     *zap.Logger
}

func (h readiness) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	results := make(map[string]string, len(h.checks))
	var mu sync.Mutex
	var wg sync.WaitGroup
	for _, c := range h.checks {
		wg.Go(func() {
			ctx, cancel := context.WithTimeout(r.Context(), h.timeout)
			defer cancel()
			status := "ok"
			if err := c.Probe(ctx); err != nil {
				status = err.Error()
				h.log.Warn("readiness check failed", zap.String("check", c.Name), zap.Error(err))
			}
			mu.Lock()
			results[c.Name] = status
			mu.Unlock()
		})
	}
	wg.Wait()
	code, status := http.StatusOK, "ready"
	for _, v := range results {
		if v != "ok" {
			code, status = http.StatusServiceUnavailable, "unavailable"
		}
	}
	writeJSON(w, code, map[string]any{"status": status, "checks": results})
}

func writeJSON(w http.ResponseWriter, code int, body any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(body) // the client went away; nothing to do
}
