package ops_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/userservice/userservice/adapters/kafka/kafkatest"
	"github.com/userservice/userservice/adapters/postgres/pgtest"
	"github.com/userservice/userservice/cmd/internal/ops"
)

type readyBody struct {
	Status string            `json:"status"`
	Checks map[string]string `json:"checks"`
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}

func newOps(t *testing.T, checks ...ops.Check) *httptest.Server {
	t.Helper()
	reg := prometheus.NewRegistry()
	counter := prometheus.NewCounter(prometheus.CounterOpts{Name: "ops_test_total", Help: "test"})
	reg.MustRegister(counter)
	counter.Inc()
	h, err := ops.NewHandler(ops.HandlerConfig{
		Readiness: ops.NewReadiness(checks, 0, 0, nil),
		Detailed:  true,
		Gatherer:  reg,
		API: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			http.Error(w, "api:"+r.URL.Path, http.StatusTeapot)
		}),
	})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}

// TestReadinessAgainstRealServices asks the real PostgreSQL and Kafka, then
// a Kafka address where nothing listens.
func TestReadinessAgainstRealServices(t *testing.T) {
	t.Parallel()
	pool := pgtest.Pool(t)
	brokers := kafkatest.Brokers(t)

	srv := newOps(t, ops.PostgresCheck(pool), ops.KafkaCheck(brokers))
	code, body := get(t, srv.URL+"/readyz")
	var rb readyBody
	if err := json.Unmarshal([]byte(body), &rb); err != nil {
		t.Fatalf("readyz body %q: %v", body, err)
	}
	if code != http.StatusOK || rb.Status != "ready" || rb.Checks["postgres"] != "ok" || rb.Checks["kafka"] != "ok" {
		t.Fatalf("readyz = %d %s, want 200 ready with both checks ok", code, body)
	}

	down := newOps(t, ops.PostgresCheck(pool), ops.KafkaCheck([]string{"127.0.0.1:1"}))
	start := time.Now()
	code, body = get(t, down.URL+"/readyz")
	took := time.Since(start)
	rb = readyBody{}
	if err := json.Unmarshal([]byte(body), &rb); err != nil {
		t.Fatalf("readyz body %q: %v", body, err)
	}
	if code != http.StatusServiceUnavailable || rb.Status != "unavailable" ||
		rb.Checks["postgres"] != "ok" || rb.Checks["kafka"] == "ok" || !strings.Contains(rb.Checks["kafka"], "kafka") {
		t.Fatalf("readyz with Kafka down = %d %s, want 503 naming kafka", code, body)
	}
	if took > 4*time.Second {
		t.Errorf("readyz with Kafka down took %s; the probe should give up after ~2s", took)
	}
}

func TestReadinessTimesOutASlowCheckInParallel(t *testing.T) {
	t.Parallel()
	hang := func(ctx context.Context) error { <-ctx.Done(); return ctx.Err() }
	reg := prometheus.NewRegistry()
	h, err := ops.NewHandler(ops.HandlerConfig{
		Readiness: ops.NewReadiness([]ops.Check{{Name: "a", Probe: hang}, {Name: "b", Probe: hang},
			{Name: "c", Probe: func(context.Context) error { return nil }}}, 300*time.Millisecond, 0, nil),
		Detailed: true,
		Gatherer: reg,
		API:      http.NotFoundHandler(),
	})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/readyz", nil))
	if took := time.Since(start); took > 550*time.Millisecond {
		t.Errorf("two hanging checks took %s: not run in parallel", took)
	}
	var rb readyBody
	_ = json.Unmarshal(rec.Body.Bytes(), &rb)
	if rec.Code != http.StatusServiceUnavailable || !strings.Contains(rb.Checks["a"], "deadline") || rb.Checks["c"] != "ok" {
		t.Errorf("readyz = %d %s", rec.Code, rec.Body)
	}
}

