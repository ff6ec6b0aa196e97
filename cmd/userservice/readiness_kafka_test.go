package main

import (
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/userservice/userservice/adapters/kafka/kafkatest"
)

// readinessBrokerPort is this package's private broker (controller on +1):
// the test stops it, so it must not be the broker other tests share.
const readinessBrokerPort = 29094

// TestReadinessNamesAStoppedKafka stops a real broker under a running
// service: /readyz turns 503 naming kafka, and 200 again once the broker is
// back.
func TestReadinessNamesAStoppedKafka(t *testing.T) {
	broker := kafkatest.StartPrivateBroker(t, "readiness", readinessBrokerPort)
	// No cached answer: the test looks right after the broker stopped.
	s := startServiceOn(t, broker.Brokers(), "api", "READINESS_CACHE", "0")
	readyz := func() (int, map[string]string) {
		resp, err := http.Get(s.base + "/readyz")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var body struct{ Checks map[string]string }
		_ = json.NewDecoder(resp.Body).Decode(&body)
		return resp.StatusCode, body.Checks
	}
	if code, _ := readyz(); code != 200 {
		t.Fatalf("readyz before = %d", code)
	}
	broker.Stop(t)
	code, checks := readyz()
	if code != http.StatusServiceUnavailable || checks["kafka"] == "ok" || checks["postgres"] != "ok" {
		t.Fatalf("readyz with Kafka stopped = %d %v; want 503 naming kafka", code, checks)
	}
	t.Logf("kafka check while stopped: %s", checks["kafka"])
	broker.Start(t)
	deadline := time.Now().Add(30 * time.Second)
	for {
		if code, _ := readyz(); code == 200 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("readyz did not recover after Kafka came back")
		}
		time.Sleep(200 * time.Millisecond)
	}
}
