package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/IBM/sarama"

	"github.com/userservice/userservice/adapters/eventcontract"
	"github.com/userservice/userservice/adapters/kafka/kafkatest"
	"github.com/userservice/userservice/adapters/postgres/pgtest"
	"github.com/userservice/userservice/adapters/relay/relaytest"
	"github.com/userservice/userservice/app/command"
	"github.com/userservice/userservice/cmd/internal/service"
	"github.com/userservice/userservice/domain/user"
)

// TestRelayKilledMidStreamLosesNothing runs the relay as a real process,
// kills it with SIGKILL while it drains a backlog, restarts it, and checks
// that every event reached Kafka and that each user's events, first
// deliveries only, never go backwards.
func TestRelayKilledMidStreamLosesNothing(t *testing.T) {
	t.Parallel()
	pool := pgtest.Pool(t)
	brokers := kafkatest.Brokers(t)
	topic := kafkatest.Topic(t, brokers, 4)
	group := kafkatest.UniqueName(t, "relay")
	relaytest.StartGroupAtEnd(t, pool, group)

	bin := filepath.Join(t.TempDir(), "userservice")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	tn := newTenant(t, 100000)
	want := writeBacklog(t, tn.id, 300, 5)

	start := func() *exec.Cmd {
		cmd := exec.Command(bin, "--roles", "relay")
		cmd.Env = append(os.Environ(), "DATABASE_URL="+pgtest.URL(), "KAFKA_BROKERS="+strings.Join(brokers, ","),
			"KAFKA_TOPIC="+topic, "RELAY_CONSUMER_GROUP="+group, "LOG_LEVEL=error", "MIGRATE_ON_START=false")
		cmd.Stderr = os.Stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		return cmd
	}
	first := start()
	seen := readEnvelopes(t, brokers, topic, tn.id, 60*time.Second, func(n int) bool { return n >= 200 })
	if err := first.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = first.Wait()
	t.Logf("killed the relay after %d of %d events reached Kafka", len(seen), 1800)

	second := start()
	defer func() {
		_ = second.Process.Signal(syscall.SIGTERM)
		_ = second.Wait()
	}()
	all := readEnvelopes(t, brokers, topic, tn.id, 90*time.Second, func(n int) bool { return n >= 1800 })

	firsts := map[string]bool{}
	last := map[string]int{}
	dups := 0
	for _, e := range all {
		if firsts[e.ID] {
			dups++
			continue
		}
		firsts[e.ID] = true
		if e.StreamVersion < last[e.Subject] {
			t.Errorf("user %s: version %d delivered after %d", e.Subject, e.StreamVersion, last[e.Subject])
		}
		last[e.Subject] = e.StreamVersion
	}
	missing := 0
	for id := range want {
		if !firsts[id] {
			missing++
		}
	}
	if missing > 0 {
		t.Fatalf("%d of %d events never reached Kafka after the kill", missing, len(want))
	}
	t.Logf("all %d events delivered; %d duplicates from the killed batch", len(want), dups)
}

// writeBacklog writes users*(1+updates) events for the tenant, concurrently,
// and returns their ids.
func writeBacklog(t *testing.T, tenantID string, users, updates int) map[string]bool {
	t.Helper()
	ctx := context.Background()
	application, err := service.BuildApplication(pgtest.Pool(t), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	env := func() command.Envelope {
		return command.Envelope{CommandID: fmt.Sprint(time.Now().UnixNano(), "-", randomSuffix()), TenantID: tenantID,
			Actor: "test", Source: command.SourceAPI, CorrelationID: "kill-test"}
	}
	var wg sync.WaitGroup
	sem := make(chan struct{}, 8)
	for i := range users {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			res, err := application.Commands.RegisterUser.Handle(ctx, command.RegisterUser{Envelope: env(),
				Registration: user.Registration{Email: fmt.Sprintf("k%d@example.com", i), Profile: user.Profile{GivenName: "K", FamilyName: "Ill"}}})
			if err != nil {
				t.Error(err)
				return
			}
			for j := range updates {
				title := fmt.Sprint("t", j)
				if _, err := application.Commands.UpdateUser.Handle(ctx, command.UpdateUser{Envelope: env(), UserID: res.User.ID,
					Patch: user.Patch{Title: &title}}); err != nil {
					t.Error(err)
				}
			}
		}()
	}
	wg.Wait()
	ids := map[string]bool{}
	rows, err := pgtest.Pool(t).Query(ctx, `SELECT event_id::text FROM events WHERE tenant_id = $1`, tenantID)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		ids[id] = true
	}
	return ids
}

// readEnvelopes reads the topic until enough distinct events of the tenant
// arrived; it returns every record of the tenant, duplicates included.
func readEnvelopes(t *testing.T, brokers []string, topic, tenantID string, timeout time.Duration, enough func(distinct int) bool) []eventcontract.Envelope {
	t.Helper()
	var out []eventcontract.Envelope
	distinct := map[string]bool{}
	read := 0
	kafkatest.Read(t, brokers, topic, timeout, func(msgs []*sarama.ConsumerMessage) bool {
		for _, m := range msgs[read:] {
			read++
			var e eventcontract.Envelope
			if json.Unmarshal(m.Value, &e) == nil && e.TenantID == tenantID {
				out = append(out, e)
				distinct[e.ID] = true
			}
		}
		return enough(len(distinct))
	})
	return out
}

func randomSuffix() string {
	var b [8]byte
	f, err := os.Open("/dev/urandom")
	if err == nil {
		_, _ = f.Read(b[:])
		f.Close()
	}
	return fmt.Sprintf("%x", b)
}