func TestHealthMetricsAndDelegation(t *testing.T) {
	t.Parallel()
	srv := newOps(t)
	if code, body := get(t, srv.URL+"/healthz"); code != http.StatusOK || strings.TrimSpace(body) != `{"status":"ok"}` {
		t.Errorf("healthz = %d %s", code, body)
	}
	if code, body := get(t, srv.URL+"/metrics"); code != http.StatusOK || !strings.Contains(body, "ops_test_total 1") {
		t.Errorf("metrics = %d %s", code, body)
	}
	if code, body := get(t, srv.URL+"/v1/users"); code != http.StatusTeapot || !strings.Contains(body, "api:/v1/users") {
		t.Errorf("/v1/users = %d %s, want the API handler", code, body)
	}
	// No checks configured: ready.
	if code, _ := get(t, srv.URL+"/readyz"); code != http.StatusOK {
		t.Errorf("readyz without checks = %d", code)
	}
}

func TestHandlerConfigValidate(t *testing.T) {
	t.Parallel()
	if _, err := ops.NewHandler(ops.HandlerConfig{}); err == nil || !strings.Contains(err.Error(), "Gatherer") {
		t.Errorf("error %v does not name Gatherer", err)
	}
	err := ops.ValidateChecks([]ops.Check{{Name: "x"}, {Name: "p", Probe: func(context.Context) error { return nil }},
		{Name: "p", Probe: func(context.Context) error { return nil }}})
	for _, want := range []string{"Checks[0]", `"p" given twice`} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v does not name %s", err, want)
		}
	}
}

// TestPublicReadinessIsCachedAndHidesErrors floods the public /readyz: the
// failing check is probed once for the whole flood, and its error text (which
// names the database user and host) appears only on the detailed handler of
// the operations listener.
func TestPublicReadinessIsCachedAndHidesErrors(t *testing.T) {
	t.Parallel()
	var probes atomic.Int64
	secret := errors.New(`failed to connect to user=svc_admin host=db-7.internal: password authentication failed`)
	rd := ops.NewReadiness([]ops.Check{
		{Name: "postgres", Probe: func(context.Context) error { probes.Add(1); return secret }},
		{Name: "kafka", Probe: func(context.Context) error { probes.Add(1); return nil }},
	}, 0, time.Minute, nil)
	reg := prometheus.NewRegistry()
	public, err := ops.NewHandler(ops.HandlerConfig{Readiness: rd, Gatherer: reg, API: http.NotFoundHandler()})
	if err != nil {
		t.Fatal(err)
	}
	private, err := ops.NewHandler(ops.HandlerConfig{Readiness: rd, Detailed: true, Gatherer: reg})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for range 200 {
		wg.Go(func() {
			rec := httptest.NewRecorder()
			public.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/readyz", nil))
			var rb readyBody
			_ = json.Unmarshal(rec.Body.Bytes(), &rb)
			if rec.Code != http.StatusServiceUnavailable || rb.Checks["postgres"] != "unavailable" || rb.Checks["kafka"] != "ok" {
				t.Errorf("public readyz = %d %s", rec.Code, rec.Body)
			}
			if strings.Contains(rec.Body.String(), "svc_admin") || strings.Contains(rec.Body.String(), "db-7") {
				t.Errorf("public readyz tells the error: %s", rec.Body)
			}
		})
	}
	wg.Wait()
	if n := probes.Load(); n != 2 {
		t.Errorf("200 public readiness requests probed %d times, want once per check (2)", n)
	}
	rec := httptest.NewRecorder()
	private.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/readyz", nil))
	if rec.Code != http.StatusServiceUnavailable || !strings.Contains(rec.Body.String(), "password authentication failed") {
		t.Errorf("detailed readyz = %d %s, want the error", rec.Code, rec.Body)
	}
	rec = httptest.NewRecorder()
	private.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/v1/users", nil))
	if rec.Code != http.StatusNotFound {
		t.Errorf("the operations listener served the API: %d", rec.Code)
	}
}
