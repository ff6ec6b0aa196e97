package ops

import (
	"context"
	"net/http"
	"sync"
	"time"

	"go.uber.org/zap"
)

// Readiness runs the checks for GET /readyz and caches the answer, so that
// however often (and by whomever) readiness is asked, each dependency is
// probed at most once per cache period: on the public listener an
// unauthenticated client could otherwise open a Kafka connection and ping
// the database with every request.
type Readiness struct {
	checks   []Check
	timeout  time.Duration
	cacheFor time.Duration
	log      *zap.Logger
	now      func() time.Time

	// mu is held while probing, so concurrent askers wait for one probe
	// round instead of starting their own.
	mu      sync.Mutex
	last    map[string]error
	checked time.Time
}

// NewReadiness returns the readiness of checks, each probe bounded by
// timeout (DefaultCheckTimeout when zero), answers reused for cacheFor (zero:
// probed on every request). log receives failed checks; nil means none.
func NewReadiness(checks []Check, timeout, cacheFor time.Duration, log *zap.Logger) *Readiness {
	if timeout == 0 {
		timeout = DefaultCheckTimeout
	}
	if log == nil {
		log = zap.NewNop()
	}
	return &Readiness{checks: checks, timeout: timeout, cacheFor: cacheFor, log: log, now: time.Now}
}

// results returns each check's error (nil: ok), from the cache when fresh.
func (rd *Readiness) results() map[string]error {
	rd.mu.Lock()
	defer rd.mu.Unlock()
	if rd.last != nil && rd.cacheFor > 0 && rd.now().Sub(rd.checked) < rd.cacheFor {
		return rd.last
	}
	results := make(map[string]error, len(rd.checks))
	var mu sync.Mutex
	var wg sync.WaitGroup
	for _, c := range rd.checks {
		wg.Go(func() {
			// Not the request's context: a client that hangs up must not
			// leave a cancelled probe in the cache for everyone else.
			ctx, cancel := context.WithTimeout(context.Background(), rd.timeout)
			defer cancel()
			err := c.Probe(ctx)
			if err != nil {
				rd.log.Warn("readiness check failed", zap.String("check", c.Name), zap.Error(err))
			}
			mu.Lock()
			results[c.Name] = err
			mu.Unlock()
		})
	}
	wg.Wait()
	rd.last, rd.checked = results, rd.now()
	return results
}

// Handler answers GET /readyz: 200 "ready" when every check passed, else 503
// "unavailable", with each check's state. Only a detailed handler (the
// operations listener's) says what went wrong: error texts can name the
// database's user and host, which the public listener must not tell anyone.
func (rd *Readiness) Handler(detailed bool) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		results := rd.results()
		checks := make(map[string]string, len(results))
		code, status := http.StatusOK, "ready"
		for name, err := range results {
			switch {
			case err == nil:
				checks[name] = "ok"
			case detailed:
				checks[name] = err.Error()
			default:
				checks[name] = "unavailable"
			}
			if err != nil {
				code, status = http.StatusServiceUnavailable, "unavailable"
			}
		}
		writeJSON(w, code, map[string]any{"status": status, "checks": checks})
	})
}
