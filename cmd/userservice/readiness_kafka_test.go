package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/userservice/userservice/adapters/kafka/kafkatest"
	"github.com/userservice/userservice/adapters/postgres/pgtest"
	"github.com/userservice/userservice/adapters/relay/relaytest"
)

// readinessBrokerPort is this package's private broker (controller on +1):
// the test stops it, so it must not be the broker other tests share.
const readinessBrokerPort = 29094

// TestReadinessIsPerRole stops a real broker under two running processes:
// the relay's /readyz turns 503 naming kafka (and 200 again once the broker
// is back), while the api's stays 200 throughout, since its commands need
// only PostgreSQL. Before the readiness was per role, a Kafka outage took
// every api pod out of service.
func TestReadinessIsPerRole(t *testing.T) {
	broker := kafkatest.StartPrivateBroker(t, "readiness", readinessBrokerPort)
	// No cached answer: the test looks right after the broker stopped.
	api := startServiceOn(t, broker.Brokers(), "api", "READINESS_CACHE", "0")
	relayOps := startOpsOnly(t, broker.Brokers(), "relay", "READINESS_CACHE", "0")
	if code, _ := readyz(t, api.base); code != 200 {
		t.Fatalf("api readyz before = %d", code)
	}
	if code, checks := readyz(t, relayOps); code != 200 || checks["kafka"] != "ok" {
		t.Fatalf("relay readyz before = %d %v; want 200 with a kafka check", code, checks)
	}
	broker.Stop(t)
	code, checks := readyz(t, relayOps)
	if code != http.StatusServiceUnavailable || checks["kafka"] == "ok" || checks["postgres"] != "ok" {
		t.Fatalf("relay readyz with Kafka stopped = %d %v; want 503 naming kafka", code, checks)
	}
	t.Logf("relay's kafka check while stopped: %s", checks["kafka"])
	if code, checks := readyz(t, api.base); code != 200 || checks["kafka"] != "" {
		t.Fatalf("api readyz with Kafka stopped = %d %v; want 200 without a kafka check", code, checks)
	}
	broker.Start(t)
	deadline := time.Now().Add(30 * time.Second)
	for {
		if code, _ := readyz(t, relayOps); code == 200 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("relay readyz did not recover after Kafka came back")
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// TestReadinessOfTheNotifierNamesSMTP: with SMTP_ADDR on a port nothing
// listens on, the notifier is not ready (naming smtp) while an api process
// with the same settings is: the api sends no mail.
func TestReadinessOfTheNotifierNamesSMTP(t *testing.T) {
	t.Parallel()
	dead := freeAddr(t) // nothing listens here
	notifier := startOpsOnly(t, nil, "notifier", "SMTP_ADDR", dead, "READINESS_CACHE", "0")
	code, checks := readyz(t, notifier)
	if code != http.StatusServiceUnavailable || checks["smtp"] == "ok" || checks["smtp"] == "" || checks["postgres"] != "ok" {
		t.Fatalf("notifier readyz with SMTP down = %d %v; want 503 naming smtp", code, checks)
	}
	if _, ok := checks["kafka"]; ok {
		t.Errorf("the notifier asks for Kafka, which it does not use: %v", checks)
	}
	api := startOpsOnly(t, nil, "api", "SMTP_ADDR", dead, "READINESS_CACHE", "0")
	if code, checks := readyz(t, api); code != 200 || checks["smtp"] != "" {
		t.Fatalf("api readyz with SMTP down = %d %v; want 200 without an smtp check", code, checks)
	}
}

// readyz asks base's /readyz and returns its status and checks.
func readyz(t *testing.T, base string) (int, map[string]string) {
	t.Helper()
	resp, err := noKeepAlive.Get(base + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body struct{ Checks map[string]string }
	_ = json.NewDecoder(resp.Body).Decode(&body)
	return resp.StatusCode, body.Checks
}

// startOpsOnly runs roles in-process with an operations listener and
// returns its base URL (a relay or notifier process has no other).
func startOpsOnly(t *testing.T, brokers []string, roles string, extra ...string) string {
	t.Helper()
	pool := pgtest.Pool(t)
	vars := map[string]string{"DATABASE_URL": pgtest.URL(), "KAFKA_BROKERS": strings.Join(brokers, ","),
		"OPS_ADDR": freeAddr(t), "HTTP_ADDR": freeAddr(t), "LOG_LEVEL": "error", "SHUTDOWN_TIMEOUT": "5s"}
	if len(brokers) > 0 {
		vars["KAFKA_TOPIC"] = kafkatest.Topic(t, brokers, 4)
		vars["RELAY_CONSUMER_GROUP"] = kafkatest.UniqueName(t, "relay")
		relaytest.StartGroupAtEnd(t, pool, vars["RELAY_CONSUMER_GROUP"])
	}
	for i := 0; i+1 < len(extra); i += 2 {
		vars[extra[i]] = extra[i+1]
	}
	ctx, cancel := context.WithCancel(context.Background())
	exited := make(chan int, 1)
	go func() { exited <- run(ctx, []string{"--roles", roles}, envOf(vars), io.Discard) }()
	t.Cleanup(func() {
		cancel()
		select {
		case code := <-exited:
			if code != 0 {
				t.Errorf("%s exit code %d", roles, code)
			}
		case <-time.After(15 * time.Second):
			t.Errorf("%s did not stop", roles)
		}
	})
	base := "http://" + vars["OPS_ADDR"]
	waitFor(t, base+"/healthz", exited)
	return base
}
