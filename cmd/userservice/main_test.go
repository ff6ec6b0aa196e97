package main

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/userservice/userservice/adapters/kafka/kafkatest"
	"github.com/userservice/userservice/adapters/postgres/pgtest"
	"github.com/userservice/userservice/adapters/relay/relaytest"
)

func envOf(kv map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) {
		v, ok := kv[k]
		return v, ok
	}
}

func TestRolesFlagRejected(t *testing.T) {
	t.Parallel()
	var stderr strings.Builder
	code := run(context.Background(), []string{"--roles", "api,frontend"}, envOf(nil), &stderr)
	if code != 2 {
		t.Errorf("exit code = %d, want 2", code)
	}
	for _, want := range []string{`--roles: unknown role "frontend"`, "api, importer, relay, notifier, hris-sync, directory or all"} {
		if !strings.Contains(stderr.String(), want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr.String())
		}
	}
}

func TestInvalidConfigurationReportsAllProblems(t *testing.T) {
	t.Parallel()
	var stderr strings.Builder
	code := run(context.Background(), nil, envOf(map[string]string{
		"ROLES": "everything", "LOG_LEVEL": "chatty", "SHUTDOWN_TIMEOUT": "-5s",
	}), &stderr)
	if code != 2 {
		t.Errorf("exit code = %d, want 2", code)
	}
	for _, want := range []string{"ROLES: ", "LOG_LEVEL: ", "SHUTDOWN_TIMEOUT: "} {
		if !strings.Contains(stderr.String(), want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr.String())
		}
	}
	if code := run(context.Background(), []string{"-h"}, envOf(nil), io.Discard); code != 0 {
		t.Errorf("-h exit code = %d, want 0", code)
	}
}

// TestServiceServesAndShutsDownCleanly starts the whole process (api plus a
// relay role) against the real PostgreSQL and Kafka, checks the ops
// endpoints and the API behind them, then cancels it like SIGTERM does.
func TestServiceServesAndShutsDownCleanly(t *testing.T) {
	t.Parallel()
	pool := pgtest.Pool(t) // skips or fails with the reason when PostgreSQL is down
	brokers := kafkatest.Brokers(t)
	addr := freeAddr(t)
	// Its own topic and relay group: the defaults belong to `make run`.
	group := kafkatest.UniqueName(t, "relay")
	relaytest.StartGroupAtEnd(t, pool, group)
	topic := kafkatest.Topic(t, brokers, 1)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	exited := make(chan int, 1)
	go func() {
		exited <- run(ctx, []string{"--roles", "api,relay"}, envOf(map[string]string{
			"DATABASE_URL":         pgtest.URL(),
			"KAFKA_BROKERS":        strings.Join(brokers, ","),
			"KAFKA_TOPIC":          topic,
			"RELAY_CONSUMER_GROUP": group,
			"HTTP_ADDR":            addr,
			"LOG_LEVEL":            "warn",
			"SHUTDOWN_TIMEOUT":     "5s",
		}), io.Discard)
	}()

	base := "http://" + addr
	waitFor(t, base+"/healthz", exited)
	expect(t, base+"/readyz", http.StatusOK, `"status":"ready"`)
	expect(t, base+"/metrics", http.StatusOK, "go_goroutines")
	// The admin API answers behind the ops endpoints, and wants a token.
	expect(t, base+"/v1/users", http.StatusUnauthorized, "")

	cancel()
	select {
	case code := <-exited:
		if code != 0 {
			t.Errorf("exit code after shutdown = %d, want 0", code)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("service did not stop after its context was cancelled")
	}
}

func freeAddr(t *testing.T) string {
	t.Helper()
	for {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := ln.Addr().String()
		ln.Close()
		// The kernel may hand a closed port out again: two parallel tests
		// then started services on one address, and the second one's
		// health check was answered by the first's (fresh-clone CI:
		// "bind: address already in use", seen only at the test's end).
		if _, taken := handedOutAddrs.LoadOrStore(addr, true); !taken {
			return addr
		}
	}
}

// handedOutAddrs are the addresses freeAddr has given out in this process.
var handedOutAddrs sync.Map

// noKeepAlive leaves no connection open behind a request. With kept-alive
// connections the shared transport dials a spare connection when the
// previous one is not back in its pool yet, takes the old one when it comes
// back, and parks the spare unused: a connection that never sent a request,
// which the server's graceful shutdown counts as active for up to 5s (Go's
// grace for StateNew) - as long as SHUTDOWN_TIMEOUT here, so under load the
// in-process service exited 1 ("http server shutdown: context deadline
// exceeded").
var noKeepAlive = &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}

func waitFor(t *testing.T, url string, exited <-chan int) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case code := <-exited:
			t.Fatalf("service exited with %d before serving", code)
		default:
		}
		if resp, err := noKeepAlive.Get(url); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("%s did not answer within 30s", url)
}

func expect(t *testing.T, url string, code int, contains string) {
	t.Helper()
	resp, err := noKeepAlive.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != code || !strings.Contains(string(body), contains) {
		t.Errorf("GET %s = %d %.300s; want %d containing %q", url, resp.StatusCode, body, code, contains)
	}
	if strings.HasSuffix(url, "/readyz") {
		var rb struct{ Checks map[string]string }
		if err := json.Unmarshal(body, &rb); err != nil || rb.Checks["postgres"] != "ok" || rb.Checks["kafka"] != "ok" {
			t.Errorf("readyz checks = %v (%v)", rb.Checks, err)
		}
	}
}
